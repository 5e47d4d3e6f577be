"""Chaos: PostgreSQL and Redis, two worker processes, 10-20 % of both platforms' answers faulty in every way
the sandboxes offer, and a worker killed by SIGKILL in the middle. A bulk upload and a stream of TikTok
orders to the store must finish with nothing lost, nothing duplicated, every status equal to the
sandboxes' truth, and the jobs finished with the default settings: the killed worker's jobs are taken over
once their lease runs out (30 s, renewed by a live worker's heartbeat), with no setting of TokBridge's
shortened for the test (the sandboxes' fault timings are the fake platforms', not ours)."""

from __future__ import annotations

import random
import signal
from collections import Counter

import pytest
from sqlalchemy import select

from tests.orders.helpers import PRODUCT_TYPES, advance, http, live_skus, ok, place, store_orders, tiktok_orders
from tests.pipeline.helpers import (
    check_prerequisites,
    jobs,
    listings,
    run_jobs,
    sales_warehouse,
    tee_template,
    upgrade,
)
from tests.pipeline.helpers import request as as_merchant
from tests.support.live_server import free_port, serve
from tests.support.waiting import wait_for
from tests.support.workers import start_worker, stop
from tests.support.world import world_factory  # noqa: F401  (fixture)
from tokbridge.config import Settings
from tokbridge.db.engine import session_scope
from tokbridge.jobs import queue
from tokbridge.listings import service as listings_service
from tokbridge.listings.models import ListingStatus
from tokbridge.orders.models import Order
from tokbridge.tenancy.scoping import bind_merchant
from tokbridge.web.app import create_app

# Every fault kind the sandboxes offer, as (sandbox, fault setting, share of answers). More kinds are more
# entries; each sandbox's shares add up to 10-20 %.
FAULTS = [
    ("tiktok", "error_rate", 0.05),  # 500, "internal error"
    ("tiktok", "throttle_rate", 0.04),  # 429
    ("tiktok", "timeout_rate", 0.03),  # TikTok's gateway gives up: 504 after `timeout_seconds`
    ("tiktok", "slow_rate", 0.04),  # answered after `slow_seconds`
    ("shopify", "error_rate", 0.08),  # 503
    ("shopify", "throttle_rate", 0.04),  # 429 with Retry-After
    ("shopify", "timeout_rate", 0.03),  # 504 after `timeout_seconds`
]
FAULT_TIMINGS = {
    "tiktok": {"timeout_seconds": 1.0, "slow_seconds": 0.3},
    "shopify": {"timeout_seconds": 1.0, "retry_after": "0.5"},
}
ORDERS = 40
LIVE_TYPES = ["T-Shirts", "Hoodies", "Sneakers"]  # live before the chaos; the other types are uploaded during it


@pytest.fixture
def database_url(request) -> str:
    """PostgreSQL only: the distributed set-up, with Redis for the queue and the rate limits."""
    return request.getfixturevalue("postgres_url")


def _selection(types: list[str]) -> dict:
    return {"match": "any", "rules": [{"field": "product_type", "operator": "equals", "value": t} for t in types]}


def _set_faults(world) -> None:
    settings = {"tiktok": dict(FAULT_TIMINGS["tiktok"]), "shopify": dict(FAULT_TIMINGS["shopify"])}
    for sandbox, name, share in FAULTS:
        settings[sandbox][name] = share
    for sandbox in settings:
        shares = sum(share for name, share in settings[sandbox].items() if name.endswith("_rate"))
        assert 0.10 <= shares <= 0.20, (sandbox, shares)
    ok(http(world.tiktok_url).post("/sandbox/faults", json=settings["tiktok"]))
    ok(http(world.shopify_url).put("/sandbox/faults", json=settings["shopify"]))


@pytest.fixture
def chaos_world(world_factory, request):  # noqa: F811  (the imported fixture)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "BASE_URL": base,
        "REDIS_URL": request.getfixturevalue("redis_url"),
        "QUEUE_NAME": request.getfixturevalue("redis_prefix"),
        # Our client's limiter as deployed (the functional tests keep it out of the way).
        "TIKTOK_RATE_LIMIT_PER_SECOND": "50",
        "TIKTOK_RATE_LIMIT_BURST": "5",
    }
    world = world_factory(
        products=120,
        env=env,
        tiktok={"webhook_url": f"{base}/webhooks/tiktok", "on_hold_seconds": 3600},
        shopify={"app_webhook_uri": f"{base}/webhooks/shopify", "bucket_size": 100000, "restore_rate": 10000},
    )
    # Products of three types live on TikTok, set up in this process before the chaos.
    upgrade(world)
    world.import_catalog()
    check_prerequisites(world)
    warehouse = sales_warehouse(world)
    tee_template(world, warehouse, selection=_selection(LIVE_TYPES))
    as_merchant(world, listings_service.request_upload)
    _run_until_finished(world, "listings.upload")
    advance(world, 120)  # TikTok's review
    as_merchant(world, lambda session, merchant_id: listings_service.request_status_sync(session, merchant_id))
    _run_until_finished(world, "listings.sync_shop")
    # The rest of the catalog gets a template of its own: the bulk upload sent during the chaos.
    tee_template(
        world,
        warehouse,
        name="Everything else",
        priority=50,
        selection=_selection([t for t in PRODUCT_TYPES if t not in LIVE_TYPES]),
    )
    with serve(create_app(world.settings, embedded_worker=False), port=port):
        yield world, env
    queue.flush(world.settings)


def _run_until_finished(world, kind: str) -> None:
    """Run jobs in this thread until the set-up job of `kind` is finished: our rate limiter sends it back
    to the queue for a moment now and then, so "no job due right now" does not mean done."""

    def finished():
        run_jobs(world)
        return all(job.state in ("succeeded", "failed", "cancelled") for job in jobs(world, kind))

    wait_for(finished, timeout=90, what=f"the set-up's {kind} to finish")
    assert all(job.state == "succeeded" for job in jobs(world, kind))


def _worker_holding(job, workers):
    pid = int(job.worker_id.split(":")[1])
    return next(worker for worker in workers if worker.pid == pid)


@pytest.mark.slow
def test_upload_and_orders_survive_faults_of_every_kind_and_a_killed_worker(chaos_world):
    world, env = chaos_world
    rng = random.Random(19)
    skus = live_skus(world)
    assert len(skus) >= 10
    _set_faults(world)
    workers = [start_worker(env), start_worker(env)]
    try:
        _job, queued = as_merchant(world, listings_service.request_upload)
        assert queued >= 30

        def upload():
            return jobs(world, "listings.upload")[-1]

        placed = []
        for _ in range(ORDERS // 2):
            sku = rng.choice(skus)
            placed.append(place(world, [{"sku_id": sku["sku_id"], "quantity": 1}])["id"])
        advance(world, 120)  # paid: on hold
        advance(world, 3600)  # out of the remorse window: awaiting shipment, to the store

        # Kill the worker that holds the upload in the middle of it.
        running = wait_for(
            lambda: (job := upload()).state == "running" and job.progress_done >= 1 and job,
            timeout=60,
            what="the upload to be under way",
        )
        assert running.progress_done < queued
        killed = _worker_holding(running, workers)
        killed.send_signal(signal.SIGKILL)
        killed.wait(10)
        workers.remove(killed)

        for _ in range(ORDERS - len(placed)):
            sku = rng.choice(skus)
            placed.append(place(world, [{"sku_id": sku["sku_id"], "quantity": 1}])["id"])
        advance(world, 120)
        advance(world, 3600)

        finished = wait_for(
            lambda: (job := upload()).state != "running" and job.state != "queued" and job,
            timeout=120,
            what="the other worker to finish the upload",
        )
        assert finished.state == "succeeded", finished.last_error
        assert finished.attempts <= finished.max_attempts == Settings.model_fields["job_max_attempts"].default

        def every_order_in_the_store_once():
            counts = Counter(o["source_identifier"] for o in store_orders(world))
            return set(counts) == set(placed) and counts

        counts = wait_for(every_order_in_the_store_once, timeout=120, what=f"{ORDERS} orders in the store")
        assert max(counts.values()) == 1  # none duplicated

        # TikTok's review of the new products, read back with Sync Shop Status, under the same faults.
        advance(world, 120)
        as_merchant(world, lambda session, merchant_id: listings_service.request_status_sync(session, merchant_id))
        synced = wait_for(
            lambda: (job := jobs(world, "listings.sync_shop")[-1]).state not in ("queued", "running") and job,
            timeout=90,
            what="Sync Shop Status",
        )
        assert synced.state == "succeeded", synced.last_error
    finally:
        stop(*workers)

    # Listings: every product on TikTok bound once, none lost, statuses as TikTok has them.
    on_tiktok = world.tiktok_control("GET", "/sandbox/products")["products"]
    assert max(Counter(p["external_product_id"] for p in on_tiktok).values()) == 1
    rows = listings(world)
    bound = {row.tiktok_product_id: row for row in rows if row.tiktok_product_id}
    assert set(bound) == {p["id"] for p in on_tiktok}
    expected = {"ACTIVATE": ListingStatus.LIVE, "FAILED": ListingStatus.FAILED, "PENDING": ListingStatus.REVIEWING}
    assert {p["id"]: expected[p["status"]] for p in on_tiktok} == {tid: row.status for tid, row in bound.items()}
    assert not [row for row in rows if row.status == ListingStatus.IN_PROGRESS]
    for row in rows:
        if row.status == ListingStatus.FAILED and not row.tiktok_product_id:
            assert row.last_error.startswith("TikTok refused"), row.last_error

    # Orders: each in the store once, bound to that store order, with TikTok's status.
    truth = tiktok_orders(world)
    store_ids = {o["source_identifier"]: o["id"] for o in store_orders(world)}
    with session_scope(world.engine) as session:
        bind_merchant(session, world.merchant_id)
        ours = {o.tiktok_order_id: o for o in session.scalars(select(Order))}
    assert set(ours) == set(placed)
    for tiktok_id in placed:
        assert ours[tiktok_id].tiktok_status == truth[tiktok_id]["status"] == "AWAITING_SHIPMENT"
        assert ours[tiktok_id].store_order_id == f"gid://shopify/Order/{store_ids[tiktok_id]}"
