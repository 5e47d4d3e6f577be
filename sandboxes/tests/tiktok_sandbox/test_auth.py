"""The auth server: authorize page, token get and refresh (absolute expiry timestamps), shops."""

from urllib.parse import parse_qs, urlsplit

AUTH = {"app_key": "test_key", "app_secret": "test_secret"}


def _authorize(client, state="csrf-123"):
    page = client.http.get("/oauth/authorize", params={"app_key": "test_key", "state": state})
    assert page.status_code == 200 and "Authorize" in page.text
    redirect = client.http.post(
        "/oauth/authorize", params={"app_key": "test_key", "state": state}, data={"decision": "allow"}
    )
    assert redirect.status_code == 302
    location = urlsplit(redirect.headers["location"])
    return location, parse_qs(location.query)


def test_authorize_redirects_back_with_code_and_state(tiktok):
    _, _, client = tiktok
    location, query = _authorize(client)
    assert location.path == "/tiktok/callback"
    assert query["state"] == ["csrf-123"] and query["code"][0]


def test_denied_authorization(tiktok):
    _, _, client = tiktok
    redirect = client.http.post(
        "/open/authorize", params={"service_id": "7431458374265161478", "state": "s"}, data={"decision": "deny"}
    )
    assert parse_qs(urlsplit(redirect.headers["location"]).query) == {
        "code": ["null"],
        "error": ["auth_denied"],
        "state": ["s"],
    }


def test_code_exchange_refresh_and_shops(tiktok):
    app, _, client = tiktok
    now = app.state.sandbox.state.clock.now()
    _, query = _authorize(client)
    code = query["code"][0]
    got = client.http.get(
        "/api/v2/token/get", params={**AUTH, "auth_code": code, "grant_type": "authorized_code"}
    ).json()
    assert got["code"] == 0, got
    data = got["data"]
    # Absolute unix timestamps, 7 days and about a year out.
    assert abs(data["access_token_expire_in"] - (now + 7 * 86400)) < 5
    assert data["refresh_token_expire_in"] > data["access_token_expire_in"]
    assert data["user_type"] == 0 and "seller.product.write" in data["granted_scopes"]

    again = client.http.get(
        "/api/v2/token/get", params={**AUTH, "auth_code": code, "grant_type": "authorized_code"}
    ).json()
    assert again["code"] == 36004005  # a code works once

    client.access_token = data["access_token"]
    shops = client.ok("GET", "/authorization/202309/shops", shop=False)["shops"]
    assert shops[0]["cipher"].startswith("GCP_") and shops[0]["region"] == "US"

    refreshed = client.http.get(
        "/api/v2/token/refresh", params={**AUTH, "refresh_token": data["refresh_token"], "grant_type": "refresh_token"}
    ).json()["data"]
    assert refreshed["access_token"] != data["access_token"]
    assert refreshed["refresh_token_expire_in"] == data["refresh_token_expire_in"]
    # The old access token is replaced; the new one works.
    assert client.call("GET", "/logistics/202309/warehouses").json()["code"] == 36009004
    client.access_token = refreshed["access_token"]
    assert client.call("GET", "/logistics/202309/warehouses").json()["code"] == 0


def test_token_endpoints_check_app_credentials_and_grant(tiktok):
    _, _, client = tiktok
    bad = client.http.get(
        "/api/v2/token/get",
        params={"app_key": "test_key", "app_secret": "nope", "auth_code": "x", "grant_type": "authorized_code"},
    )
    assert (bad.status_code, bad.json()["code"]) == (401, 36009004)
    wrong_grant = client.http.get(
        "/api/v2/token/refresh", params={**AUTH, "refresh_token": "x", "grant_type": "authorized_code"}
    )
    assert wrong_grant.json()["code"] == 36009004


def test_expired_code_and_refresh_token(tiktok):
    _, _, client = tiktok
    code = client.control("POST", "/sandbox/auth_codes")["code"]
    refresh = client.control("GET", "/sandbox/state")["bootstrap_token"]["refresh_token"]
    client.control("POST", "/sandbox/clock/advance", {"seconds": 366 * 86400})
    got = client.http.get("/api/v2/token/get", params={**AUTH, "auth_code": code, "grant_type": "authorized_code"})
    assert got.json()["code"] == 36004005
    expired = client.http.get(
        "/api/v2/token/refresh", params={**AUTH, "refresh_token": refresh, "grant_type": "refresh_token"}
    )
    assert expired.json() | {"request_id": ""} == {
        "code": 36004001,
        "message": "rt has expired",
        "data": None,
        "request_id": "",
    }
