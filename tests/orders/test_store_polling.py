"""Polling is the baseline, webhooks only speed it up: with the store sending no webhooks at all (the
sandbox has no app webhook address and the connection subscribed to nothing), the periodic store poll
still carries a shipment's tracking to TikTok and a cancellation made in the store admin to TikTok."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.orders.helpers import advance, http, live_skus, live_world, ok, orders, place, poll, run_jobs, tiktok_orders
from tests.support.world import SHOP
from tokbridge.db.engine import session_scope
from tokbridge.inbox.models import InboundEvent
from tokbridge.jobs.service import enqueue
from tokbridge.orders import service


def _poll_stores(world) -> None:
    """What the periodic system job does, right now: one store poll per merchant, then those polls."""
    with session_scope(world.engine) as session:
        enqueue(session, service.POLL_STORES_JOB, merchant_id=None)
    run_jobs(world)


def test_without_webhooks_the_poll_ships_and_cancels(world_factory):
    world = live_world(world_factory)
    assert world.shopify_control("GET", "/sandbox/webhooks")["app_webhook_uri"] == ""
    first, second = live_skus(world)[:2]
    shipped = place(world, [{"sku_id": first["sku_id"], "quantity": 1}])
    cancelled = place(world, [{"sku_id": second["sku_id"], "quantity": 1}])
    advance(world, 120)
    advance(world, 3600)
    poll(world)
    by_tiktok_id = {order.tiktok_order_id: order for order in orders(world)}
    assert {by_tiktok_id[shipped["id"]].store_sync, by_tiktok_id[cancelled["id"]].store_sync} == {"created"}

    # In the store admin: one order fulfilled with tracking, the other cancelled.
    shipped_in_store = by_tiktok_id[shipped["id"]].store_order_id.rsplit("/", 1)[-1]
    cancelled_in_store = by_tiktok_id[cancelled["id"]].store_order_id.rsplit("/", 1)[-1]
    ok(
        http(world.shopify_url).post(
            f"/sandbox/shops/{SHOP}/orders/{shipped_in_store}/fulfill",
            json={"company": "USPS", "number": "9400111899223197428777"},
        )
    )
    ok(
        http(world.shopify_url).post(
            f"/sandbox/shops/{SHOP}/orders/{cancelled_in_store}/cancel", json={"reason": "CUSTOMER"}
        )
    )
    run_jobs(world)
    assert tiktok_orders(world)[shipped["id"]].get("tracking_number") is None  # no webhook: nothing yet
    assert tiktok_orders(world)[cancelled["id"]]["status"] != "CANCELLED"

    _poll_stores(world)
    assert tiktok_orders(world)[shipped["id"]]["tracking_number"] == "9400111899223197428777"
    assert tiktok_orders(world)[cancelled["id"]]["status"] == "CANCELLED"
    by_tiktok_id = {order.tiktok_order_id: order for order in orders(world)}
    assert by_tiktok_id[cancelled["id"]].store_cancelled

    _poll_stores(world)  # nothing changed since: nothing is sent again, nothing fails
    assert tiktok_orders(world)[shipped["id"]]["tracking_number"] == "9400111899223197428777"
    with session_scope(world.engine) as session:
        assert session.scalar(select(func.count()).select_from(InboundEvent)) == 0  # not one webhook came
