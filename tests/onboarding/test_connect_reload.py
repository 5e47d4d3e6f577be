"""Reloading the page a platform sent the merchant back to, after the connection went through (issue #12):
the connection stands, and the page says so rather than showing an error."""

from __future__ import annotations

from tests.onboarding.conftest import SHOP


def _landing(browser, response):
    """The page a browser ends on (redirects followed), and the status of the first answer."""
    first = response.status_code
    while response.status_code in (302, 303):
        response = browser.http.get(response.headers["location"])
    return first, response


def test_reloading_the_shopify_callback_says_the_store_is_connected(start_world):
    world = start_world(catalog=0)
    merchant = world.browser()
    callback = world.approve_on_shopify(merchant)

    status, page = _landing(merchant, merchant.http.get(callback))
    assert status == 303 and f"Your Shopify store {SHOP} is connected" in page.text

    status, page = _landing(merchant, merchant.http.get(callback))  # the browser's reload
    assert status == 303 and page.status_code == 200
    assert f"Your Shopify store {SHOP} is connected" in page.text and 'role="alert"' not in page.text
    assert [c.status for c in world.connections("shopify")] == ["active"]


def test_reloading_the_tiktok_callback_says_the_shop_is_connected(start_world):
    world = start_world(catalog=0)
    merchant = world.browser()
    callback = world.authorize_on_tiktok(merchant)
    shop = world.tiktok_control("GET", "/sandbox/state")["shops"][0]["name"]

    status, page = _landing(merchant, merchant.http.get(callback))
    assert status == 303 and f"Your TikTok shop {shop} is connected" in page.text

    status, page = _landing(merchant, merchant.http.get(callback))  # the browser's reload
    assert status == 303 and page.status_code == 200
    assert f"Your TikTok shop {shop} is connected" in page.text and 'role="alert"' not in page.text
    assert [c.status for c in world.connections("tiktok")] == ["active"]
