"""Response shapes of the JSON API (they make the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class Me(BaseModel):
    email: str
    merchant_id: int
    merchant_name: str
    csrf_token: str


class ActivityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    job_id: int | None
    kind: str
    title: str
    status: str
    message: str | None
    progress_done: int
    progress_total: int | None
    details: dict
    created_at: datetime
    updated_at: datetime


class JobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    title: str
    state: str
    attempts: int
    max_attempts: int
    progress_done: int
    progress_total: int | None
    last_error: str | None
    next_run_at: datetime
    created_at: datetime
    finished_at: datetime | None


class Problem(BaseModel):
    detail: str
