"""Creating jobs. A job is dispatched to the queue only after the transaction that created it commits,
so a worker never looks for a row that does not exist yet, and a rolled-back job is never run."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tokbridge.audit.models import ActorType
from tokbridge.audit.service import actor_of
from tokbridge.db.base import utcnow
from tokbridge.db.engine import for_writing
from tokbridge.jobs.fairness import GATE, urgent_elsewhere
from tokbridge.jobs.models import Job, JobState
from tokbridge.jobs.priorities import NORMAL, URGENT, priority_of
from tokbridge.jobs.registry import handler_for
from tokbridge.jobs.repository import JobRepository

_PENDING = "tokbridge.jobs_to_dispatch"


def enqueue(
    session: Session,
    kind: str,
    *,
    merchant_id: int | None,
    payload: dict | None = None,
    identity_key: str | None = None,
    title: str | None = None,
    run_at: datetime | None = None,
    max_attempts: int | None = None,
) -> Job:
    """Record a job; returns the already active job instead when `identity_key` is taken."""
    if not session.in_transaction():
        # Reads (the identity check), then writes: on SQLite, declared up front it waits its turn for
        # the write lock instead of failing with "database is locked" when another writer came between.
        for_writing(session)
    repository = JobRepository(session)
    if identity_key and (existing := repository.active_with_identity(identity_key)):
        return existing
    spec = handler_for(kind)
    payload = _with_trigger(session, payload or {})
    job = Job(
        merchant_id=merchant_id,
        kind=kind,
        title=title or (spec.title if spec else kind),
        identity_key=identity_key,
        payload=payload,
        state=JobState.QUEUED,
        next_run_at=run_at or utcnow(),
        checkpoint={},
    )
    if max_attempts is not None:
        job.max_attempts = max_attempts
    else:
        from tokbridge.config import get_settings

        job.max_attempts = get_settings().job_max_attempts
    try:
        with session.begin_nested():
            session.add(job)
    except IntegrityError:
        # Another transaction created the same active job between our check and insert.
        if identity_key and (existing := repository.active_with_identity(identity_key)):
            return existing
        raise
    dispatch_after_commit(session, job.id, run_at, kind=kind)
    return job


def _with_trigger(session: Session, payload: dict) -> dict:
    """A job queued by a person (or by a job working for one) carries who, for the audit trail. Work no
    person started (webhooks, periodic jobs) carries nothing: the job's own name says it."""
    actor = actor_of(session)
    if actor.type == ActorType.SYSTEM or actor.user_id is None or "triggered_by" in payload:
        return payload
    return {**payload, "triggered_by": actor.trigger()}


def enqueue_or_add(
    session: Session, kind: str, *, merchant_id: int, key: str, items: list, limit: int, title: Callable[[int], str]
) -> None:
    """Queue `items` (`payload[key]`) for one job of `kind`: added to the merchant's job of that kind still
    waiting for a worker when there is one with room, else in a new job. Under load many small pieces of
    work then share one job's claim and bookkeeping; when workers keep up, each goes out at once as before.
    `title(n)` names a job carrying n items."""
    for start in range(0, len(items), limit):
        chunk = list(items[start : start + limit])
        added = JobRepository(session).add_to_waiting(kind, merchant_id, key, chunk, limit, title, utcnow())
        if not added:
            enqueue(session, kind, merchant_id=merchant_id, payload={key: chunk}, title=title(len(chunk)))


def dispatch_after_commit(
    session: Session, job_id: int, run_at: datetime | None = None, *, kind: str | None = None
) -> None:
    """Send the job's message once the transaction commits, with its kind's priority (`priorities.py`)."""
    session.info.setdefault(_PENDING, []).append((job_id, run_at, priority_of(kind) if kind else NORMAL))


@event.listens_for(Session, "after_commit")
def _dispatch(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    from tokbridge.config import get_settings
    from tokbridge.jobs.queue import dispatch

    # Bulk work makes way from now on (jobs/fairness.py): the embedded queue's messages are this process's
    # own to run; on Redis any worker process may take them, so the mark is in Redis for all to see.
    elsewhere = urgent_elsewhere(get_settings())
    for job_id, run_at, priority in pending:
        delay = (run_at - utcnow()).total_seconds() if run_at else None
        if priority >= URGENT and not (delay and delay > 0):
            (elsewhere or GATE).expect(job_id)
        dispatch(job_id, delay=delay if delay and delay > 0 else None, priority=priority)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    # Fires for the real (outermost) rollback only: the jobs it created do not exist.
    session.info.pop(_PENDING, None)
