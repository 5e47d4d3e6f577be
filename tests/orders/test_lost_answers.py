"""Writes whose answer was lost after the platform acted: TokBridge repeats them without doing them twice.
The sandboxes act, then drop the answer (5xx), never answer (the client times out) or answer late."""

from __future__ import annotations

from sqlalchemy import update

from tests.orders.helpers import (
    advance,
    http,
    live_skus,
    live_world,
    ok,
    orders,
    place,
    poll,
    run_jobs,
    shipments,
    store_orders,
    tiktok_orders,
)
from tests.orders.test_returns import _complete_return, _sold_and_delivered, _store_available
from tests.support.world import SHOP
from tokbridge.db.base import utcnow
from tokbridge.db.engine import session_scope
from tokbridge.jobs.models import Job
from tokbridge.jobs.service import enqueue
from tokbridge.orders import service
from tokbridge.tenancy.scoping import bind_merchant

# Short client timeouts, so a sandbox that holds its answer a little longer is a timeout to TokBridge.
QUICK_TIMEOUTS = {"TIKTOK_TIMEOUT_SECONDS": "2", "SHOPIFY_REQUEST_TIMEOUT_SECONDS": "2"}
HELD_ANSWER_SECONDS = 2.5  # longer than those


def _retries_due(world, rounds: int = 6) -> None:
    """Run the jobs, then their retries as if their back-off had passed, until none is left waiting."""
    run_jobs(world)
    for _ in range(rounds):
        with session_scope(world.engine) as session:
            waiting = session.execute(update(Job).where(Job.state == "queued").values(next_run_at=utcnow())).rowcount
        if not waiting:
            return
        run_jobs(world)


def _awaiting_shipment(world, sku: dict) -> dict:
    placed = place(world, [{"sku_id": sku["sku_id"], "quantity": 1}])
    advance(world, 120)
    advance(world, 3600)
    return placed


def test_an_order_created_in_the_store_whose_answer_was_lost_is_created_once(world_factory):
    world = live_world(world_factory, env=QUICK_TIMEOUTS)
    sku = live_skus(world)[0]
    for kind in ("drop_answer", "timeout_answer", "delay_answer"):
        world.shopify_control(
            "PUT",
            "/sandbox/faults",
            {"answer_script": [kind], "timeout_seconds": HELD_ANSWER_SECONDS, "delay_seconds": 0.1},
        )
        placed = _awaiting_shipment(world, sku)
        poll(world)
        _retries_due(world)
        ours = {o.tiktok_order_id: o for o in orders(world)}[placed["id"]]
        assert ours.store_sync == "created", (kind, ours.failure_reason)
        in_store = [o for o in store_orders(world) if o["source_identifier"] == placed["id"]]
        assert len(in_store) == 1, kind
        assert ours.store_order_id == in_store[0]["admin_graphql_api_id"]
        assert world.shopify_control("GET", "/sandbox/faults")["answer_script"] == []  # the fault did strike
    poll(world)  # seen again: nothing more
    assert len(store_orders(world)) == 3


def test_a_shipment_whose_answer_was_lost_is_marked_on_tiktok_once(world_factory):
    world = live_world(world_factory, env=QUICK_TIMEOUTS)
    sku = live_skus(world)[0]
    for n, kind in enumerate(("drop_answer", "timeout_answer")):
        placed = _awaiting_shipment(world, sku)
        poll(world)
        order = {o.tiktok_order_id: o for o in orders(world)}[placed["id"]]
        number = f"94001118992231974285{n:02d}"
        store_order_id = order.store_order_id.rsplit("/", 1)[-1]
        ok(
            http(world.shopify_url).post(
                f"/sandbox/shops/{SHOP}/orders/{store_order_id}/fulfill", json={"company": "USPS", "number": number}
            )
        )
        world.tiktok_control(
            "POST",
            "/sandbox/faults",
            {
                "timeout_seconds": HELD_ANSWER_SECONDS,
                "queue": [{"kind": kind, "path": "/fulfillment/202309/orders/{order_id}/packages"}],
            },
        )
        with session_scope(world.engine) as session:
            enqueue(
                bind_merchant(session, world.merchant_id),
                service.SHIP_JOB,
                merchant_id=world.merchant_id,
                payload={"order_id": order.id},
            )
        _retries_due(world)
        assert world.tiktok_control("POST", "/sandbox/faults", {})["queued"] == []  # the fault did strike
        shipped = tiktok_orders(world)[placed["id"]]
        assert shipped["status"] == "IN_TRANSIT" and shipped["tracking_number"] == number, kind
        [shipment] = [s for s in shipments(world) if s.order_id == order.id]
        assert shipment.state == "sent" and shipment.last_error is None, kind
        assert len(shipped["packages"]) == 1, kind  # one package, shipped once
        assert shipment.tiktok_package_id == shipped["packages"][0]["id"], kind  # kept for later tracking changes


def test_a_restock_whose_answer_was_lost_is_applied_once(world_factory):
    world = live_world(world_factory, env=QUICK_TIMEOUTS)
    sku = next(s for s in live_skus(world) if s["seller_sku"])
    placed, _order, after_sale = _sold_and_delivered(
        world, [{"sku_id": sku["sku_id"], "quantity": 2}], "9400111899223197428477"
    )
    world.shopify_control(
        "PUT",
        "/sandbox/faults",
        {"answer_script": ["drop_answer", "timeout_answer"], "timeout_seconds": HELD_ANSWER_SECONDS},
    )
    _complete_return(world, placed)
    _retries_due(world)
    assert world.shopify_control("GET", "/sandbox/faults")["answer_script"] == []  # both faults struck
    assert _store_available(world, sku["seller_sku"]) == after_sale[sku["seller_sku"]] + 2


def test_orders_under_answer_faults_by_rate_reach_the_store_once_each(world_factory):
    world = live_world(world_factory, env=QUICK_TIMEOUTS)
    skus = live_skus(world)
    world.shopify_control(
        "PUT", "/sandbox/faults", {"drop_answer_rate": 0.4, "delay_answer_rate": 0.1, "delay_seconds": 0.1, "seed": 7}
    )
    placed = [place(world, [{"sku_id": skus[n % len(skus)]["sku_id"], "quantity": 1}])["id"] for n in range(8)]
    advance(world, 120)
    advance(world, 3600)
    poll(world)
    _retries_due(world, rounds=10)
    sources = [o["source_identifier"] for o in store_orders(world)]
    assert sorted(sources) == sorted(placed)  # every order once, none twice
    assert all(o.store_sync == "created" for o in orders(world))
