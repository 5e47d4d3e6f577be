"""JSON API, version 1. Same services as the pages; every query is scoped to the signed-in merchant."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException

from tokbridge.activity.repository import ActivityRepository
from tokbridge.db.base import utcnow
from tokbridge.jobs.models import ACTIVE_STATES, JobState
from tokbridge.jobs.repository import JobRepository
from tokbridge.web.api.schemas import ActivityOut, JobOut, Me, Problem
from tokbridge.web.deps import ViewerDep
from tokbridge.web.params import RowId

router = APIRouter(prefix="/api/v1", responses={401: {"model": Problem}})

JobStateFilter = Literal["queued", "running", "succeeded", "failed", "cancelled"]
ActivityStatusFilter = Literal["ongoing", "succeeded", "failed", "info"]


@router.get("/me", response_model=Me)
def me(viewer: ViewerDep) -> Me:
    return Me(email=viewer.email, merchant_id=viewer.merchant_id, merchant_name=viewer.merchant_name,
              csrf_token=viewer.csrf_token)


@router.get("/activity", response_model=list[ActivityOut])
def list_activity(viewer: ViewerDep, status: ActivityStatusFilter | None = None, limit: int = 20):
    return ActivityRepository(viewer.db).recent(limit=max(1, min(limit, 100)), status=status)


@router.get("/jobs", response_model=list[JobOut])
def list_jobs(viewer: ViewerDep, state: JobStateFilter | None = None, limit: int = 50):
    return JobRepository(viewer.db).list(state=state, limit=max(1, min(limit, 200)))


@router.get("/jobs/{job_id}", response_model=JobOut, responses={404: {"model": Problem}})
def get_job(job_id: RowId, viewer: ViewerDep):
    job = JobRepository(viewer.db).get(job_id)
    if job is None:
        raise HTTPException(404, "No such job.")
    return job


@router.post("/jobs/{job_id}/cancel", response_model=JobOut,
             responses={404: {"model": Problem}, 409: {"model": Problem}, 403: {"model": Problem}})
def cancel_job(job_id: RowId, viewer: ViewerDep):
    job = JobRepository(viewer.db).get(job_id)
    if job is None:
        raise HTTPException(404, "No such job.")
    if job.state not in ACTIVE_STATES:
        raise HTTPException(409, f"The job has already {job.state}.")
    job.state = JobState.CANCELLED
    job.finished_at = utcnow()
    job.last_error = "cancelled by the merchant"
    viewer.db.commit()
    return job
