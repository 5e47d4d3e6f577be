"""Running one job: claim it, run its handler, record the outcome.

A claim is a conditional UPDATE (queued -> running) with a lease. While the job runs, this process
renews the lease (leases.py: every third of the lease, and with each progress report); a worker that
dies stops renewing, and maintenance puts the job back in the queue for another worker, which resumes
from the saved checkpoint.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tokbridge.activity import service as activity
from tokbridge.audit.service import Actor, act_as
from tokbridge.config import Settings
from tokbridge.db.base import utcnow
from tokbridge.db.engine import for_writing, get_engine, session_scope, sessionmaker_for
from tokbridge.jobs.fairness import GATE, HandBack, urgent_elsewhere, urgent_running, urgent_waiting, worker_threads
from tokbridge.jobs.leases import Holding, running_here
from tokbridge.jobs.models import Job, JobState
from tokbridge.jobs.priorities import BULK, URGENT, priority_of
from tokbridge.jobs.registry import HandlerSpec, handler_for
from tokbridge.jobs.repository import JobRepository
from tokbridge.kit import metrics
from tokbridge.kit.errors import PermanentError, RetryableError
from tokbridge.kit.words import plural
from tokbridge.tenancy.repository import AccountRepository
from tokbridge.tenancy.scoping import bind_merchant

log = logging.getLogger(__name__)


class LeaseLost(Exception):
    """Another worker took this job over (our lease expired); stop without recording anything."""


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


class JobContext:
    """What a handler gets: the job's data, sessions for its merchant, and progress reporting."""

    def __init__(self, settings: Settings, job: Job, worker: str):
        self.settings = settings
        self.job_id = job.id
        self.kind = job.kind
        self.merchant_id = job.merchant_id
        self.payload = dict(job.payload or {})
        self.checkpoint = dict(job.checkpoint or {})
        self.attempt = job.attempts
        self._progressed = False  # in this attempt
        self._bulk = priority_of(job.kind) <= BULK
        self._worker = worker
        self._engine = get_engine(settings.database_url)
        self._visible = False
        # Changes it records are this job's, on behalf of whoever started it (see audit.service).
        self.actor = Actor.job(job.id, job.title or job.kind, self.payload.get("triggered_by"))

    @property
    def required_merchant_id(self) -> int:
        """The job's merchant, for handlers of a merchant's work (only maintenance jobs have none)."""
        if self.merchant_id is None:
            raise PermanentError(f"job {self.job_id} ({self.kind}) belongs to no merchant")
        return self.merchant_id

    def session(self) -> Session:
        """A new session, scoped to the job's merchant when it has one. The caller commits."""
        session = act_as(sessionmaker_for(self._engine)(), self.actor)
        if self.merchant_id is not None:
            bind_merchant(session, self.merchant_id)
        return session

    def progress(
        self,
        done: int,
        total: int | None = None,
        checkpoint: dict | None = None,
        session: Session | None = None,
        forward_only: bool = False,
    ) -> None:
        """Record progress (and where to resume), and renew the lease. Raises LeaseLost if taken over.

        Pass the handler's own `session` to save the checkpoint in the same transaction as the work
        it describes: then a crash can never leave one without the other. Threads counting into one job
        pass `forward_only`: their transactions may commit in another order than they counted, and a
        smaller count committed last must not take the saved progress back.
        """
        now = utcnow()
        values = {
            "progress_done": done,
            "updated_at": now,
            "progressed_at": now,
            "lease_expires_at": now + timedelta(seconds=self.settings.job_lease_seconds),
        }
        if total is not None:
            values["progress_total"] = total
        if checkpoint is not None:
            values["checkpoint"] = dict(checkpoint)
        at_most = done if forward_only else None
        if session is not None:
            self._save_progress(session, values, at_most)
        else:
            with session_scope(self._engine) as own:
                self._save_progress(for_writing(own), values, at_most)
        if checkpoint is not None:
            self.checkpoint = dict(checkpoint)
        self._progressed = True

    def save_checkpoint(self, checkpoint: dict) -> None:
        """Save where to resume without counting it as progress (a pause between tries is not progress)."""
        values: dict[str, Any] = {"checkpoint": dict(checkpoint), "updated_at": utcnow()}
        with session_scope(self._engine) as own:
            if not JobRepository(for_writing(own)).update_owned(self.job_id, self._worker, **values):
                raise LeaseLost(f"job {self.job_id} is no longer held by this worker")
        self.checkpoint = dict(checkpoint)

    def make_way(self, hand_back: bool = True) -> None:
        """Called by bulk jobs between items (see fairness.py): pause while urgent work runs in this process
        (or, on Redis, in another worker process),
        and with `hand_back`, raise HandBack when urgent work waits and every worker thread of this process
        is busy, once this attempt has made progress (so every attempt moves the job on). Nothing for other
        jobs. (With a thread free, the urgent job is taken at the consumer's next poll: no need to go.)"""
        if not self._bulk:
            return
        GATE.make_way(self.settings.bulk_max_pause_seconds, urgent_elsewhere(self.settings))
        if hand_back and self._progressed and running_here() >= worker_threads(self.settings):
            with session_scope(self._engine) as session:
                waiting = urgent_waiting(session, utcnow())
            if waiting:
                raise HandBack(f"job {self.job_id} makes way for urgent work")

    def _save_progress(self, session: Session, values: dict, done_at_most: int | None) -> None:
        jobs = JobRepository(session)
        if not jobs.update_owned(self.job_id, self._worker, done_at_most=done_at_most, **values):
            if done_at_most is not None and jobs.held_by(self.job_id, self._worker):
                return  # a further count is saved already, with its activity row
            raise LeaseLost(f"job {self.job_id} is no longer held by this worker")
        if self._visible and self.merchant_id is not None:
            activity.job_progress(
                bind_merchant(session, self.merchant_id),
                self.job_id,
                values["progress_done"],
                values.get("progress_total"),
            )


def run_job(settings: Settings, job_id: int, worker: str | None = None) -> str | None:
    """Run the job if it is ours to run. Returns its new state, or None when another worker has it."""
    worker = worker or worker_id()
    engine = get_engine(settings.database_url)
    now = utcnow()
    with session_scope(engine) as session:
        repository = JobRepository(for_writing(session))
        if not repository.claim(job_id, worker, now, now + timedelta(seconds=settings.job_lease_seconds)):
            return None
        job = repository.get(job_id)
        if job is None:  # deleted (with its merchant) right after the claim
            return None
        session.refresh(job)
        spec = handler_for(job.kind)
        if job.merchant_id is not None and AccountRepository(session).merchant(job.merchant_id) is None:
            _finish(repository, job, worker, JobState.CANCELLED, "the merchant no longer exists")
            return JobState.CANCELLED
        if spec is None:
            _finish(repository, job, worker, JobState.FAILED, f"no handler for job kind {job.kind!r}")
            return JobState.FAILED
        context = JobContext(settings, job, worker)
        if spec.visible and job.merchant_id is not None:
            context._visible = True
            activity.job_started(
                bind_merchant(session, job.merchant_id),
                job.merchant_id,
                job.id,
                job.kind,
                job.title,
                connection_id=(job.payload or {}).get("connection_id"),
            )

    with Holding(settings, job_id, worker):  # its lease is renewed while it runs here
        if priority_of(context.kind) >= URGENT:
            with GATE.urgent(job_id), urgent_running(settings, job_id):
                return _execute(settings, engine, spec, context, worker)
        return _execute(settings, engine, spec, context, worker)


def _execute(settings: Settings, engine, spec: HandlerSpec, context: JobContext, worker: str) -> str | None:
    started = time.monotonic()
    outcome, state = _attempt(settings, engine, spec, context, worker)
    metrics.job_attempt(context.kind, outcome, time.monotonic() - started)
    return state


def _attempt(settings: Settings, engine, spec: HandlerSpec, context: JobContext, worker: str) -> tuple[str, str | None]:
    """Run the handler once: (what became of the attempt, the job's new state)."""
    try:
        spec.func(context)
    except HandBack:
        return "handed_back", _hand_back(engine, context, worker)
    except LeaseLost:
        log.warning("job %s (%s) was taken over by another worker", context.job_id, context.kind)
        return "taken_over", None
    except RetryableError as exc:
        state = _retry_or_fail(settings, engine, context, worker, exc, exc.retry_after, exc.consumes_attempt)
        return _outcome(state, "retried" if exc.consumes_attempt else "waited"), state
    except PermanentError as exc:
        return JobState.FAILED.value, _record_outcome(engine, context, worker, JobState.FAILED, str(exc))
    except Exception as exc:  # noqa: BLE001 - an unexpected error: keep the trace in the log, retry with backoff
        if isinstance(exc, OperationalError) and is_lock_conflict(exc):
            # SQLite refused a write because another connection wrote first: resume from the checkpoint.
            state = _retry_or_fail(
                settings, engine, context, worker, RetryableError("the database was busy"), 1.0, True
            )
        else:
            log.error("job %s (%s) raised:\n%s", context.job_id, context.kind, traceback.format_exc())
            state = _retry_or_fail(settings, engine, context, worker, exc, None, True)
        return _outcome(state, "retried"), state
    return JobState.SUCCEEDED.value, _record_outcome(engine, context, worker, JobState.SUCCEEDED, None)


def _outcome(state: str | None, queued_again: str) -> str:
    """The metric's word for an attempt that ended in `state`: why it was queued again, or taken over."""
    if state == JobState.QUEUED:
        return queued_again
    return str(state) if state else "taken_over"


def is_lock_conflict(error: OperationalError) -> bool:
    return "database is locked" in str(error.orig) or "database table is locked" in str(error.orig)


def backoff_seconds(settings: Settings, attempt: int) -> float:
    return min(settings.job_retry_max_seconds, settings.job_retry_base_seconds * (2 ** max(0, attempt - 1)))


def made_progress(job: Job) -> bool:
    """True when the job's current (or last) attempt reported progress."""
    return job.progressed_at is not None and job.started_at is not None and job.progressed_at >= job.started_at


def _retry_or_fail(
    settings,
    engine,
    context: JobContext,
    worker: str,
    exc: Exception,
    retry_after: float | None,
    consumes_attempt: bool,
) -> str | None:
    message = f"{type(exc).__name__}: {exc}" if not isinstance(exc, RetryableError) else str(exc)
    with session_scope(engine) as session:
        repository = JobRepository(for_writing(session))
        job = repository.get(context.job_id)
        if job is None:  # deleted with its merchant while it ran
            return None
        # Only attempts that got nowhere count: one that made progress (a product sent, a page read) gives
        # its attempt back, so a long job under steady transient errors still finishes.
        counted = consumes_attempt and not made_progress(job)
        attempts = job.attempts if counted else job.attempts - 1
        if counted and attempts >= job.max_attempts:
            return _finish(
                repository, job, worker, JobState.FAILED, f"gave up after {attempts} attempts: {message}", context
            )
        delay = retry_after if retry_after is not None else backoff_seconds(settings, attempts)
        now = utcnow()
        run_at = now + timedelta(seconds=delay)
        shown = f"Waiting until {run_at:%H:%M:%S} UTC: {message}"
        waiting_for = getattr(exc, "waiting_for", None) if not consumes_attempt else None
        if waiting_for:
            idle_minutes = int((now - (job.progressed_at or job.created_at)).total_seconds() // 60)
            if idle_minutes * 60 >= settings.job_stalled_seconds:
                stalled = f"No progress for {plural(idle_minutes, 'minute')}: waiting for {waiting_for}"
                message = f"{stalled} ({message})"
                shown = f"{stalled}. Next try at {run_at:%H:%M:%S} UTC."
            else:
                shown = f"Waiting for {waiting_for} until {run_at:%H:%M:%S} UTC."
        if not repository.update_owned(
            job.id,
            worker,
            state=JobState.QUEUED,
            worker_id=None,
            lease_expires_at=None,
            attempts=attempts,
            next_run_at=run_at,
            last_error=message,
            updated_at=now,
        ):
            return None
        if context._visible and job.merchant_id is not None:
            activity.job_waiting(bind_merchant(session, job.merchant_id), job.id, shown)
        from tokbridge.jobs.service import dispatch_after_commit

        dispatch_after_commit(session, job.id, run_at, kind=job.kind)
    return JobState.QUEUED


def _hand_back(engine, context: JobContext, worker: str) -> str | None:
    """Back to the queue at once, at its own (bulk) priority, so the urgent messages go first; the attempt
    is given back, as it was not a failure."""
    with session_scope(engine) as session:
        repository = JobRepository(for_writing(session))
        job = repository.get(context.job_id)
        if job is None:  # deleted with its merchant while it ran
            return None
        now = utcnow()
        if not repository.update_owned(
            job.id,
            worker,
            state=JobState.QUEUED,
            worker_id=None,
            lease_expires_at=None,
            attempts=max(0, job.attempts - 1),
            next_run_at=now,
            updated_at=now,
        ):
            return None
        from tokbridge.jobs.service import dispatch_after_commit

        dispatch_after_commit(session, job.id, kind=job.kind)
    log.info("job %s (%s) handed its thread back to urgent work", context.job_id, context.kind)
    return JobState.QUEUED


def _record_outcome(engine, context: JobContext, worker: str, state: str, message: str | None) -> str | None:
    with session_scope(engine) as session:
        repository = JobRepository(for_writing(session))
        job = repository.get(context.job_id)
        return _finish(repository, job, worker, state, message, context) if job is not None else None


def _finish(
    repository: JobRepository, job: Job, worker: str, state: str, message: str | None, context: JobContext | None = None
) -> str | None:
    now = utcnow()
    values: dict[str, Any] = {"state": state, "finished_at": now, "updated_at": now, "lease_expires_at": None}
    if message is not None:
        values["last_error"] = message
    if not repository.update_owned(job.id, worker, **values):
        return None
    if state == JobState.FAILED:
        after_failure(repository.session, job, message or "")
    if context is not None and context._visible and job.merchant_id is not None:
        activity.job_finished(
            bind_merchant(repository.session, job.merchant_id), job.id, state == JobState.SUCCEEDED, message
        )
    return state


def after_failure(session: Session, job: Job, message: str) -> None:
    """The handler's own clean-up of a failed job (a failed upload fails its products still In progress)."""
    spec = handler_for(job.kind)
    if spec is not None and spec.on_failure is not None:
        spec.on_failure(bind_merchant(session, job.merchant_id) if job.merchant_id else session, job, message)


def run_due_jobs(settings: Settings, limit: int = 100) -> int:
    """Run every due job in this thread (tests, `tokbridge` one-shot commands). Returns how many ran."""
    engine = get_engine(settings.database_url)
    ran = 0
    while ran < limit:
        with session_scope(engine) as session:
            due = JobRepository(session).due_ids(utcnow(), limit=limit - ran)
        if not due:
            break
        for job_id in due:
            if run_job(settings, job_id) is not None:
                ran += 1
    return ran
