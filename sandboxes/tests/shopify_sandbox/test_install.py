"""Install flow: authorize redirect signed as Shopify signs it, code exchange, token checks."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

from tokbridge_sandboxes.shopify import sign_query

from .conftest import SHOP, VERSION

SECRET = "sandbox-client-secret"
SHOP_QUERY = "{ shop { name myshopifyDomain } }"


def expected_hmac(params: dict[str, str], secret: str) -> str:
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "hmac")
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def authorize(base_url: str, **overrides) -> httpx.Response:
    params = {
        "client_id": "sandbox-client-id",
        "scope": "read_products,write_inventory",
        "redirect_uri": "https://app.example/callback",
        "state": "n0nce42",
        "grant_options[]": "",
        **overrides,
    }
    return httpx.get(f"{base_url}/shops/{SHOP}/admin/oauth/authorize", params=params, follow_redirects=False)


def test_shopify_documented_hmac_example():
    params = {"code": "0907a61c0c8d55e99db179b68161bc00", "shop": "some-shop.myshopify.com", "timestamp": "1337178173"}
    assert sign_query(params, "hush") == "4712bf92ffc2917d15a2f5a273e39f0116667419aa4b6ac0b3baaf26fa3c4d20"


def test_authorize_redirects_back_with_a_signed_query_and_the_code_buys_a_token(live_sandbox):
    live = live_sandbox()
    response = authorize(live.base_url)
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == "https://app.example/callback"
    params = dict(parse_qsl(location.query))
    assert set(params) == {"code", "hmac", "host", "shop", "state", "timestamp"}
    assert params["shop"] == SHOP and params["state"] == "n0nce42"
    assert params["hmac"] == expected_hmac(params, SECRET)
    tampered = {**params, "shop": "evil.myshopify.com"}
    assert tampered["hmac"] != expected_hmac(tampered, SECRET)

    token_url = f"{live.base_url}/shops/{SHOP}/admin/oauth/access_token"
    body = {"client_id": "sandbox-client-id", "client_secret": SECRET, "code": params["code"]}
    granted = httpx.post(token_url, data=body)  # form-encoded, as the Python library sends it
    assert granted.status_code == 200
    assert granted.json()["scope"] == "read_products,write_inventory"
    assert "expires_in" not in granted.json()
    answer = live.graphql(SHOP_QUERY, token=granted.json()["access_token"])
    assert answer["data"]["shop"]["myshopifyDomain"] == SHOP

    again = httpx.post(token_url, json=body)  # a code works once
    assert again.status_code == 400 and again.json()["error"] == "invalid_request"
    wrong_secret = httpx.post(token_url, json={**body, "client_secret": "nope"})
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "invalid_client"


def test_authorize_refuses_bad_client_scope_redirect_or_missing_state(live_sandbox):
    live = live_sandbox()
    assert authorize(live.base_url, client_id="other").status_code == 400
    refused = authorize(live.base_url, scope="read_products,read_everything")
    assert refused.status_code == 400 and "read_everything" in refused.text
    assert authorize(live.base_url, redirect_uri="javascript:alert(1)").status_code == 400
    assert authorize(live.base_url, state="").status_code == 400


def test_admin_calls_need_a_valid_token_for_that_shop(live_sandbox):
    live = live_sandbox()
    url = f"{live.base_url}/admin/api/{VERSION}/graphql.json"
    for headers in ({}, {"X-Shopify-Access-Token": "shpat_wrong"}):
        refused = httpx.post(url, json={"query": SHOP_QUERY}, headers=headers)
        assert refused.status_code == 401
        assert refused.json() == {
            "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
        }
    with httpx.Client() as client:
        client.post(f"{live.base_url}/sandbox/shops", json={"shop": "other-shop.myshopify.com", "count": 1})
    other = httpx.post(
        f"{live.base_url}/shops/other-shop.myshopify.com/admin/api/{VERSION}/graphql.json",
        json={"query": SHOP_QUERY},
        headers={"X-Shopify-Access-Token": live.token},
    )
    assert other.status_code == 401
    by_host = httpx.post(url, json={"query": SHOP_QUERY}, headers={"X-Shopify-Access-Token": live.token, "Host": SHOP})
    assert by_host.status_code == 200 and by_host.headers["X-Shopify-API-Version"] == VERSION


def test_expiring_tokens_expire_and_refresh_rotates_the_pair(live_sandbox):
    live = live_sandbox()
    params = dict(parse_qsl(urlsplit(authorize(live.base_url).headers["location"]).query))
    token_url = f"{live.base_url}/shops/{SHOP}/admin/oauth/access_token"
    credentials = {"client_id": "sandbox-client-id", "client_secret": SECRET}
    first = httpx.post(token_url, json={**credentials, "code": params["code"], "expiring": 1}).json()
    assert first["expires_in"] == 3600 and first["refresh_token"].startswith("shprt_")

    httpx.post(f"{live.base_url}/sandbox/clock", json={"seconds": 3601})
    expired = httpx.post(
        f"{live.base_url}/shops/{SHOP}/admin/api/{VERSION}/graphql.json",
        json={"query": SHOP_QUERY},
        headers={"X-Shopify-Access-Token": first["access_token"]},
    )
    assert expired.status_code == 401

    refresh = {**credentials, "grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    second = httpx.post(token_url, json=refresh).json()
    assert second["refresh_token"] != first["refresh_token"]
    # The old refresh token still works until the new access token is used (Shopify, 2026-08)...
    assert httpx.post(token_url, json=refresh).status_code == 200
    assert live.graphql(SHOP_QUERY, token=second["access_token"])["data"]["shop"]["myshopifyDomain"] == SHOP
    # ...and is refused afterwards.
    assert httpx.post(token_url, json=refresh).json()["error"] == "invalid_grant"


def test_install_request_link_is_signed(live_sandbox):
    live = live_sandbox()
    answer = httpx.get(
        f"{live.base_url}/sandbox/shops/{SHOP}/install-request", params={"app_url": "https://app.example/"}
    ).json()
    params = dict(parse_qsl(urlsplit(answer["url"]).query))
    assert set(params) == {"shop", "timestamp", "host", "hmac"}
    assert (
        params["hmac"]
        == hmac.new(
            SECRET.encode(),
            urlencode(sorted((k, v) for k, v in params.items() if k != "hmac")).encode(),
            hashlib.sha256,
        ).hexdigest()
    )
