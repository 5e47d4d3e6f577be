"""Leases of the jobs this process runs, renewed from a background thread every third of the lease.

A job's lease says "a live worker has it". The handler's progress renews it too, but a step may run longer
than the lease without reporting (a slow call, a pause for urgent work): the heartbeat keeps a live
worker's job its own however long it runs, so the lease itself can be short and a killed worker's job is
taken over within about one lease (plus a maintenance period) instead of minutes.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from tokbridge.config import Settings
from tokbridge.db.base import utcnow
from tokbridge.db.engine import for_writing, get_engine, rows_changed, session_scope
from tokbridge.jobs.models import Job, JobState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Held:
    settings: Settings
    job_id: int
    worker: str


_lock = threading.Lock()
_held: dict[int, _Held] = {}  # by id() of the registration token
_wake = threading.Condition(_lock)
_thread: threading.Thread | None = None
_next_beat: float | None = None  # time.monotonic() of the next renewal while jobs are held


class Holding:
    """A job this process runs, from its claim to its outcome: `with Holding(settings, job_id, worker): ...`"""

    def __init__(self, settings: Settings, job_id: int, worker: str):
        self.held = _Held(settings, job_id, worker)

    def __enter__(self) -> Holding:
        global _thread, _next_beat
        with _lock:
            _held[id(self)] = self.held
            if _thread is None or not _thread.is_alive():
                _thread = threading.Thread(target=_beat_forever, name="tokbridge-lease-heartbeat", daemon=True)
                _thread.start()
            due = time.monotonic() + self.held.settings.job_lease_seconds / 3
            if _next_beat is None or due < _next_beat:  # idle, or this lease is shorter than the others
                _next_beat = due
                _wake.notify_all()
        return self

    def __exit__(self, *exc) -> None:
        with _lock:
            _held.pop(id(self), None)


def running_here() -> int:
    """How many jobs this process runs now."""
    with _lock:
        return len(_held)


def renew_leases(now: datetime | None = None) -> int:
    """Extend the lease of every job this process runs, while it still holds it. Returns how many."""
    now = now or utcnow()
    with _lock:
        held = list(_held.values())
    renewed = 0
    for item in held:
        # One short transaction per job, and a row locked by the job's own progress (which renews the lease
        # itself) is skipped: the heartbeat never waits on, nor holds up, the work it keeps alive.
        owned = (
            select(Job.id)
            .where(Job.id == item.job_id, Job.state == JobState.RUNNING, Job.worker_id == item.worker)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        try:
            with session_scope(get_engine(item.settings.database_url)) as session:
                renewed += rows_changed(
                    for_writing(session).execute(
                        update(Job)
                        .where(Job.id.in_(owned))
                        .values(lease_expires_at=now + timedelta(seconds=item.settings.job_lease_seconds))
                        .execution_options(synchronize_session=False)
                    )
                )
        except Exception:  # noqa: BLE001 - a database hiccup: the next beat tries again, well within the lease
            log.exception("could not renew the lease of job %s; will try again", item.job_id)
    return renewed


def _beat_forever() -> None:
    global _next_beat
    while True:
        with _lock:
            while True:
                if not _held:
                    _next_beat = None
                    _wake.wait()  # idle until a job is claimed here
                    continue
                if _next_beat is None:  # a third of the shortest lease held
                    _next_beat = time.monotonic() + min(h.settings.job_lease_seconds for h in _held.values()) / 3
                remaining = _next_beat - time.monotonic()
                if remaining <= 0:
                    break
                _wake.wait(remaining)
            _next_beat = None
        renew_leases()
