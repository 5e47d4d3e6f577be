"""Every page of the merchant app on a 375-pixel-wide phone, with real data: nothing wider than the
screen, and the main actions reachable with the keyboard."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot
from tests.conftest import add_user
from tests.pipeline.helpers import check_prerequisites, run_jobs, sales_warehouse, tee_template, upgrade
from tests.support.live_server import serve
from tests.support.world import world_factory  # noqa: F401  (fixture)
from tokbridge.web.app import create_app

pytestmark = pytest.mark.browser

PAGES = [
    "/dashboard",
    "/products",
    "/templates",
    "/templates/new",
    "/settings",
    "/settings/tokens",
    "/plans",
    "/activity",
    "/audit",
    "/onboarding",
]


def test_every_page_fits_a_phone_and_works_with_the_keyboard(browser, world_factory, request):  # noqa: F811
    world = world_factory(products=40)
    add_user(world.settings, world.merchant_id, "phone@world.test")
    world.import_catalog()
    check_prerequisites(world)
    upgrade(world)
    tee_template(world, sales_warehouse(world))
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    with serve(create_app(world.settings)) as base:
        page.goto(f"{base}/login")
        page.get_by_label("Email").fill("phone@world.test")
        page.get_by_label("Password").fill("correct horse battery")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/dashboard")

        # Keyboard only: the skip link, then Tab to Bulk Upload and Enter; the confirmation is accepted.
        page.on("dialog", lambda dialog: dialog.accept())
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to content"
        upload = page.get_by_role("button", name="Bulk Upload")
        for _ in range(60):
            page.keyboard.press("Tab")
            if upload.evaluate("button => button === document.activeElement"):
                break
        else:
            pytest.fail("Bulk Upload cannot be reached with Tab")
        page.keyboard.press("Enter")
        page.get_by_role("status").filter(has_text="on their way").wait_for()  # the notice after the redirect
        assert "on their way to TikTok" in page.get_by_role("status").first.inner_text()
        run_jobs(world)

        product = page.request.get(f"{base}/api/v1/products?status=reviewing&limit=1").json()["items"][0]["id"]
        db = request.node.callspec.id
        for path in [*PAGES, f"/products/{product}"]:
            page.goto(f"{base}{path}")
            assert page.locator("h1").count() == 1, path
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{path} is {width}px wide on a 375px screen"
            name = path.strip("/").replace("/", "-") or "home"
            screenshot(page, f"phone-{name}-{db}")
    context.close()
