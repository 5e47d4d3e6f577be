"""Reliability of the listing jobs against the TikTok sandbox: its rate limits and injected faults."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from tests.pipeline.helpers import (
    check_prerequisites,
    jobs,
    listings,
    request,
    run_until_finished,
    sales_warehouse,
    tee_template,
    upgrade,
    upload_and_review,
)
from tests.support.world import reset_channel_caches
from tokbridge.activity.models import Activity
from tokbridge.db.engine import session_scope
from tokbridge.jobs.runner import run_job
from tokbridge.listings import service
from tokbridge.listings.models import ListingStatus


def tiktok_pace(monkeypatch, per_second: int, burst: int) -> None:
    """Our client's rate limiter as deployed (the pipeline tests otherwise keep it out of the way)."""
    monkeypatch.setenv("TIKTOK_RATE_LIMIT_PER_SECOND", str(per_second))
    monkeypatch.setenv("TIKTOK_RATE_LIMIT_BURST", str(burst))
    reset_channel_caches()


def test_sync_shop_status_finishes_for_many_rejected_products_under_the_rate_limit(world_factory, monkeypatch):
    world = world_factory(products=300, tiktok={"review_rejection_rate": 1.0})
    upgrade(world)
    upload_and_review(world)
    assert {row.status for row in listings(world) if row.tiktok_product_id} == {ListingStatus.FAILED}
    rejected = len(world.tiktok_control("GET", "/sandbox/products")["products"])
    assert rejected >= 10
    # Each rejected product is read for its reasons: five at once, then one every half second.
    tiktok_pace(monkeypatch, per_second=2, burst=5)
    calls_before = world.tiktok_sandbox.limiter.allowed
    request(world, lambda session, merchant_id: service.request_status_sync(session, merchant_id))
    job = run_until_finished(world, "listings.sync_shop")

    assert (job.state, job.progress_done, job.attempts) == ("succeeded", rejected, 1)  # waits use up none
    # Every rate-limit wait resumed at the product it stopped at: a read each, and a search per resume.
    assert world.tiktok_sandbox.limiter.allowed - calls_before <= 2 * rejected + 2
    assert all(row.review_reasons for row in listings(world) if row.tiktok_product_id)

    # The second pass reads them all again and finishes the same way.
    request(world, lambda session, merchant_id: service.request_status_sync(session, merchant_id))
    again = run_until_finished(world, "listings.sync_shop")
    assert (again.state, again.progress_done) == ("succeeded", rejected)
    with session_scope(world.engine) as session:
        summaries = session.scalars(select(Activity.message).where(Activity.kind == "listings.sync_shop.summary")).all()
    assert summaries[-2:] == [f"{rejected} products read from TikTok; 0 existing listings linked by SKU."] * 2


def start_upload(world, product_ids=None) -> int:
    _job, queued = request(world, service.request_upload, product_ids)
    return queued


def assert_listings_match_the_sandbox(world) -> None:
    """Every product TikTok has is bound exactly once, under review as TikTok says; nothing is left In
    progress, and nothing failed but for TikTok refusing the product itself."""
    on_tiktok = world.tiktok_control("GET", "/sandbox/products")["products"]
    assert max(Counter(p["external_product_id"] for p in on_tiktok).values()) == 1  # none created twice
    rows = listings(world)
    bound = {row.tiktok_product_id: row for row in rows if row.tiktok_product_id}
    assert set(bound) == {p["id"] for p in on_tiktok}  # none lost
    for product in on_tiktok:
        assert (product["status"], bound[product["id"]].status) == ("PENDING", ListingStatus.REVIEWING)
    assert not [row for row in rows if row.status == ListingStatus.IN_PROGRESS]
    for row in rows:
        if row.status == ListingStatus.FAILED:
            assert row.last_error.startswith("TikTok refused"), row.last_error


def ready_to_upload(world_factory, products: int):
    """A merchant with T-shirt and hoodie templates, before Bulk Upload; TikTok's review takes for ever."""
    world = world_factory(products=products, tiktok={"review_delay_seconds": 10**9})
    world.import_catalog()
    upgrade(world)
    check_prerequisites(world)
    warehouse = sales_warehouse(world)
    tee_template(world, warehouse)
    hoodies = {"match": "all", "rules": [{"field": "product_type", "operator": "equals", "value": "Hoodies"}]}
    tee_template(
        world, warehouse, name="Hoodies", priority=200, category={"id": "9601303", "version": "v2"}, selection=hoodies
    )
    return world


def test_a_passing_error_on_one_product_does_not_stop_the_others(world_factory):
    world = ready_to_upload(world_factory, products=150)
    # The first two creates answer 500 ("internal error, try again").
    world.tiktok_control(
        "POST", "/sandbox/faults", {"queue": [{"kind": "error", "path": "/product/202309/products", "count": 2}]}
    )
    queued = start_upload(world)
    job = jobs(world, "listings.upload")[-1]
    run_job(world.settings, job.id)
    first = jobs(world, "listings.upload")[-1]
    # One attempt sent every other product, and tried the two again after a moment (or will, shortly).
    assert first.progress_done >= queued - 2 and first.attempts <= 1
    assert run_until_finished(world, "listings.upload").state == "succeeded"
    assert_listings_match_the_sandbox(world)


def test_the_last_product_gets_all_its_tries_before_an_attempt_counts_as_failed(world_factory):
    world = ready_to_upload(world_factory, products=20)
    start_upload(world)
    assert run_until_finished(world, "listings.upload").state == "succeeded"
    reviewing = next(row for row in listings(world) if row.status == ListingStatus.REVIEWING)
    world.tiktok_control(
        "POST",
        f"/sandbox/products/{reviewing.tiktok_product_id}/review",
        {"outcome": "FAILED", "reasons": ["The main image shows a watermark."]},
    )
    request(world, service.request_status_sync)
    run_until_finished(world, "listings.sync_shop")
    assert next(row for row in listings(world) if row.id == reviewing.id).status == ListingStatus.FAILED
    # Sending it again (an edit) answers 500 three times in a row, then works: each pause between its
    # tries (0.5 s, 1 s) is a back-off, not a failed attempt; only the third error uses one of the attempts.
    world.tiktok_control(
        "POST",
        "/sandbox/faults",
        {"queue": [{"kind": "error", "path": "/product/202509/products/{product_id}", "count": 3}]},
    )
    start_upload(world, [reviewing.product_id])
    job = run_until_finished(world, "listings.upload")
    assert world.tiktok_control("POST", "/sandbox/faults", {})["queued"] == []  # all three were met
    assert (job.state, job.progress_done) == ("succeeded", 1)
    assert job.attempts == 2, job.last_error  # the counted one, and the one that sent it
    assert_listings_match_the_sandbox(world)


def test_bulk_upload_finishes_under_sustained_transient_errors_with_the_defaults(world_factory, monkeypatch):
    world = ready_to_upload(world_factory, products=300)
    tiktok_pace(monkeypatch, per_second=50, burst=5)  # the defaults, as every other setting here
    # From now on, 15 % of TikTok's answers are a 500 ("internal error, try again").
    world.tiktok_control("POST", "/sandbox/faults", {"error_rate": 0.15})
    queued = start_upload(world)
    assert queued >= 40

    job = run_until_finished(world, "listings.upload")
    assert job.state == "succeeded", job.last_error
    assert job.progress_done == queued and job.attempts <= job.max_attempts
    assert_listings_match_the_sandbox(world)

    # Upload every product again (the bound ones are edited) under the same errors.
    again = start_upload(world, [row.product_id for row in listings(world)])
    job = run_until_finished(world, "listings.upload")
    assert (job.state, job.progress_done) == ("succeeded", again)
    assert_listings_match_the_sandbox(world)
