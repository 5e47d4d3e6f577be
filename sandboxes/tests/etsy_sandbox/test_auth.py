"""The x-api-key check, OAuth with PKCE through the consent page, token expiry, scopes, and the
rotation of refresh tokens."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

REDIRECT = "https://app.example/etsy/callback"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize(etsy, challenge: str, decision: str = "allow", scope: str = "listings_r listings_w shops_r") -> dict:
    """Open the consent page as the seller and press a button; the query the app is sent back with."""
    params = {
        "response_type": "code",
        "client_id": etsy.config.keystring,
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": "st-123",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    with httpx.Client(base_url=etsy.url) as browser:
        page = browser.get("/oauth/connect", params=params)
        assert page.status_code == 200 and "Allow Access" in page.text
        form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
        answer = browser.post("/oauth/connect", data={**form, "decision": decision})
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def token(etsy, **form) -> httpx.Response:
    return httpx.post(f"{etsy.url}/v3/public/oauth/token", data={"client_id": etsy.config.keystring, **form})


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "Missing x-api-key header"),
        ("keystring-only", "Shared secret is required in x-api-key header."),
        ("wrong-secret", "Invalid API key"),
        ("wrong-keystring", "Invalid API key"),
    ],
)
def test_every_call_needs_keystring_and_shared_secret(etsy, header, message):
    values = {
        "keystring-only": etsy.config.keystring,
        "wrong-secret": f"{etsy.config.keystring}:nope",
        "wrong-keystring": f"other:{etsy.config.shared_secret}",
    }
    with etsy.client(api_key=values.get(header)) as client:
        for path in ("/v3/application/openapi-ping", f"/v3/application/shops/{etsy.config.shop_id}"):
            response = client.get(path)
            assert response.status_code == 403
            assert response.json() == {"error": message}
    with etsy.client() as client:
        assert client.get("/v3/application/openapi-ping").status_code == 200


def test_pkce_flow_then_the_token_reads_the_shop(etsy):
    verifier, challenge = pkce()
    answer = authorize(etsy, challenge)
    assert answer["state"] == "st-123"
    issued = token(
        etsy, grant_type="authorization_code", redirect_uri=REDIRECT, code=answer["code"], code_verifier=verifier
    )
    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["access_token"].startswith(f"{etsy.config.user_id}.")
    with etsy.client(token=body["access_token"]) as client:
        assert client.get("/v3/application/users/me").json()["shop_id"] == etsy.config.shop_id
        # Granted without transactions_r: an operation needing another scope is refused.
        scopes = client.post("/v3/application/scopes", data={"token": body["access_token"]}).json()["scopes"]
        assert scopes == ["listings_r", "listings_w", "shops_r"]
    # The code is single-use.
    again = token(
        etsy, grant_type="authorization_code", redirect_uri=REDIRECT, code=answer["code"], code_verifier=verifier
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_a_wrong_code_verifier_is_refused(etsy):
    _verifier, challenge = pkce()
    answer = authorize(etsy, challenge)
    other, _ = pkce()
    refused = token(
        etsy, grant_type="authorization_code", redirect_uri=REDIRECT, code=answer["code"], code_verifier=other
    )
    assert refused.status_code == 400
    assert refused.json() == {"error": "invalid_grant", "error_description": "code_verifier is invalid"}


def test_redirect_uri_must_match_the_one_used_for_the_code(etsy):
    verifier, challenge = pkce()
    answer = authorize(etsy, challenge)
    refused = token(
        etsy,
        grant_type="authorization_code",
        redirect_uri="https://evil.example/cb",
        code=answer["code"],
        code_verifier=verifier,
    )
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


def test_the_seller_can_deny(etsy):
    _verifier, challenge = pkce()
    answer = authorize(etsy, challenge, decision="deny")
    assert answer["error"] == "access_denied" and answer["state"] == "st-123" and "code" not in answer


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"code_challenge_method": "plain"}, "code_challenge_method must be S256"),
        ({"client_id": "unknown"}, "The client_id is invalid"),
        ({"scope": "listings_r cart_rw"}, "Invalid scope: cart_rw"),
        ({"state": ""}, "state is required"),
    ],
)
def test_a_malformed_authorization_request_gets_an_error_page(etsy, change, expected):
    _verifier, challenge = pkce()
    params = {
        "response_type": "code",
        "client_id": etsy.config.keystring,
        "redirect_uri": REDIRECT,
        "scope": "listings_r",
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **change,
    }
    page = httpx.get(f"{etsy.url}/oauth/connect", params=params)
    assert page.status_code == 400 and expected in page.text


def test_refresh_tokens_rotate_and_the_old_one_is_refused(etsy):
    first = etsy.sandbox.bootstrap.refresh_token
    renewed = token(etsy, grant_type="refresh_token", refresh_token=first)
    assert renewed.status_code == 200
    second = renewed.json()["refresh_token"]
    assert second != first
    replay = token(etsy, grant_type="refresh_token", refresh_token=first)
    assert replay.status_code == 400
    assert replay.json() == {"error": "invalid_grant", "error_description": "refresh_token is revoked"}
    # The second pass: the new one works once, then it too is spent.
    third = token(etsy, grant_type="refresh_token", refresh_token=second)
    assert third.status_code == 200
    assert token(etsy, grant_type="refresh_token", refresh_token=second).status_code == 400
    with etsy.client(token=third.json()["access_token"]) as client:
        assert client.get("/v3/application/users/me").status_code == 200


def test_refresh_tokens_expire_after_90_days(etsy):
    refresh = etsy.sandbox.bootstrap.refresh_token
    with etsy.control() as control:
        control.post("/clock", json={"seconds": 90 * 24 * 3600 + 1})
    refused = token(etsy, grant_type="refresh_token", refresh_token=refresh)
    assert refused.status_code == 400 and refused.json()["error_description"] == "refresh_token is expired"


def test_access_tokens_expire_after_an_hour(etsy):
    with etsy.client() as client:
        assert client.get("/v3/application/users/me").status_code == 200
        with etsy.control() as control:
            control.post("/clock", json={"seconds": 3599})
        assert client.get("/v3/application/users/me").status_code == 200
        with etsy.control() as control:
            control.post("/clock", json={"seconds": 1})
        expired = client.get("/v3/application/users/me")
        assert expired.status_code == 401
        assert expired.json() == {"error": "invalid_token", "error_description": "access token is expired"}


def test_oauth_operations_need_a_bearer_token_and_the_scope(etsy):
    listing_id = etsy.listing_ids()[0]
    with etsy.client(token=None) as client:
        missing = client.get(f"/v3/application/listings/{listing_id}/inventory")
        assert missing.status_code == 401 and missing.json()["error"] == "invalid_token"
        # Public operations need only the key.
        assert client.get(f"/v3/application/listings/{listing_id}").status_code == 200
    with etsy.control() as control:
        read_only = control.post("/tokens", json={"scopes": ["listings_r"]}).json()["access_token"]
    with etsy.client(token=read_only) as client:
        assert client.get(f"/v3/application/listings/{listing_id}/inventory").status_code == 200
        refused = client.put(f"/v3/application/listings/{listing_id}/inventory", json={"products": []})
        assert refused.status_code == 403
        assert refused.json() == {"error": "insufficient_scope", "error_description": "Insufficient scope"}
        assert client.get("/v3/application/users/me").status_code == 403  # getMe needs shops_r


def test_non_active_listings_are_only_visible_to_their_owner(etsy):
    inactive = etsy.listing_ids("inactive")[0]
    with etsy.client(token=None) as client:
        assert client.get(f"/v3/application/listings/{inactive}").status_code == 404
    with etsy.client() as client:
        assert client.get(f"/v3/application/listings/{inactive}").json()["state"] == "inactive"
