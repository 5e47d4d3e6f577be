"""The order pages over the app (TestClient): empty states, the list and its filter, one order with its
store order and actions, a merchant's cancel with TikTok's reasons, a Failed order retried, and settings."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.conftest import add_user, sign_in
from tests.orders.helpers import advance, live_skus, live_world, orders, place, poll, run_jobs, tiktok_orders
from tokbridge.web.app import create_app


@pytest.fixture
def site(world_factory):
    world = live_world(world_factory)
    add_user(world.settings, world.merchant_id, "clerk@pages.test")
    with TestClient(create_app(world.settings), base_url="http://127.0.0.1") as client:
        sign_in(client, "clerk@pages.test")
        yield world, client


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_orders_pages_list_detail_cancel_and_settings(site):
    world, client = site
    empty = client.get("/orders")
    assert empty.status_code == 200 and 'data-testid="orders-empty"' in empty.text

    skus = live_skus(world)
    first = place(world, [{"sku_id": skus[0]["sku_id"], "quantity": 1}])
    second = place(world, [{"sku_id": skus[-1]["sku_id"], "quantity": 1}])
    advance(world, 120)
    advance(world, 3600)
    poll(world)
    listing = client.get("/orders")
    assert listing.text.count('data-order-id="') == 2 and "Awaiting Shipment" in listing.text
    assert client.get("/orders", params={"status": "cancelled"}).text.count('data-order-id="') == 0

    ours = {o.tiktok_order_id: o for o in orders(world)}
    page = client.get(f"/orders/{ours[first['id']].id}")
    assert ours[first["id"]].store_order_name in page.text and "seller_cancel_reason_out_of_stock" in page.text
    bad = client.post(f"/orders/{ours[first['id']].id}/cancel", data={"csrf_token": csrf(page.text),
                                                                      "reason": "made_up_reason"})
    assert "Choose one of the reasons" in bad.text  # refused with what to do, nothing sent
    no_token = client.post(f"/orders/{ours[first['id']].id}/cancel", data={"reason": "seller_cancel_reason_out_of_stock"})
    assert no_token.status_code == 403
    done = client.post(f"/orders/{ours[first['id']].id}/cancel",
                       data={"csrf_token": csrf(page.text), "reason": "seller_cancel_reason_out_of_stock"})
    assert "Cancelling on TikTok" in done.text
    run_jobs(world)
    assert tiktok_orders(world)[first["id"]]["status"] == "CANCELLED"
    assert tiktok_orders(world)[second["id"]]["status"] == "AWAITING_SHIPMENT"
    assert "Cancelled" in client.get(f"/orders/{ours[first['id']].id}").text

    settings = client.get("/settings/orders")
    saved = client.post("/settings/orders", data={"csrf_token": csrf(settings.text), "restock_on_cancel": "1",
                                                  "unknown_sku": "custom_line", "carrier_map": "My Courier = UPS"})
    assert "Order settings saved" in saved.text and "My Courier = UPS" in saved.text
    broken = client.post("/settings/orders", data={"csrf_token": csrf(settings.text), "unknown_sku": "fail",
                                                   "carrier_map": "no equals sign"})
    assert "Carrier line 1" in broken.text
    assert client.get("/api/v1/settings/orders").json()["carrier_map"] == {"My Courier": "UPS"}
    assert client.get("/orders/999999").status_code == 404
