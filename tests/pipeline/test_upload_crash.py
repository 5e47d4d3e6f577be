"""A worker killed in the middle of a bulk upload: after another worker takes over, every product is
on TikTok exactly once. SQLite with the embedded queue, and PostgreSQL with Redis."""

from __future__ import annotations

import signal
from collections import Counter

import pytest

from tests.pipeline.helpers import (
    check_prerequisites,
    jobs,
    listings,
    request,
    sales_warehouse,
    tee_template,
    upgrade,
)
from tests.support.waiting import wait_for
from tests.support.workers import start_worker, stop
from tokbridge.jobs import queue
from tokbridge.listings import service
from tokbridge.listings.models import ListingStatus


@pytest.fixture
def crash_world(world_factory, request):
    env = {"JOB_LEASE_SECONDS": "4", "JOB_MAINTENANCE_SECONDS": "0.5", "WORKER_THREADS": "2"}
    if "postgresql" in request.getfixturevalue("database_url"):
        env.update(
            {"REDIS_URL": request.getfixturevalue("redis_url"), "QUEUE_NAME": request.getfixturevalue("redis_prefix")}
        )
    # Every TikTok answer takes a little while, so the kill lands in the middle of the upload.
    world = world_factory(products=400, tiktok={"fault_slow_rate": 1.0, "slow_seconds": 0.03}, env=env)
    yield world, env
    queue.flush(world.settings)


@pytest.mark.slow
def test_bulk_upload_survives_a_killed_worker(crash_world):
    world, env = crash_world
    world.import_catalog()
    upgrade(world)
    check_prerequisites(world)
    warehouse = sales_warehouse(world)
    tee_template(world, warehouse)
    tee_template(
        world,
        warehouse,
        name="Hoodies",
        priority=200,
        selection={"match": "all", "rules": [{"field": "product_type", "operator": "equals", "value": "Hoodies"}]},
        category={"id": "9601303", "version": "v2"},
    )
    _job, queued = request(world, service.request_upload)
    assert queued >= 10

    def upload_job():
        return jobs(world, "listings.upload")[-1]

    first = start_worker(env)
    second = None
    try:
        wait_for(lambda: upload_job().progress_done >= 4, timeout=90, what="the first worker to upload a few")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert upload_job().state == "running" and upload_job().progress_done < queued
        second = start_worker(env)
        wait_for(lambda: upload_job().state == "succeeded", timeout=180, what="the second worker to finish")
    finally:
        stop(first, second)

    # The killed attempt had made progress, so it gave its attempt back; a takeover never exceeds the budget.
    assert 1 <= upload_job().attempts <= upload_job().max_attempts
    rows = listings(world)
    assert not [row for row in rows if row.status == ListingStatus.IN_PROGRESS]
    on_tiktok = world.tiktok_control("GET", "/sandbox/products")["products"]
    external_ids = Counter(p["external_product_id"] for p in on_tiktok)
    assert max(external_ids.values()) == 1  # no product was created twice
    assert {p["id"] for p in on_tiktok} == {row.tiktok_product_id for row in rows if row.tiktok_product_id}
