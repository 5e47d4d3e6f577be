"""The order pipeline end to end, over real HTTP everywhere, on SQLite and on PostgreSQL + Redis.

Live products on TikTok (uploaded and approved through the product pipeline), then the app serving with its
embedded worker and both sandboxes sending signed webhooks to it. TikTok's buyers place 200 orders; webhooks
come again and out of order, and a tenth of both platforms' answers are 5xx. Every order must appear exactly
once in the store; fulfilling 50 store orders must mark them shipped on TikTok with the tracking number and the
mapped carrier; cancellations go both ways (a buyer's request approved in TokBridge, a merchant's cancel from
TokBridge, a cancel in the store admin); and the dashboard's counts must equal the sandboxes' truth."""

from __future__ import annotations

import random
import re
from collections import Counter

import httpx
import pytest

from tests.conftest import add_user
from tests.orders.helpers import advance, http, live_skus, live_world, ok, place, store_orders, tiktok_orders
from tests.support.live_server import free_port, serve
from tests.support.waiting import wait_for
from tests.support.workers import start_worker, stop
from tests.support.world import SHOP, TIKTOK_KEY, TIKTOK_SECRET
from tokbridge.channels.tiktok.webhooks import compute_signature
from tokbridge.orders.status import DASHBOARD_STATUS
from tokbridge.web.app import create_app

ORDERS = 200
SHIPPED = 50
# Spellings stores use -> the TikTok shipping provider (the sandbox's delivery option offers USPS and UPS).
CARRIERS = {"UPS": "UPS", "USPS": "USPS", "United States Postal Service": "USPS", "ups": "UPS"}


@pytest.fixture
def deployment(world_factory, request):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "JOB_MAINTENANCE_SECONDS": "0.5",
        "JOB_RETRY_BASE_SECONDS": "0.2",
        "JOB_RETRY_MAX_SECONDS": "2",
        "JOB_MAX_ATTEMPTS": "20",
        "BASE_URL": base,
    }
    if "postgresql" in request.node.callspec.params.get("database_url", ""):
        env.update(
            {"REDIS_URL": request.getfixturevalue("redis_url"), "QUEUE_NAME": request.getfixturevalue("redis_prefix")}
        )
    world = live_world(
        world_factory,
        products=80,
        env=env,
        tiktok={"webhook_url": f"{base}/webhooks/tiktok", "on_hold_seconds": 3600},
        # Functional, not about pacing: Shopify's leaky bucket kept out of the way (bench/ measures).
        shopify={
            "app_webhook_uri": f"{base}/webhooks/shopify",
            "webhook_duplicate_rate": 0.2,
            "webhook_reorder_rate": 0.2,
            "bucket_size": 100000,
            "restore_rate": 10000,
        },
    )
    # The worker in a process of its own, as deployed: the sandboxes and the app keep this one busy.
    worker = start_worker()
    with serve(create_app(world.settings, embedded_worker=False), port=port):
        add_user(world.settings, world.merchant_id, "clerk@orders.test")
        browser = httpx.Client(base_url=base, timeout=60)
        page = browser.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        browser.post(
            "/login",
            data={
                "email": "clerk@orders.test",
                "password": "correct horse battery",
                "csrf_token": token,
                "next": "/dashboard",
            },
        )
        browser.headers["X-CSRF-Token"] = browser.get("/api/v1/me").json()["csrf_token"]
        try:
            yield world, browser, base
        finally:
            browser.close()
            stop(worker)


def _replay(world, base: str, rng: random.Random) -> int:
    """TikTok's notifications again, a sample of them, newest first: duplicates and out-of-order updates."""
    deliveries = world.tiktok_control("GET", "/sandbox/webhooks")["deliveries"]
    sample = rng.sample(deliveries, min(len(deliveries), 200))
    sample.sort(key=lambda d: -d["body"]["timestamp"])
    key, secret = TIKTOK_KEY, TIKTOK_SECRET
    with httpx.Client(base_url=base, timeout=60) as client:
        for delivery in sample:
            body = httpx.Request("POST", "/", json=delivery["body"]).content
            answer = client.post(
                "/webhooks/tiktok",
                content=body,
                headers={"content-type": "application/json", "authorization": compute_signature(key, secret, body)},
            )
            assert answer.status_code == 200, answer.text
    return len(sample)


def _dashboard_truth(world) -> Counter:
    return Counter(DASHBOARD_STATUS[o["status"]].value for o in tiktok_orders(world).values())


@pytest.mark.slow
@pytest.mark.timeout(1800)  # a loaded machine takes minutes for 200 orders through 10 % of 5xx; the waits allow it
def test_two_hundred_orders_into_the_store_shipped_and_cancelled_both_ways(deployment):
    world, browser, base = deployment
    rng = random.Random(6)
    skus = live_skus(world)
    assert len({s["product_id"] for s in skus}) >= 15, "the template should put enough products live"
    stock = {s["sku_id"]: s["stock"] for s in skus}

    # 5xx on a tenth of both platforms' answers from now on.
    ok(http(world.tiktok_url).post("/sandbox/faults", json={"error_rate": 0.1}))
    ok(http(world.shopify_url).put("/sandbox/faults", json={"error_rate": 0.1}))

    placed = []
    for _ in range(ORDERS):
        candidates = [sku for sku, left in stock.items() if left > 0]
        sku = rng.choice(candidates)
        quantity = min(stock[sku], rng.choice([1, 1, 1, 2]))
        stock[sku] -= quantity
        placed.append(place(world, [{"sku_id": sku, "quantity": quantity}])["id"])
    assert len(set(placed)) == ORDERS
    advance(world, 120)  # paid: on hold, nothing for the store yet
    advance(world, 3600)  # out of the remorse window: awaiting shipment
    _replay(world, base, rng)

    def every_order_in_the_store_once():
        counts = Counter(o["source_identifier"] for o in store_orders(world))
        return set(counts) == set(placed) and max(counts.values()) == 1 and counts

    wait_for(every_order_in_the_store_once, timeout=600, what="200 orders in the store, once each")
    _replay(world, base, rng)  # late duplicates change nothing
    assert sorted(Counter(o["source_identifier"] for o in store_orders(world)).values()) == [1] * ORDERS

    # The merchant fulfils 50 orders in the store, with the carriers stores use.
    by_source = {o["source_identifier"]: o for o in store_orders(world)}
    to_ship = placed[:SHIPPED]
    tracking = {}
    for n, tiktok_id in enumerate(to_ship):
        company = list(CARRIERS)[n % len(CARRIERS)]
        number = f"1ZTB{n:08d}"
        tracking[tiktok_id] = (number, CARRIERS[company])
        store_id = by_source[tiktok_id]["id"]
        ok(
            http(world.shopify_url).post(
                f"/sandbox/shops/{SHOP}/orders/{store_id}/fulfill", json={"company": company, "number": number}
            )
        )
    providers = {p[1]: p[0] for p in _providers(world)}

    def shipped_on_tiktok():
        orders = tiktok_orders(world)
        return all(
            orders[t]["status"] == "IN_TRANSIT"
            and orders[t].get("tracking_number") == tracking[t][0]
            and orders[t].get("shipping_provider_id") == providers[tracking[t][1]]
            for t in to_ship
        )

    wait_for(shipped_on_tiktok, timeout=600, what="50 shipments on TikTok with tracking and carrier")

    # Cancellations: a buyer asks (approved in TokBridge), the merchant cancels from TokBridge, and in the store.
    open_orders = placed[SHIPPED:]
    buyer, merchant, in_store = open_orders[:4], open_orders[4:8], open_orders[8:11]
    for tiktok_id in buyer:
        ok(http(world.tiktok_url).post(f"/sandbox/orders/{tiktok_id}/buyer_cancel"))
    requests = wait_for(
        lambda: len(r := browser.get("/api/v1/orders/cancellations").json()) == len(buyer) and r,
        timeout=300,
        what="the buyers' cancellation requests",
    )
    for request in requests:
        assert browser.post(f"/api/v1/orders/cancellations/{request['id']}/approve").status_code == 202
    ours = {o["tiktok_order_id"]: o for o in browser.get("/api/v1/orders", params={"limit": 200}).json()["items"]}
    for tiktok_id in merchant:
        reasons = browser.get(f"/api/v1/orders/{ours[tiktok_id]['id']}").json()["cancel_reasons"]
        answer = browser.post(
            f"/api/v1/orders/{ours[tiktok_id]['id']}/cancel", json={"reason": "seller_cancel_reason_out_of_stock"}
        )
        assert "seller_cancel_reason_out_of_stock" in reasons and answer.status_code == 202, answer.text
    for tiktok_id in in_store:
        ok(
            http(world.shopify_url).post(
                f"/sandbox/shops/{SHOP}/orders/{by_source[tiktok_id]['id']}/cancel", json={"reason": "INVENTORY"}
            )
        )

    cancelled = set(buyer + merchant + in_store)

    def cancelled_on_both_sides():
        orders = tiktok_orders(world)
        store = {o["source_identifier"]: o for o in store_orders(world)}
        return all(orders[t]["status"] == "CANCELLED" and store[t]["cancelled_at"] for t in cancelled)

    wait_for(cancelled_on_both_sides, timeout=600, what="cancellations on TikTok and in the store")

    def dashboard_matches_truth():
        counts = browser.get("/api/v1/dashboard").json()["orders"]
        truth = _dashboard_truth(world)
        return all(counts[key] == truth.get(key, 0) for key in counts) and (counts, truth)

    counts, _truth = wait_for(dashboard_matches_truth, timeout=300, what="dashboard counts equal to TikTok's")
    assert counts["failed"] == 0 and counts["cancelled"] == len(cancelled)
    assert counts["in_transit"] == SHIPPED and sum(counts.values()) == ORDERS
    sales = browser.get("/api/v1/dashboard", params={"sales_days": 7}).json()["sales"]
    assert sales["orders"] == ORDERS - len(cancelled) and sales["top_products"]


def _providers(world) -> list[tuple[str, str]]:
    state = world.tiktok_sandbox.state
    return list(state.providers.items())
