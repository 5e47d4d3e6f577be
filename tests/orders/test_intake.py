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


def test_unknown_sku_fails_with_the_reason_and_is_retried_after_linking(world_factory):
    from sqlalchemy import update

    from tests.orders.helpers import as_merchant
    from tokbridge.db.engine import session_scope
    from tokbridge.listings.models import ListingSku
    from tokbridge.orders import service

    world = live_world(world_factory)
    sku = live_skus(world)[0]
    with session_scope(world.engine) as session:  # the SKU is not linked (yet)
        session.execute(
            update(ListingSku).where(ListingSku.tiktok_sku_id == sku["sku_id"]).values(tiktok_sku_id="unlinked")
        )
    place(world, [{"sku_id": sku["sku_id"], "quantity": 1}])
    advance(world, 120)
    advance(world, 3600)
    poll(world)
    [order] = orders(world)
    assert order.status == "failed" and "Unknown SKU" in order.failure_reason and store_orders(world) == []

    with session_scope(world.engine) as session:  # linked now
        session.execute(
            update(ListingSku).where(ListingSku.tiktok_sku_id == "unlinked").values(tiktok_sku_id=sku["sku_id"])
        )
    as_merchant(world, service.retry, order.id)
    run_jobs(world)
    [order] = orders(world)
    assert order.status == "awaiting_shipment" and order.store_sync == "created" and len(store_orders(world)) == 1


def test_orders_over_the_plan_limit_wait_and_come_in_after_an_upgrade(world_factory, monkeypatch):
    import json

    from tests.orders.helpers import upgrade
    from tokbridge.billing.plans import available_plans

    world = live_world(world_factory)
    plans = [
        {"code": "tiny", "name": "Tiny", "monthly_amount": "0", "product_limit": 1000, "order_limit": 1},
        {"code": "scale", "name": "Scale", "monthly_amount": "1", "product_limit": 100000, "order_limit": 100},
    ]
    monkeypatch.setenv("PLANS", json.dumps(plans))
    available_plans.cache_clear()
    try:
        upgrade(world, "tiny")
        skus = live_skus(world)
        for sku in skus[:3]:
            place(world, [{"sku_id": sku["sku_id"], "quantity": 1}])
        advance(world, 120)
        advance(world, 3600)
        poll(world)
        found = orders(world)
        assert sorted(o.store_sync for o in found) == ["created", "waiting_for_plan", "waiting_for_plan"]
        assert all("Waiting for the plan" in o.failure_reason for o in found if o.store_sync == "waiting_for_plan")
        assert len(store_orders(world)) == 1  # kept, not lost, not sent

        upgrade(world, "scale")  # the upgrade brings them in
        run_jobs(world)
        assert {o.store_sync for o in orders(world)} == {"created"} and len(store_orders(world)) == 3
    finally:
        available_plans.cache_clear()


def test_stale_and_repeated_updates_are_ignored(world_factory):
    from tests.orders.helpers import as_merchant
    from tokbridge.channels.connections import ConnectionRepository
    from tokbridge.db.engine import session_scope
    from tokbridge.orders import service
    from tokbridge.tenancy.scoping import bind_merchant

    world = live_world(world_factory)
    sku = live_skus(world)[0]
    place(world, [{"sku_id": sku["sku_id"], "quantity": 1}])
    advance(world, 120)
    advance(world, 3600)
    poll(world)
    [order] = orders(world)
    newer = dict(order.raw)
    older = {**newer, "status": "ON_HOLD", "update_time": newer["update_time"] - 10}
    with session_scope(world.engine) as session:
        bind_merchant(session, world.merchant_id)
        connection = ConnectionRepository(session).get(world.tiktok_connection_id)
        assert service.apply_tiktok_order(session, connection, older).stale
        same_second_earlier = {**newer, "status": "ON_HOLD"}
        assert service.apply_tiktok_order(session, connection, same_second_earlier).stale
    [order] = orders(world)
    assert order.tiktok_status == "AWAITING_SHIPMENT" and order.status == "awaiting_shipment"
    assert as_merchant(world, service.status_counts)["awaiting_shipment"] == 1


def test_an_order_the_store_keeps_refusing_is_failed_with_the_reason_then_retried(world_factory):
    """Shopify answers 503 to every call: the order's job retries, and once its attempts are used up the
    order is Failed with the reason (not left pending where nobody sees it); Retry brings it in."""
    from sqlalchemy import update

    from tests.orders.helpers import as_merchant
    from tokbridge.db.base import utcnow
    from tokbridge.db.engine import session_scope
    from tokbridge.jobs.models import Job
    from tokbridge.orders import service

    world = live_world(world_factory)
    sku = live_skus(world)[0]
    world.shopify_control("PUT", "/sandbox/faults", {"error_rate": 1.0, "error_status": 503})
    place(world, [{"sku_id": sku["sku_id"], "quantity": 1}])
    advance(world, 120)
    advance(world, 3600)
    poll(world)
    [order] = orders(world)
    assert order.store_sync == "pending" and store_orders(world) == []  # retrying

    with session_scope(world.engine) as session:  # its last attempt is due now
        session.execute(
            update(Job)
            .where(Job.kind == service.TO_STORE_JOB, Job.state == "queued")
            .values(max_attempts=Job.attempts + 1, next_run_at=utcnow())
        )
    run_jobs(world)
    [order] = orders(world)
    assert order.store_sync == "failed" and order.status == "failed"
    assert order.failure_reason.startswith("TokBridge could not create the order in your store: ")
    assert "Retry it from the order page." in order.failure_reason

    world.shopify_control("DELETE", "/sandbox/faults")
    as_merchant(world, service.retry, order.id)
    run_jobs(world)
    [order] = orders(world)
    assert order.store_sync == "created" and len(store_orders(world)) == 1


def test_a_uk_buyer_reaches_the_store_and_an_unknown_country_fails_in_plain_words(world_factory):
    """TikTok writes the United Kingdom "UK" where Shopify's CountryCode is "GB"; a region Shopify has no
    country for fails the order with words a merchant understands, again on Retry, and creates nothing."""
    from tests.orders.helpers import as_merchant
    from tokbridge.orders import service

    world = live_world(world_factory)
    sku = live_skus(world)[0]
    uk = place(world, [{"sku_id": sku["sku_id"], "quantity": 1}])
    nowhere = place(world, [{"sku_id": sku["sku_id"], "quantity": 1}])
    placed = world.tiktok_sandbox.state.orders  # the buyers' addresses as TikTok holds them
    placed[uk["id"]].recipient = {**placed[uk["id"]].recipient, "region_code": "UK"}
    placed[nowhere["id"]].recipient = {**placed[nowhere["id"]].recipient, "region_code": "QQ"}
    advance(world, 120)
    advance(world, 3600)
    poll(world)

    ours = {o.tiktok_order_id: o for o in orders(world)}
    in_store = {o["source_identifier"]: o for o in store_orders(world)}
    assert ours[uk["id"]].store_sync == "created"
    assert in_store[uk["id"]]["shipping_address"]["country_code"] == "GB"
    failed = ours[nowhere["id"]]
    assert failed.status == "failed" and nowhere["id"] not in in_store
    assert "country" in failed.failure_reason and "QQ" not in failed.failure_reason
    assert "countryCode" not in failed.failure_reason and "region_code" not in failed.failure_reason

    as_merchant(world, service.retry, failed.id)
    run_jobs(world)
    again = {o.tiktok_order_id: o for o in orders(world)}[nowhere["id"]]
    assert again.status == "failed" and again.failure_reason == failed.failure_reason
    assert len(store_orders(world)) == 1
