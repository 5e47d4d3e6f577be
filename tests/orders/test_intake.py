"""TikTok orders into the store, through the periodic search (no webhooks here): statuses, idempotency,
ON_HOLD, unknown SKUs, stale updates."""

from __future__ import annotations

from tests.orders.helpers import advance, live_skus, live_world, orders, place, poll, run_jobs, store_orders


def test_paid_orders_reach_the_store_once_after_the_remorse_window(world_factory):
    world = live_world(world_factory)
    skus = live_skus(world)
    assert len(skus) >= 2
    first = place(world, [{"sku_id": skus[0]["sku_id"], "quantity": 2}, {"sku_id": skus[1]["sku_id"], "quantity": 1}])
    advance(world, 120)  # paid: ON_HOLD for the remorse window
    poll(world)
    [order] = orders(world)
    assert order.tiktok_order_id == first["id"] and order.status == "on_hold" and order.units == 3
    assert store_orders(world) == []  # never while ON_HOLD

    advance(world, 3600)  # released: AWAITING_SHIPMENT
    poll(world)
    poll(world)  # a second search changes nothing
    [order] = orders(world)
    assert order.status == "awaiting_shipment" and order.store_sync == "created"
    [store_order] = store_orders(world)
    assert store_order["source_identifier"] == first["id"]
    assert store_order["admin_graphql_api_id"] == order.store_order_id
    assert sorted(line["quantity"] for line in store_order["line_items"]) == [1, 2]  # one line per SKU
    assert store_order["email"].endswith("@chat.seller.tiktok.com")
    run_jobs(world)
    assert len(store_orders(world)) == 1
