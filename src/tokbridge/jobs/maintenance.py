"""The maintenance pass every worker runs every few seconds.

- jobs whose lease expired (their worker died) go back to the queue;
- queued jobs nobody picked up (a lost queue message) are dispatched again;
- periodic jobs are created once per period: the period is claimed in the database, so it does not
  matter how many workers run this pass.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from tokbridge.activity import service as activity
from tokbridge.config import Settings
from tokbridge.db.base import utcnow
from tokbridge.db.engine import for_writing, get_engine, session_scope
from tokbridge.jobs import runner, service
from tokbridge.jobs.registry import PERIODIC
from tokbridge.jobs.repository import JobRepository
from tokbridge.tenancy.scoping import bind_merchant

log = logging.getLogger(__name__)


def run_maintenance(settings: Settings, now=None) -> dict[str, int]:
    now = now or utcnow()
    engine = get_engine(settings.database_url)
    counts = {"reclaimed": 0, "redispatched": 0, "periodic": 0}
    with session_scope(engine) as session:
        repository = JobRepository(for_writing(session))
        for job in repository.expired_leases(now):
            _take_over(session, repository, job, now, counts)
        # A message is "lost" once it has been due for several maintenance periods untouched.
        grace = timedelta(seconds=max(30.0, settings.job_maintenance_seconds * 6))
        for job in repository.stale_queued(now - grace):
            if repository.touch(job, now):
                service.dispatch_after_commit(session, job.id, kind=job.kind)
                counts["redispatched"] += 1
    epoch = int(now.timestamp())
    for spec in PERIODIC.values():
        period_start = epoch - epoch % spec.every_seconds
        with session_scope(engine) as session:
            if JobRepository(for_writing(session)).claim_period(spec.kind, period_start):
                service.enqueue(
                    session, spec.kind, merchant_id=None, payload=spec.payload, identity_key=f"periodic:{spec.kind}"
                )
                counts["periodic"] += 1
    return counts


def _take_over(session, repository: JobRepository, job, now, counts: dict[str, int]) -> None:
    """Re-queue a job whose worker died, within its attempts: the dead attempt counts only if it got
    nowhere, and a job that died on its last counted attempt fails instead of getting one more."""
    if runner.made_progress(job):
        attempts = job.attempts - 1
    elif job.attempts >= job.max_attempts:
        message = f"gave up after {job.attempts} attempts: the worker running it stopped responding"
        if repository.fail_expired(job, now, message):
            log.warning(
                "job %s (%s): worker %s stopped responding on its last attempt; failed", job.id, job.kind, job.worker_id
            )
            runner.after_failure(session, job, message)
            if job.merchant_id is not None:
                activity.job_finished(bind_merchant(session, job.merchant_id), job.id, False, message)
        return
    else:
        attempts = job.attempts
    if repository.release_expired(job, now, attempts):
        log.warning("job %s (%s): worker %s stopped responding; re-queued", job.id, job.kind, job.worker_id)
        service.dispatch_after_commit(session, job.id, kind=job.kind)
        counts["reclaimed"] += 1


class MaintenanceLoop:
    """Runs `run_maintenance` on a timer in a daemon thread until stopped."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tokbridge-maintenance", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                run_maintenance(self.settings)
            except Exception:  # noqa: BLE001 - a database hiccup must not kill the loop
                log.exception("maintenance pass failed; will try again")
            self._stop.wait(self.settings.job_maintenance_seconds)
