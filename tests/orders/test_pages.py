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
    assert 'data-testid="order-ship"' not in page.text  # an order in the store ships from the store
    bad = client.post(
        f"/orders/{ours[first['id']].id}/cancel", data={"csrf_token": csrf(page.text), "reason": "made_up_reason"}
    )
    assert "Choose one of the reasons" in bad.text  # refused with what to do, nothing sent
    no_token = client.post(
        f"/orders/{ours[first['id']].id}/cancel", data={"reason": "seller_cancel_reason_out_of_stock"}
    )
    assert no_token.status_code == 403
    done = client.post(
        f"/orders/{ours[first['id']].id}/cancel",
        data={"csrf_token": csrf(page.text), "reason": "seller_cancel_reason_out_of_stock"},
    )
    assert "Cancelling on TikTok" in done.text
    run_jobs(world)
    assert tiktok_orders(world)[first["id"]]["status"] == "CANCELLED"
    assert tiktok_orders(world)[second["id"]]["status"] == "AWAITING_SHIPMENT"
    assert "Cancelled" in client.get(f"/orders/{ours[first['id']].id}").text

    settings = client.get("/settings/orders")
    saved = client.post(
        "/settings/orders",
        data={
            "csrf_token": csrf(settings.text),
            "restock_on_cancel": "1",
            "unknown_sku": "custom_line",
            "carrier_map": "My Courier = UPS",
        },
    )
    assert "Order settings saved" in saved.text and "My Courier = UPS" in saved.text
    broken = client.post(
        "/settings/orders",
        data={"csrf_token": csrf(settings.text), "unknown_sku": "fail", "carrier_map": "no equals sign"},
    )
    assert "Carrier line 1" in broken.text
    assert client.get("/api/v1/settings/orders").json()["carrier_map"] == {"My Courier": "UPS"}
    # This store keeps no order statuses of its own: no mapping shown, none taken.
    assert 'data-testid="state-mapping"' not in settings.text and "<select" not in settings.text
    assert client.get("/api/v1/settings/orders").json()["order_states"] is None
    body = {"restock_on_cancel": True, "restock_on_return": True, "unknown_sku": "fail", "new_order_state": "3"}
    refused = client.put("/api/v1/settings/orders", json=body, headers={"X-CSRF-Token": csrf(settings.text)})
    assert refused.status_code == 422 and "no order statuses" in refused.text, refused.text
    assert client.get("/orders/999999").status_code == 404


RAW_CODES = (
    "AWAITING_SHIPMENT",
    "TO_SHIP",
    "IN_TRANSIT",
    "CANCELLED",
    "BUYER_CANCEL",
    "CANCELLATION_REQUEST",
    "ON_HOLD",
    "UNPAID",
)


def no_raw_codes(html: str) -> None:
    main = html.split("<main", 1)[-1]
    found = [code for code in RAW_CODES if code in main]
    assert found == [], found


def test_an_order_page_shows_buyer_address_timeline_store_link_and_what_was_ordered(site):
    """A kept order: the buyer, TikTok's address, a timeline of what happened and a link to the store order;
    a cancelled one: what was ordered (not "0.00 USD · 0 items") and no advice to ship it. No raw codes."""
    from tests.orders.helpers import http
    from tests.orders.test_shipping import _fulfil_in_store, _ship

    world, client = site
    skus = live_skus(world)
    kept = place(world, [{"sku_id": skus[0]["sku_id"], "quantity": 2}])
    dropped = place(world, [{"sku_id": skus[-1]["sku_id"], "quantity": 1}], buyer_cancels=True)
    advance(world, 120)
    advance(world, 3600)
    poll(world)
    ours = {o.tiktok_order_id: o for o in orders(world)}
    order = ours[kept["id"]]

    page = client.get(f"/orders/{order.id}").text
    assert "Alex Buyer" in page and "5800 Bristol Pkwy" in page and "Suite 100" in page
    store_number = order.store_order_id.rsplit("/", 1)[-1]
    link = re.search(r'href="([^"]+/admin/orders/' + store_number + r')"', page)
    assert link and order.store_order_name in page
    assert (
        order.store_order_name
        in http(link.group(1).split("/shops/")[0]).get("/shops/" + link.group(1).split("/shops/")[1]).text
    )  # the link opens the order in the store admin
    timeline = page.split('data-testid="order-timeline"', 1)[1].split("</section>", 1)[0]
    assert [step in timeline for step in ("Placed", "Paid", f"Created in your store as {order.store_order_name}")] == [
        True,
        True,
        True,
    ]
    assert "2 items" in page and "Fulfil the order in your store" in page
    no_raw_codes(page)

    _fulfil_in_store(world, order, "9400111899223197428502")
    _ship(world, order)
    advance(world, 60)
    poll(world)
    again = client.get(f"/orders/{order.id}").text  # the second look: the shipment added, nothing repeated
    timeline = again.split('data-testid="order-timeline"', 1)[1].split("</section>", 1)[0]
    assert "USPS 9400111899223197428502 sent to TikTok" in timeline and timeline.count("Created in your store") == 1
    assert "Fulfil the order in your store" not in again
    no_raw_codes(again)

    cancelled = ours[dropped["id"]]
    assert cancelled.status == "cancelled"
    page = client.get(f"/orders/{cancelled.id}").text
    summary = page.split('data-testid="order-summary"', 1)[1].split("</section>", 1)[0]
    assert "0 items" not in summary and "1 item" in summary and "1 items" not in summary
    assert "0.00 USD" not in summary
    assert "Not shipped yet" not in page and "Fulfil the order" not in page
    timeline = page.split('data-testid="order-timeline"', 1)[1].split("</section>", 1)[0]
    assert "Cancelled by the buyer" in timeline
    no_raw_codes(page)
    row = client.get("/orders").text.split(f'data-order-id="{cancelled.id}"', 1)[1].split("</tr>", 1)[0]
    assert "1 cancelled" in row and "0.00 USD" not in row

    api = client.get(f"/api/v1/orders/{order.id}").json()
    assert api["buyer_name"] == "Alex Buyer" and api["store_order_url"] == link.group(1)
    assert api["items_ordered"] == 2 and api["timeline"][0]["text"]
