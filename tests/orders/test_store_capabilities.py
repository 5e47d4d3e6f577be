"""Orders by the store's declared capability: a store that accepts outside orders gets the TikTok order
created in it; one that cannot (as Etsy) leaves the order in TokBridge and has its stock lowered instead,
and raised again when the order is cancelled.

The second case runs against the Shopify sandbox over HTTP through a small test-only plugin that wraps the
real Shopify plugin and declares `creates_orders=False`: a real adapter, only its declaration differs."""

from __future__ import annotations

from tests.orders.helpers import (
    KEEPS_ORDERS,
    advance,
    live_skus,
    live_world,
    orders,
    place,
    poll,
    run_jobs,
    store_available,
    store_orders,
)
from tokbridge.channels.base import Capabilities
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.shopify.plugin import PLUGIN as SHOPIFY_PLUGIN
from tokbridge.db.engine import session_scope
from tokbridge.jobs.service import enqueue
from tokbridge.orders import service
from tokbridge.tenancy.scoping import bind_merchant


def test_the_decision_follows_the_declared_capability():
    assert service.creates_orders_in_store(Capabilities(creates_orders=True)) is True
    assert service.creates_orders_in_store(Capabilities(webhooks=True, billing=True)) is False
    assert service.creates_orders_in_store(SHOPIFY_PLUGIN.capabilities) is True


def test_a_store_that_takes_no_outside_orders_keeps_the_order_and_lowers_its_stock(world_factory, store_without_orders):
    world = live_world(world_factory)
    with session_scope(world.engine) as session:
        session.get(ChannelConnection, world.shopify_connection_id).channel = KEEPS_ORDERS
    sku = next(s for s in live_skus(world) if s["stock"] >= 2)
    placed = place(world, [{"sku_id": sku["sku_id"], "quantity": 2}])
    advance(world, 120)  # paid, on hold: TokBridge has it, the store not yet
    poll(world)
    [order] = orders(world)
    assert order.store_sync == "not_yet"
    before = store_available(world, order.id)

    advance(world, 3600)  # past the remorse window: for the store now
    poll(world)
    [order] = orders(world)
    assert (order.store_sync, order.store_order_id, order.last_error) == ("kept", None, None), order.failure_reason
    assert store_orders(world) == []  # nothing was created in the store
    assert store_available(world, order.id) == before - 2
    poll(world)  # seen again: the stock is not lowered twice
    assert store_available(world, order.id) == before - 2

    # The merchant cancels it from TokBridge: cancelled on TikTok, and the stock goes back to the store.
    with session_scope(world.engine) as session:
        enqueue(
            bind_merchant(session, world.merchant_id),
            service.CANCEL_JOB,
            merchant_id=world.merchant_id,
            payload={"order_id": order.id, "reason": "seller_cancel_reason_out_of_stock"},
        )
    run_jobs(world)
    [order] = orders(world)
    assert order.tiktok_status == "CANCELLED" and order.store_cancelled, (order.tiktok_status, order.last_error)
    assert store_available(world, order.id) == before
    assert placed["id"] == order.tiktok_order_id
