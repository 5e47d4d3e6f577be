"""Every query on the job table. State changes are conditional updates, so two workers never both win."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tokbridge.db.engine import rows_changed
from tokbridge.jobs.models import ACTIVE_STATES, FINISHED_STATES, WAITING_SQL, Job, JobState, PeriodicRun


class JobRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, job_id: int) -> Job | None:
        return self.session.scalar(select(Job).where(Job.id == job_id))

    def active_with_identity(self, identity_key: str) -> Job | None:
        return self.session.scalar(select(Job).where(Job.identity_key == identity_key, Job.state.in_(ACTIVE_STATES)))

    @staticmethod
    def waiting_query(kind: str, merchant_id: int):
        """The newest job of this kind and merchant waiting for its first run."""
        return (
            select(Job.id, Job.payload, Job.updated_at)
            # The condition written out, not bound, so both databases match it to the partial index.
            .where(Job.merchant_id == merchant_id, Job.kind == kind, text(WAITING_SQL))
            .order_by(Job.id.desc())
            .limit(1)
        )

    def add_to_waiting(
        self,
        kind: str,
        merchant_id: int,
        key: str,
        items: list,
        limit: int,
        title_for: Callable[[int], str],
        now: datetime,
    ) -> bool:
        """Append `items` to `payload[key]` of the newest job of this kind and merchant that no worker has
        started yet (queued, never attempted: not one waiting out a retry's backoff), while it stays within
        `limit` items. False when there is no such job; a worker claiming it first makes the conditional
        update miss, so nothing is added to a job already running."""
        found = self.session.execute(self.waiting_query(kind, merchant_id)).first()
        if found is None:
            return False
        job_id, payload, seen = found
        waiting = list((payload or {}).get(key) or [])
        if len(waiting) + len(items) > limit:
            return False
        result = self.session.execute(
            update(Job)
            .where(Job.id == job_id, text(WAITING_SQL), Job.updated_at == seen)
            .values(
                payload={**payload, key: waiting + list(items)},
                title=title_for(len(waiting) + len(items)),
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        return rows_changed(result) == 1

    # Named `list`, this method hides the builtin in the class body: the annotations below say builtins.list.
    def list(self, state: str | None = None, limit: int = 50) -> list[Job]:
        query = select(Job).order_by(Job.id.desc()).limit(limit)
        if state:
            query = query.where(Job.state == state)
        return list(self.session.scalars(query))

    def claim(self, job_id: int, worker_id: str, now: datetime, lease_until: datetime) -> bool:
        result = self.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == JobState.QUEUED, Job.next_run_at <= now)
            .values(
                state=JobState.RUNNING,
                worker_id=worker_id,
                lease_expires_at=lease_until,
                attempts=Job.attempts + 1,
                started_at=now,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        return rows_changed(result) == 1

    def update_owned(self, job_id: int, owner: str, *, done_at_most: int | None = None, **values) -> bool:
        """Change a running job only while this worker still holds it; with `done_at_most`, only while its
        saved progress is no further than that (a count committed later by another thread stays)."""
        query = update(Job).where(Job.id == job_id, Job.state == JobState.RUNNING, Job.worker_id == owner)
        if done_at_most is not None:
            query = query.where(Job.progress_done <= done_at_most)
        result = self.session.execute(query.values(**values).execution_options(synchronize_session=False))
        return rows_changed(result) == 1

    def held_by(self, job_id: int, owner: str) -> bool:
        return (
            self.session.scalar(
                select(Job.id).where(Job.id == job_id, Job.state == JobState.RUNNING, Job.worker_id == owner)
            )
            is not None
        )

    def due_ids(self, now: datetime, limit: int = 100) -> builtins.list[int]:
        return list(
            self.session.scalars(
                select(Job.id)
                .where(Job.state == JobState.QUEUED, Job.next_run_at <= now)
                .order_by(Job.next_run_at)
                .limit(limit)
            )
        )

    def counts_by_kind_and_state(self, finished_since: datetime) -> builtins.list[tuple[str, str, int]]:
        """(kind, state, jobs) of every merchant: the active ones, and those finished since `finished_since`
        (the finished_at index keeps this short however many finished jobs are kept)."""
        return [
            (kind, state, n)
            for kind, state, n in self.session.execute(
                select(Job.kind, Job.state, func.count())
                .where(or_(Job.state.in_(ACTIVE_STATES), Job.finished_at >= finished_since))
                .group_by(Job.kind, Job.state)
            )
        ]

    def waiting_by_kind(self, now: datetime) -> builtins.list[tuple[str, int, datetime]]:
        """(kind, jobs due and waiting for a worker, the earliest time one of them was due)."""
        return [
            (kind, n, since)
            for kind, n, since in self.session.execute(
                select(Job.kind, func.count(), func.min(Job.next_run_at))
                .where(Job.state == JobState.QUEUED, Job.next_run_at <= now)
                .group_by(Job.kind)
            )
        ]

    def expired_leases(self, now: datetime, limit: int = 100) -> builtins.list[Job]:
        return list(
            self.session.scalars(
                select(Job).where(Job.state == JobState.RUNNING, Job.lease_expires_at < now).limit(limit)
            )
        )

    def release_expired(self, job: Job, now: datetime, attempts: int) -> bool:
        """Put a job whose worker died back in the queue, with `attempts` counted so far."""
        result = self.session.execute(
            update(Job)
            .where(Job.id == job.id, Job.state == JobState.RUNNING, Job.lease_expires_at == job.lease_expires_at)
            .values(
                state=JobState.QUEUED,
                worker_id=None,
                lease_expires_at=None,
                next_run_at=now,
                updated_at=now,
                attempts=attempts,
                last_error="worker stopped responding; the job was taken over",
            )
            .execution_options(synchronize_session=False)
        )
        return rows_changed(result) == 1

    def fail_expired(self, job: Job, now: datetime, message: str) -> bool:
        """Fail a job whose worker died on its last attempt."""
        result = self.session.execute(
            update(Job)
            .where(Job.id == job.id, Job.state == JobState.RUNNING, Job.lease_expires_at == job.lease_expires_at)
            .values(
                state=JobState.FAILED,
                worker_id=None,
                lease_expires_at=None,
                finished_at=now,
                updated_at=now,
                last_error=message,
            )
            .execution_options(synchronize_session=False)
        )
        return rows_changed(result) == 1

    def stale_queued(self, cutoff: datetime, limit: int = 100) -> builtins.list[Job]:
        """Queued jobs due for a while that no worker took: their queue message was lost."""
        return list(
            self.session.scalars(
                select(Job)
                .where(
                    Job.state == JobState.QUEUED,
                    Job.next_run_at <= cutoff,
                    Job.updated_at <= cutoff,
                )
                .limit(limit)
            )
        )

    def touch(self, job: Job, now: datetime) -> bool:
        result = self.session.execute(
            update(Job)
            .where(Job.id == job.id, Job.updated_at == job.updated_at, Job.state == JobState.QUEUED)
            .values(updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return rows_changed(result) == 1

    def delete_finished(self, before: datetime, limit: int = 5000) -> int:
        """Delete up to `limit` jobs that finished before `before` (their outcome is in Recent Activity)."""
        ids = select(Job.id).where(Job.finished_at < before, Job.state.in_(FINISHED_STATES)).limit(limit)
        return rows_changed(
            self.session.execute(
                delete(Job).where(Job.id.in_(ids.scalar_subquery())).execution_options(synchronize_session=False)
            )
        )

    def claim_period(self, name: str, period_start: int) -> bool:
        """True for exactly one caller per (name, period), on SQLite and PostgreSQL alike."""
        result = self.session.execute(
            update(PeriodicRun)
            .where(PeriodicRun.name == name, PeriodicRun.period_start < period_start)
            .values(period_start=period_start)
            .execution_options(synchronize_session=False)
        )
        if rows_changed(result) == 1:
            return True
        if self.session.get(PeriodicRun, name) is not None:
            return False
        # First period ever: the primary key decides between racing workers.
        try:
            with self.session.begin_nested():
                self.session.add(PeriodicRun(name=name, period_start=period_start))
            return True
        except IntegrityError:  # someone else inserted it first
            return False

    def cancel_active_for_merchant(self, merchant_id: int, now: datetime, reason: str) -> int:
        return rows_changed(
            self.session.execute(
                update(Job)
                .where(Job.merchant_id == merchant_id, Job.state.in_(ACTIVE_STATES))
                .values(state=JobState.CANCELLED, finished_at=now, updated_at=now, last_error=reason)
                .execution_options(synchronize_session=False)
            )
        )
