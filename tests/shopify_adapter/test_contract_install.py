"""The install flow against the sandbox: signed install request, authorize, callback, tokens."""

from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from tokbridge.channels.shopify import auth
from tokbridge.channels.shopify.client import ShopifyClient
from tokbridge.channels.shopify.errors import AuthenticationError

NEW_SHOP = "fresh-install.myshopify.com"
CALLBACK = "https://tokbridge.example/shopify/callback"


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def test_install_authorize_callback_exchange_and_refresh(live_shop):
    shop = live_shop()
    secret, client_id = shop.config.client_secret, shop.config.client_id

    # 1. Shopify calls our App URL, signed.
    install_url = shop.control(
        "GET", "/sandbox/shops/{shop}/install-request", params={"app_url": "https://tokbridge.example/shopify/install"}
    ).json()["url"]
    install = query_of(install_url)
    assert auth.verify_hmac(install, secret) and auth.is_fresh(install)
    assert not auth.verify_hmac(dict(install, shop="evil.myshopify.com"), secret)

    # 2. We send the merchant to approve the app, with a signed state.
    state = auth.make_state(NEW_SHOP, "our-app-secret")
    url = auth.authorization_url(
        NEW_SHOP, client_id=client_id, redirect_uri=CALLBACK, state=state, base_url=shop.api_base
    )
    approval = httpx.get(url, follow_redirects=False, timeout=10)
    assert approval.status_code == 302
    location = approval.headers["location"]
    assert location.startswith(CALLBACK)

    # 3. The callback: signature, freshness and state all check out; tampering does not.
    callback = query_of(location)
    assert auth.verify_hmac(callback, secret) and auth.is_fresh(callback)
    auth.check_state(callback["state"], callback["shop"], "our-app-secret")
    assert not auth.verify_hmac(dict(callback, code=callback["code"][::-1]), secret)

    # 4. The code becomes an expiring offline token with a refresh token.
    with httpx.Client() as http:
        token = auth.exchange_code(
            NEW_SHOP, callback["code"], client_id=client_id, client_secret=secret, http=http, base_url=shop.api_base
        )
        assert token.expires_at is not None and token.refresh_token
        assert not auth.missing_scopes(token.scopes)
        assert "shpat" not in repr(token) and token.access_token not in repr(token)
        assert ShopifyClient(NEW_SHOP, token.access_token, base_url=shop.api_base).query("{ shop { name } }")

        # A code is good once.
        with pytest.raises(AuthenticationError):
            auth.exchange_code(
                NEW_SHOP, callback["code"], client_id=client_id, client_secret=secret, http=http, base_url=shop.api_base
            )

        # 5. Refresh before expiry: both tokens are replaced and the new access token works.
        renewed = auth.refresh(
            NEW_SHOP, token, client_id=client_id, client_secret=secret, http=http, base_url=shop.api_base
        )
        assert renewed.access_token != token.access_token and renewed.refresh_token != token.refresh_token
        assert ShopifyClient(NEW_SHOP, renewed.access_token, base_url=shop.api_base).query("{ shop { name } }")

        with pytest.raises(AuthenticationError):
            auth.exchange_code(
                NEW_SHOP, "bogus", client_id=client_id, client_secret="wrong", http=http, base_url=shop.api_base
            )


def test_state_from_another_shop_is_refused():
    state = auth.make_state("one.myshopify.com", "k")
    with pytest.raises(auth.InvalidState):
        auth.check_state(state, "two.myshopify.com", "k")


def test_an_expiring_token_is_refreshed_before_it_lapses(live_shop):
    from datetime import timedelta

    from tokbridge.db import utcnow

    shop = live_shop(frozen_clock=True)
    issued = shop.control("POST", "/sandbox/shops/{shop}/tokens", json={"expiring": True}).json()
    token = auth.parse_token(issued)
    client_args = {
        "client_id": shop.config.client_id,
        "client_secret": shop.config.client_secret,
        "base_url": shop.api_base,
    }
    same, refreshed = auth.ensure_fresh("tokbridge-demo.myshopify.com", token, **client_args)
    assert same is token and not refreshed

    # An hour later the access token has lapsed at Shopify...
    shop.control("POST", "/sandbox/clock", json={"seconds": int(issued["expires_in"]) + 1})
    with pytest.raises(AuthenticationError):
        ShopifyClient("tokbridge-demo.myshopify.com", token.access_token, base_url=shop.api_base).query(
            "{ shop { name } }"
        )
    # ...and, seen from then, it needs a refresh, which works with the refresh token.
    later = utcnow() + timedelta(seconds=int(issued["expires_in"]) + 1)
    renewed, refreshed = auth.ensure_fresh("tokbridge-demo.myshopify.com", token, now=later, **client_args)
    assert refreshed and renewed.access_token != token.access_token
    assert ShopifyClient("tokbridge-demo.myshopify.com", renewed.access_token, base_url=shop.api_base).query(
        "{ shop { name } }"
    )
