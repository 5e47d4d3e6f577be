"""Response shapes of the JSON API (they make the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class Me(BaseModel):
    email: str
    merchant_id: int
    merchant_name: str
    csrf_token: str | None = Field(
        description="What unsafe calls send as X-CSRF-Token when signed in with the "
        "session cookie; none for a call with an API token"
    )


class ActivityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    job_id: int | None
    connection_id: str | None = Field(
        default=None, description="The TikTok shop it happened in (none: the merchant's, no one shop)"
    )
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


class ShopOut(BaseModel):
    """One of the merchant's TikTok shops."""

    id: str
    name: str
    region: str | None
    currency: str
    store_id: str | None  # the store whose catalog it lists; None until one is linked
    store_name: str | None
    current: bool  # the shop this session works on


class ChooseShop(BaseModel):
    shop: str


class Problem(BaseModel):
    detail: str


# What a route that calls TikTok or Shopify may answer when the platform refuses or does not answer
# (web/errors.py): reconnect needed, refused content, an error, or not answering (with Retry-After).
PLATFORM_PROBLEMS = {
    409: {"model": Problem, "description": "The platform no longer accepts TokBridge's access, or none is connected"},
    422: {"model": Problem, "description": "The platform refused the request"},
    502: {"model": Problem, "description": "The platform answered with an error"},
    503: {
        "model": Problem,
        "description": "The platform is not answering; try again after Retry-After seconds",
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait"}},
    },
}
