"""The house's periodic upkeep: finished jobs are deleted after `JOB_KEEP_DAYS`, so the table (one row
per webhook batch, sync, upload...) does not grow for ever; expired sign-in sessions are removed.

Session pruning lives here rather than in `tenancy`: the job runner binds every job to its merchant
through `tenancy`, so a job handler inside `tenancy` would make the two import each other."""

from __future__ import annotations

from datetime import timedelta

from tokbridge.db.base import utcnow
from tokbridge.db.engine import for_writing
from tokbridge.jobs.registry import job_handler, periodic
from tokbridge.jobs.repository import JobRepository
from tokbridge.jobs.runner import JobContext
from tokbridge.tenancy.repository import AccountRepository

PRUNE_JOB = "jobs.prune"
PRUNE_SESSIONS_JOB = "sessions.prune"
PRUNE_BATCH = 5000  # rows per transaction: no long write lock on SQLite


@job_handler(PRUNE_JOB, title="Delete old finished jobs", visible=False)
def prune_finished_jobs(ctx: JobContext) -> None:
    before = utcnow() - timedelta(days=ctx.settings.job_keep_days)
    removed = 0
    while True:
        with ctx.session() as session, session.begin():
            deleted = JobRepository(for_writing(session)).delete_finished(before, PRUNE_BATCH)
        removed += deleted
        ctx.progress(removed, None)
        if deleted < PRUNE_BATCH:
            return


periodic(PRUNE_JOB, every_seconds=3600)


@job_handler(PRUNE_SESSIONS_JOB, title="Remove expired sign-in sessions", visible=False)
def prune_sessions(ctx: JobContext) -> None:
    with ctx.session() as session, session.begin():
        removed = AccountRepository(session).delete_expired_sessions(utcnow())
    ctx.progress(removed, removed)


periodic(PRUNE_SESSIONS_JOB, every_seconds=3600)
