"""Every Open API call is checked as TikTok's gateway checks it, answering with TikTok's codes."""

import time

import httpx
import pytest

from tokbridge_sandboxes.tiktok.images import png_bytes

WAREHOUSES = "/logistics/202309/warehouses"


def _code(response):
    return response.status_code, response.json()["code"]


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"app_key": "someone_else"}, 401, 36009004),
        ({"drop": ("sign",)}, 401, 36009004),
        ({"timestamp_offset": -301}, 401, 36009004),
        ({"timestamp_offset": 120}, 401, 36009004),
        ({"secret": "wrong_secret"}, 401, 106001),
        ({"token": "TTP_not_a_token"}, 401, 36009004),
        ({"token": ""}, 401, 36009004),
        ({"shop": False}, 400, 106013),
        ({"query": {"shop_cipher": "GCP_unknown"}}, 401, 101000),
        ({"query": {"shop_id": "7494049642642441621"}}, 400, 36009004),
    ],
    ids=[
        "app_key",
        "missing_sign",
        "timestamp_old",
        "timestamp_future",
        "bad_sign",
        "unknown_token",
        "no_token",
        "missing_shop_cipher",
        "foreign_shop_cipher",
        "legacy_shop_id",
    ],
)
def test_credential_checks(tiktok, kwargs, status, code):
    _, _, client = tiktok
    if "timestamp_offset" in kwargs:  # relative to when the test runs, not to when it was collected
        kwargs = {"timestamp": int(time.time()) + kwargs["timestamp_offset"]}
    assert _code(client.call("GET", WAREHOUSES, **kwargs)) == (status, code)


def test_timestamp_window_edges_are_accepted(tiktok):
    _, _, client = tiktok
    now = int(time.time())
    assert _code(client.call("GET", WAREHOUSES, timestamp=now - 280)) == (200, 0)
    assert _code(client.call("GET", WAREHOUSES, timestamp=now + 20)) == (200, 0)


def test_body_is_part_of_the_signature(tiktok):
    _, _, client = tiktok
    body = b'{"status":"ALL"}'
    signed = client.call("POST", "/product/202309/products/search", body=body, query={"page_size": "10"})
    assert _code(signed) == (200, 0)
    # Same query and signature, different bytes on the wire.
    params = dict(signed.request.url.params)
    tampered = client.http.post(
        "/product/202309/products/search",
        params=params,
        content=b'{"status":"DRAFT"}',
        headers={"x-tts-access-token": client.access_token, "content-type": "application/json"},
    )
    assert _code(tampered) == (401, 106001)
    assert tampered.json()["message"].startswith("Invalid credentials. The sign")


def test_shop_cipher_must_be_absent_where_not_expected(tiktok):
    _, _, client = tiktok
    assert _code(client.call("GET", "/authorization/202309/shops")) == (400, 36009004)
    shops = client.ok("GET", "/authorization/202309/shops", shop=False)["shops"]
    assert shops[0]["cipher"] == client.shop_cipher
    upload = client.call(
        "POST", "/product/202309/images/upload", files={"data": ("a.png", png_bytes(400, 400), "image/png")}
    )
    assert _code(upload) == (400, 36009004)


def test_multipart_upload_is_signed_without_its_body(tiktok):
    _, _, client = tiktok
    files = {"data": ("a.png", png_bytes(400, 400), "image/png")}
    response = client.call("POST", "/product/202309/images/upload", shop=False, files=files)
    assert _code(response) == (200, 0)
    assert response.json()["data"]["width"] == 400


def test_expired_token_then_refresh(tiktok):
    _, _, client = tiktok
    client.control("POST", "/sandbox/clock/advance", {"seconds": 7 * 24 * 3600 + 1})
    response = client.call("GET", WAREHOUSES)
    assert _code(response) == (401, 105002)
    token = client.http.get(
        "/api/v2/token/refresh",
        params={
            "app_key": "test_key",
            "app_secret": "test_secret",
            "grant_type": "refresh_token",
            "refresh_token": client.control("GET", "/sandbox/state")["bootstrap_token"]["refresh_token"],
        },
    ).json()
    assert token["code"] == 0
    client.access_token = token["data"]["access_token"]
    assert _code(client.call("GET", WAREHOUSES)) == (200, 0)


def test_missing_scope(tiktok):
    _, _, client = tiktok
    limited = client.control("POST", "/sandbox/tokens", {"scopes": ["seller.product.basic"]})
    response = client.call("GET", WAREHOUSES, token=limited["access_token"])
    assert _code(response) == (403, 105005)
    assert _code(client.call("GET", "/product/202312/prerequisites", token=limited["access_token"])) == (200, 0)


def test_unknown_path_and_method(tiktok):
    _, _, client = tiktok
    assert _code(client.call("GET", "/product/202309/nothing_here")) == (404, 36009009)
    assert _code(client.call("PATCH", WAREHOUSES)) == (405, 36009010)


def test_rate_limit_per_shop_and_endpoint(tiktok):
    _, _, client = tiktok
    client.control("PUT", "/sandbox/rate_limit", {"per_second": 3})
    codes = [_code(client.call("GET", WAREHOUSES)) for _ in range(6)]
    assert codes.count((429, 36009002)) >= 2
    # Another endpoint has its own bucket.
    assert _code(client.call("GET", "/product/202312/prerequisites")) == (200, 0)


def test_injected_faults(tiktok):
    _, _, client = tiktok
    client.control(
        "POST",
        "/sandbox/faults",
        {
            "slow_seconds": 0.3,
            "queue": [
                {"kind": "error", "path": WAREHOUSES, "count": 1},
                {"kind": "throttle", "path": WAREHOUSES, "count": 1},
                {"kind": "slow", "path": WAREHOUSES, "count": 1},
            ],
        },
    )
    assert _code(client.call("GET", WAREHOUSES)) == (500, 36009003)
    assert _code(client.call("GET", WAREHOUSES)) == (429, 36009002)
    started = time.monotonic()
    assert _code(client.call("GET", WAREHOUSES)) == (200, 0)
    assert time.monotonic() - started >= 0.3
    assert _code(client.call("GET", WAREHOUSES)) == (200, 0)


def test_timeout_fault_makes_the_caller_time_out(tiktok):
    _, _, client = tiktok
    client.control("POST", "/sandbox/faults", {"timeout_seconds": 1.0, "queue": [{"kind": "timeout", "count": 1}]})
    with pytest.raises(httpx.ReadTimeout):
        client.call("GET", WAREHOUSES, timeout=0.3)
    assert _code(client.call("GET", WAREHOUSES)) == (200, 0)
