"""A merchant signs in with a real browser and sees the dashboard."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot
from tests.conftest import create_account
from tokbridge.activity.service import record
from tokbridge.db.engine import get_engine, session_scope

pytestmark = pytest.mark.browser


def test_sign_in_and_see_the_dashboard(page, live_app, app_settings):
    merchant_id = create_account(app_settings, "Browser Boutique", "owner@boutique.test")
    with session_scope(get_engine(app_settings.database_url)) as session:
        record(session, merchant_id, "catalog.import", "Imported 12 products", status="succeeded")

    page.goto(f"{live_app}/dashboard")
    assert page.url.startswith(f"{live_app}/login")  # signed out: sent to sign-in
    screenshot(page, "sign-in")
    page.get_by_label("Email").fill("owner@boutique.test")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_app}/dashboard")

    assert page.get_by_role("heading", name="Dashboard").is_visible()
    assert page.get_by_test_id("merchant-name").inner_text() == "Browser Boutique"
    assert "Imported 12 products" in page.get_by_test_id("activity-list").inner_text()
    screenshot(page, "dashboard")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_app}/login")


def test_wrong_password_shows_the_message(page, live_app, app_settings):
    create_account(app_settings, "Browser Boutique", "owner@boutique.test")
    page.goto(f"{live_app}/login")
    page.get_by_label("Email").fill("owner@boutique.test")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_test_id("login-error").inner_text() == "Invalid email or password."


def test_dashboard_fits_a_phone(browser, live_app, app_settings):
    create_account(app_settings, "Browser Boutique", "owner@boutique.test")
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.goto(f"{live_app}/login")
    page.get_by_label("Email").fill("owner@boutique.test")
    page.get_by_label("Password").fill("correct horse battery")
    page.keyboard.press("Enter")  # usable with the keyboard
    page.wait_for_url(f"{live_app}/dashboard")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page is {width}px wide on a 375px screen"
    screenshot(page, "dashboard-phone")
    context.close()
