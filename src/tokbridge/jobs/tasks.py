"""The job layer's own upkeep: finished jobs are deleted after `JOB_KEEP_DAYS`, so the table (one row
per webhook batch, sync, upload...) does not grow for ever."""

from __future__ import annotations

from datetime import timedelta

from tokbridge.db.base import utcnow
from tokbridge.db.engine import for_writing
from tokbridge.jobs.registry import job_handler, periodic
from tokbridge.jobs.repository import JobRepository
from tokbridge.jobs.runner import JobContext

PRUNE_JOB = "jobs.prune"
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
