"""Reliability of the listing jobs against the TikTok sandbox: its rate limits and injected faults."""

from __future__ import annotations

from sqlalchemy import select

from tests.pipeline.helpers import jobs, listings, request, run_jobs, upgrade, upload_and_review
from tests.support.waiting import wait_for
from tests.support.world import reset_channel_caches
from tokbridge.activity.models import Activity
from tokbridge.db.engine import session_scope
from tokbridge.jobs.models import FINISHED_STATES, Job
from tokbridge.listings import service
from tokbridge.listings.models import ListingStatus


def run_until_finished(world, kind: str, timeout: float = 60.0) -> Job:
    """Run due jobs (as a worker would) until the newest job of `kind` has finished."""
    def finished() -> Job | None:
        run_jobs(world)
        job = jobs(world, kind)[-1]
        return job if job.state in FINISHED_STATES else None

    return wait_for(finished, timeout=timeout, interval=0.02, what=f"{kind} to finish")


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
