"""What a merchant meets first (issue #12): messages only the app itself set, error pages with the app's
navigation, a favicon."""

from __future__ import annotations

import re

import pytest

from tests.conftest import create_account, sign_in

PAGES = ["/dashboard", "/products", "/orders", "/settings", "/settings/orders", "/plans", "/templates"]
FAKE = "Your account is suspended, call +1 555 0100"


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture
def merchant(client, app_settings):
    create_account(app_settings, "Acme", "owner@acme.test")
    sign_in(client, "owner@acme.test")
    return client


@pytest.mark.parametrize("path", PAGES)
def test_a_link_cannot_put_its_own_words_in_a_banner(merchant, path):
    for name in ("error", "notice"):
        page = merchant.get(path, params={name: FAKE})
        assert page.status_code == 200, page.text
        assert "suspended" not in page.text


def test_a_notice_after_an_action_shows_once(merchant):
    saved = merchant.post(
        "/settings/notifications",
        data={"csrf_token": csrf(merchant.get("/settings").text), "email": ""},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and "saved" not in saved.headers["location"]
    assert "Notification settings saved." in merchant.get(saved.headers["location"]).text
    assert "Notification settings saved." not in merchant.get("/settings").text  # shown once

    # An error too, and a second action shows its own message again.
    refused = merchant.post(
        "/settings/notifications", data={"csrf_token": csrf(merchant.get("/settings").text), "email": "not an address"}
    )
    assert "That email address does not look right" in refused.text
    again = merchant.post(
        "/settings/notifications", data={"csrf_token": csrf(merchant.get("/settings").text), "email": ""}
    )
    assert "Notification settings saved." in again.text and "does not look right" not in again.text


def test_a_forged_flash_cookie_is_ignored(merchant):
    merchant.cookies.set("tb_flash", "WyJlcnJvciIsICJZb3VyIGFjY291bnQgaXMgc3VzcGVuZGVkIl0.00")
    assert "suspended" not in merchant.get("/dashboard").text


def test_an_unknown_page_is_an_html_404_with_the_navigation(merchant):
    page = merchant.get("/no-such-page")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert 'aria-label="Main"' in page.text and 'href="/products"' in page.text and "Acme" in page.text
    assert merchant.get("/api/v1/no-such-thing").json() == {"detail": "Not Found"}  # the API keeps JSON


def test_a_product_address_that_is_not_a_number_is_an_html_page(merchant):
    page = merchant.get("/products/abc")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert 'aria-label="Main"' in page.text and "detail" not in page.text and "int_parsing" not in page.text
    assert merchant.get("/api/v1/products/abc").status_code == 422  # the API still says what was wrong
    assert merchant.get("/api/v1/products/abc").headers["content-type"] == "application/json"


def test_a_signed_out_404_has_no_account_menu(client):
    page = client.get("/no-such-page")
    assert page.status_code == 404 and "Sign out" not in page.text and "Back to the dashboard" in page.text


def test_favicon(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.text.lstrip().startswith("<svg")
    assert '<link rel="icon" href="/favicon.ico" type="image/svg+xml">' in client.get("/login").text
