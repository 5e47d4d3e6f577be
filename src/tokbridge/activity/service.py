"""Writes Recent Activity. Jobs report through here; other modules log events (price changes...)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tokbridge.activity.models import Activity, ActivityStatus
from tokbridge.activity.repository import ActivityRepository


def record(
    session: Session,
    merchant_id: int,
    kind: str,
    title: str,
    message: str | None = None,
    status: str = ActivityStatus.INFO,
    details: dict | None = None,
    connection_id: str | None = None,
) -> Activity:
    """`connection_id`: the TikTok shop (or store) it happened in, shown beside it in Recent Activity."""
    activity = Activity(
        merchant_id=merchant_id,
        kind=kind,
        title=title,
        message=message,
        status=status,
        details=details or {},
        connection_id=connection_id,
    )
    session.add(activity)
    return activity


def job_started(
    session: Session, merchant_id: int, job_id: int, kind: str, title: str, connection_id: str | None = None
) -> Activity:
    activity = ActivityRepository(session).for_job(job_id)
    if activity is None:
        activity = Activity(
            merchant_id=merchant_id, job_id=job_id, kind=kind, title=title, details={}, connection_id=connection_id
        )
        session.add(activity)
    activity.status = ActivityStatus.ONGOING
    activity.message = None
    return activity


def job_progress(session: Session, job_id: int, done: int, total: int | None) -> None:
    if activity := ActivityRepository(session).for_job(job_id):
        activity.progress_done = done
        activity.progress_total = total


def job_waiting(session: Session, job_id: int, message: str) -> None:
    if activity := ActivityRepository(session).for_job(job_id):
        activity.status = ActivityStatus.ONGOING
        activity.message = message


def job_finished(session: Session, job_id: int, succeeded: bool, message: str | None) -> None:
    if activity := ActivityRepository(session).for_job(job_id):
        activity.status = ActivityStatus.SUCCEEDED if succeeded else ActivityStatus.FAILED
        activity.message = message
