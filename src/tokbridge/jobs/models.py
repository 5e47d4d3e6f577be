from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from tokbridge.db.base import Base, BigId, TenantScoped, Timestamped, utcnow


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE_STATES = (JobState.QUEUED, JobState.RUNNING)
FINISHED_STATES = (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)
_ACTIVE_SQL = "state IN ('queued', 'running')"
# A job no worker has started yet: new work of the same kind may join it (JobRepository.add_to_waiting).
WAITING_SQL = "job.state = 'queued' AND job.attempts = 0"
_WAITING_INDEX_SQL = "state = 'queued' AND attempts = 0"  # the same, as an index condition


class Job(TenantScoped, Timestamped, Base):
    """One unit of background work and everything known about its progress."""

    __tablename__ = "job"
    __table_args__ = (
        # The same work is never queued twice: one active job per identity key.
        Index(
            "uq_job_active_identity",
            "identity_key",
            unique=True,
            sqlite_where=text(_ACTIVE_SQL),
            postgresql_where=text(_ACTIVE_SQL),
        ),
        Index("ix_job_state_next_run_at", "state", "next_run_at"),
        # Small: only jobs waiting for their first run. The lookup of webhook intake stays as fast with
        # millions of finished jobs as with none.
        Index(
            "ix_job_waiting",
            "merchant_id",
            "kind",
            sqlite_where=text(_WAITING_INDEX_SQL),
            postgresql_where=text(_WAITING_INDEX_SQL),
        ),
        Index("ix_job_finished_at", "finished_at"),  # pruning finished jobs
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # No foreign key: the record outlives a deleted merchant, and its jobs are cancelled, not crashed.
    # None for system jobs.
    merchant_id: Mapped[int | None] = mapped_column(BigId, index=True)
    kind: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(255), default="")
    identity_key: Mapped[str | None] = mapped_column(String(255))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default=JobState.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=8)
    next_run_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_expires_at: Mapped[datetime | None]
    worker_id: Mapped[str | None] = mapped_column(String(100))
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int | None] = mapped_column(Integer)
    # Handlers keep their resume point here (e.g. the last item done), saved with the progress.
    checkpoint: Mapped[dict] = mapped_column(JSON, default=dict)
    last_error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None]  # of the current (or last) attempt
    # When a handler last reported progress: an attempt that got further gives its attempt back.
    progressed_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class PeriodicRun(Base):
    """The last period each periodic job was fired for: a conditional update claims a period once."""

    __tablename__ = "periodic_run"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    period_start: Mapped[int] = mapped_column(BigId)  # unix seconds
