"""An order kept in TokBridge (the store takes no outside orders), shipped from its page in a real browser:
the list and the page say the order is kept here and what to do, the merchant picks TikTok's carrier and
enters the tracking number, and TikTok's sandbox shows the package shipped with it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.conftest import add_user
from tests.orders.conftest import store_without_orders  # noqa: F401  (fixture)
from tests.orders.helpers import (
    advance,
    keeping_orders,
    live_skus,
    live_world,
    orders,
    place,
    poll,
    run_jobs,
    tiktok_orders,
)
from tests.support.live_server import serve
from tests.support.world import world_factory  # noqa: F401  (fixture)
from tokbridge.web.app import create_app

pytestmark = pytest.mark.browser

TRACKING = "9400111899223197428900"


def test_a_kept_order_is_shipped_from_its_page(page, world_factory, store_without_orders, request):  # noqa: F811
    world = keeping_orders(live_world(world_factory, products=30))
    sku = live_skus(world)[0]
    placed = place(world, [{"sku_id": sku["sku_id"], "quantity": 1}])
    advance(world, 120)
    advance(world, 3600)
    poll(world)
    [order] = orders(world)
    assert order.store_sync == "kept", order.failure_reason
    add_user(world.settings, world.merchant_id, "kept@world.test")
    with serve(create_app(world.settings)) as base:
        page.goto(f"{base}/login")
        page.get_by_label("Email").fill("kept@world.test")
        page.get_by_label("Password").fill("correct horse battery")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/dashboard")

        page.goto(f"{base}/orders")
        row = page.locator(f'[data-order-id="{order.id}"]')
        expect(row).to_contain_text("Kept in TokBridge (no store order)")
        expect(row).to_contain_text("Ship it from TokBridge")
        row.get_by_role("link", name=placed["id"]).click()

        expect(page.get_by_test_id("order-kept")).to_contain_text("your store takes no outside orders")
        form = page.get_by_test_id("order-ship")
        form.get_by_label("Carrier").select_option("USPS")
        form.get_by_label("Tracking number").fill(TRACKING)
        screenshot(page, f"kept-order-to-ship-{request.node.callspec.id}")
        form.get_by_role("button", name="Mark as shipped").click()
        expect(page.get_by_role("status")).to_contain_text("Sending the shipment")

        run_jobs(world)  # the worker's turn
        page.reload()
        expect(page.locator(".badge").first).to_have_text("In transit")
        expect(page.get_by_test_id("order-ship")).to_contain_text(f"Shipped with USPS {TRACKING}")
        screenshot(page, f"kept-order-shipped-{request.node.callspec.id}")

    shipped = tiktok_orders(world)[placed["id"]]
    assert (shipped["status"], shipped["tracking_number"]) == ("IN_TRANSIT", TRACKING)
    assert len(shipped["packages"]) == 1
