"""Products and Orders with real rows on a 375-pixel-wide phone (issue #12): nothing scrolls sideways, neither
the page nor the tables (a row's cells stack instead)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot
from tests.conftest import add_user
from tests.orders.helpers import live_skus, live_world, place, poll
from tests.support.live_server import serve
from tests.support.world import world_factory  # noqa: F401  (fixture)
from tokbridge.web.app import create_app

pytestmark = pytest.mark.browser

WIDTH = 375


def test_products_and_orders_fit_a_phone(browser, world_factory, request):  # noqa: F811
    world = live_world(world_factory, products=30)
    skus = live_skus(world)
    for sku in skus[:3]:
        place(world, [{"sku_id": sku["sku_id"], "quantity": 1}])
    poll(world)
    add_user(world.settings, world.merchant_id, "phone@world.test")
    context = browser.new_context(viewport={"width": WIDTH, "height": 740})
    page = context.new_page()
    with serve(create_app(world.settings)) as base:
        page.goto(f"{base}/login")
        page.get_by_label("Email").fill("phone@world.test")
        page.get_by_label("Password").fill("correct horse battery")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/dashboard")
        for path, rows in (
            ("/products", "[data-product-id]"),
            ("/orders", "[data-order-id]"),
            ("/products?status=failed", "[data-product-id]"),
        ):
            page.goto(f"{base}{path}")
            assert page.locator(rows).count() > 0, path
            wide = page.evaluate("""() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)""")
            screenshot(page, f"narrow-{path.strip('/').replace('?', '-').replace('=', '-')}-{request.node.callspec.id}")
            assert wide <= WIDTH, f"{path} is {wide}px wide on a {WIDTH}px screen"
            # Nothing sticks out of the screen.
            overflowing = page.evaluate(
                """(limit) => [...document.querySelectorAll('main *')]
                .filter(e => e.getBoundingClientRect().right > limit + 1 && !e.closest('.table-wrap'))
                .map(e => e.tagName + '.' + e.className).slice(0, 5)""",
                WIDTH,
            )
            assert not overflowing, (path, overflowing)
            # ... and the rows themselves fit: status and total are read without scrolling the table.
            hidden = page.evaluate("""() => [...document.querySelectorAll('.table-wrap')]
                .filter(box => box.scrollWidth > box.clientWidth + 1).length""")
            assert hidden == 0, f"{path}: a table is wider than the screen"
    context.close()
