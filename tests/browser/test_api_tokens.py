"""A merchant creates an API token in Settings with a real browser, copies it from the one page that shows
it, a script uses it, and the merchant revokes it; the page fits a phone."""

from __future__ import annotations

import httpx
import pytest

from tests.browser.conftest import screenshot
from tests.conftest import create_account

pytestmark = pytest.mark.browser


def sign_in(page, live_app: str) -> None:
    page.goto(f"{live_app}/settings/tokens")
    page.get_by_label("Email").fill("owner@boutique.test")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_app}/settings/tokens")


def test_create_use_and_revoke_a_token(page, live_app, app_settings):
    create_account(app_settings, "Browser Boutique", "owner@boutique.test")
    sign_in(page, live_app)
    page.get_by_label("Name").fill("Nightly retry script")
    page.get_by_label("Read and write").check()
    page.get_by_label("Expires").select_option("30")
    page.get_by_role("button", name="Create token").click()
    token = page.get_by_test_id("token-value").inner_text()
    assert token.startswith("tbk_")
    assert "shown only this once" in page.get_by_test_id("new-token").inner_text()
    screenshot(page, "api-token-created")

    me = httpx.get(f"{live_app}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert me.status_code == 200 and me.json()["email"] == "owner@boutique.test"

    page.goto(f"{live_app}/settings/tokens")
    assert token not in page.content()
    row = page.get_by_test_id("tokens").locator("tbody tr").first
    assert "Read and write" in row.inner_text() and "UTC" in row.inner_text()  # its last use
    page.once("dialog", lambda dialog: dialog.accept())  # "Revoke …? Scripts using it stop working."
    row.get_by_role("button", name="Revoke").click()
    page.wait_for_selector("text=revoked")
    assert "Revoked" in page.get_by_test_id("tokens").inner_text()
    screenshot(page, "api-tokens-list")
    assert (
        httpx.get(f"{live_app}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=30).status_code == 401
    )


def test_the_tokens_page_fits_a_phone(browser, live_app, app_settings):
    create_account(app_settings, "Browser Boutique", "owner@boutique.test")
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    sign_in(page, live_app)
    page.get_by_label("Name").fill("Phone")
    page.get_by_role("button", name="Create token").click()
    page.get_by_test_id("token-value").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page is {width}px wide on a 375px screen"
    screenshot(page, "api-tokens-phone")
    context.close()
