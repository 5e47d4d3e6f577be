"""A bulk upload makes way for urgent work (orders): with an order job waiting for a worker, the upload hands
its thread back at its next product and resumes later from where it stopped, pass after pass, without
sending a product twice or leaving one out. Figures (order latency beside an upload) are bench/fairness.py's."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from tests.orders.helpers import PRODUCT_TYPES
from tests.pipeline.helpers import (
    check_prerequisites,
    jobs,
    listings,
    request,
    sales_warehouse,
    tee_template,
    upgrade,
)
from tokbridge.activity.models import Activity
from tokbridge.db.engine import session_scope
from tokbridge.jobs.models import JobState
from tokbridge.jobs.runner import run_job
from tokbridge.jobs.service import enqueue
from tokbridge.listings import service
from tokbridge.listings.models import ListingStatus


def test_an_upload_hands_its_thread_back_while_order_work_waits_and_resumes_without_redoing(world_factory):
    # Two products at a time, so a pass that hands back has sent only a few; one worker thread, which the
    # upload holds: the order work cannot start until it goes.
    world = world_factory(products=40, env={"UPLOAD_CONCURRENCY": "2", "WORKER_THREADS": "1"})
    upgrade(world)
    world.import_catalog()
    check_prerequisites(world)
    # One template for every product type: the whole catalog goes.
    tee_template(
        world,
        sales_warehouse(world),
        selection={
            "match": "any",
            "rules": [{"field": "product_type", "operator": "equals", "value": kind} for kind in PRODUCT_TYPES],
        },
    )
    _job, queued = request(world, service.request_upload)
    assert queued >= 10
    upload_id = jobs(world, "listings.upload")[-1].id
    # Order work no worker has taken yet: nobody runs it while the upload goes.
    with session_scope(world.engine) as session:
        waiting_order_work = enqueue(
            session, "orders.poll", merchant_id=world.merchant_id, payload={"connection_id": world.tiktok_connection_id}
        ).id

    done_after_each_pass = []
    for _ in range(2):
        assert run_job(world.settings, upload_id) == JobState.QUEUED  # handed back
        upload = jobs(world, "listings.upload")[-1]
        assert upload.attempts == 0  # making way is not a failed attempt
        assert upload.next_run_at <= upload.updated_at  # due again at once, behind the urgent message
        done_after_each_pass.append(upload.progress_done)
        sent = [row for row in listings(world) if row.status != ListingStatus.IN_PROGRESS]
        assert len(sent) == upload.progress_done  # every product sent is counted, none counted unsent
    assert 1 <= done_after_each_pass[0] < done_after_each_pass[1] < queued  # each pass moved on, none finished

    assert run_job(world.settings, waiting_order_work) is not None  # the order work gets its worker
    assert run_job(world.settings, upload_id) == JobState.SUCCEEDED  # nothing waits: the upload runs to the end

    upload = jobs(world, "listings.upload")[-1]
    assert upload.progress_done == upload.progress_total == queued
    rows = listings(world)
    assert not [row for row in rows if row.status == ListingStatus.IN_PROGRESS]
    on_tiktok = world.tiktok_control("GET", "/sandbox/products")["products"]
    assert max(Counter(p["external_product_id"] for p in on_tiktok).values()) == 1  # none sent twice
    assert {p["id"] for p in on_tiktok} == {row.tiktok_product_id for row in rows if row.tiktok_product_id}
    with session_scope(world.engine) as session:
        summary = session.scalar(select(Activity).where(Activity.kind == "listings.upload.summary"))
    assert summary.title == f"Bulk upload finished: {queued} products"  # the passes' products all counted


def test_an_upload_keeps_its_thread_while_another_thread_is_free_for_order_work(world_factory):
    world = world_factory(products=40, env={"UPLOAD_CONCURRENCY": "2", "WORKER_THREADS": "2"})
    upgrade(world)
    world.import_catalog()
    check_prerequisites(world)
    tee_template(world, sales_warehouse(world))
    request(world, service.request_upload)
    with session_scope(world.engine) as session:
        enqueue(
            session, "orders.poll", merchant_id=world.merchant_id, payload={"connection_id": world.tiktok_connection_id}
        )
    upload_id = jobs(world, "listings.upload")[-1].id
    assert run_job(world.settings, upload_id) == JobState.SUCCEEDED  # the free thread takes the order work
