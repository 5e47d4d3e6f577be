"""Notification jobs: the merchant's digest email, and the sweep that queues digests nobody queued."""

from __future__ import annotations

from datetime import timedelta

from tokbridge.db.base import utcnow
from tokbridge.db.engine import get_engine, session_scope
from tokbridge.jobs.registry import job_handler, periodic
from tokbridge.jobs.runner import JobContext
from tokbridge.jobs.service import enqueue
from tokbridge.notifications import hooks, repository, service

SWEEP_JOB = "notifications.sweep"
SWEEP_EVERY_SECONDS = int(hooks.DIGEST_DELAY.total_seconds())
KEEP_FOR = timedelta(days=90)  # handled events and sent digests, then pruned by the sweep


@job_handler(hooks.DIGEST_JOB, title="Email what failed", visible=False)
def digest(ctx: JobContext) -> None:
    """One email with everything the merchant opted into since the last one (notifications/service.py)."""
    outcome = service.send_digest(ctx.session, ctx.required_merchant_id, ctx.settings)
    ctx.progress(1 if outcome == "sent" else 0, 1)


@job_handler(SWEEP_JOB, title="Queue notification digests left behind", visible=False)
def sweep(ctx: JobContext) -> None:
    """System job. An event committed while its merchant's digest was already running found that job
    active and queued none; it is picked up here. Old handled events and sent digests are pruned."""
    before = utcnow() - timedelta(minutes=1)
    with session_scope(get_engine(ctx.settings.database_url)) as session:
        merchants = repository.merchants_with_unhandled_events(session, before)
        repository.prune(session, utcnow() - KEEP_FOR)
        for merchant_id in merchants:
            enqueue(
                session,
                hooks.DIGEST_JOB,
                merchant_id=merchant_id,
                identity_key=hooks.digest_identity(merchant_id),
                run_at=utcnow() + hooks.DIGEST_DELAY,
                title="Email what failed",
            )
    ctx.progress(len(merchants), len(merchants))


periodic(SWEEP_JOB, every_seconds=SWEEP_EVERY_SECONDS)
