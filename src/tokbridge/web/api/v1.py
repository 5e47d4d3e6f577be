"""JSON API, version 1. Same services as the pages; every query is scoped to the signed-in merchant."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query

from tokbridge.activity.repository import ActivityRepository
from tokbridge.channels.shops import NoSuchShop, ShopContext
from tokbridge.db.base import utcnow
from tokbridge.jobs.models import ACTIVE_STATES, JobState
from tokbridge.jobs.repository import JobRepository
from tokbridge.tenancy.service import choose_shop
from tokbridge.web.api.schemas import ActivityOut, ChooseShop, JobOut, Me, Problem, ShopOut
from tokbridge.web.deps import ShopNeeded, Viewer, ViewerDep
from tokbridge.web.params import RowId
from tokbridge.web.shop_pages import shop_currency

router = APIRouter(prefix="/api/v1", responses={401: {"model": Problem}})

JobStateFilter = Literal["queued", "running", "succeeded", "failed", "cancelled"]
ActivityStatusFilter = Literal["ongoing", "succeeded", "failed", "info"]


@router.get("/me", response_model=Me)
def me(viewer: ViewerDep) -> Me:
    return Me(
        email=viewer.email,
        merchant_id=viewer.merchant_id,
        merchant_name=viewer.merchant_name,
        csrf_token=viewer.csrf_token,
    )


@router.get("/activity", response_model=list[ActivityOut])
def list_activity(
    viewer: ViewerDep,
    status: ActivityStatusFilter | None = None,
    limit: int = 20,
    shop: Annotated[str | None, Query(max_length=32)] = None,
):
    """Newest first; `shop`: that TikTok shop's rows and the merchant's rows of no one shop."""
    return ActivityRepository(viewer.db).recent(limit=max(1, min(limit, 100)), status=status, connection_id=shop)


@router.get("/jobs", response_model=list[JobOut])
def list_jobs(viewer: ViewerDep, state: JobStateFilter | None = None, limit: int = 50):
    return JobRepository(viewer.db).list(state=state, limit=max(1, min(limit, 200)))


@router.get("/jobs/{job_id}", response_model=JobOut, responses={404: {"model": Problem}})
def get_job(job_id: RowId, viewer: ViewerDep):
    job = JobRepository(viewer.db).get(job_id)
    if job is None:
        raise HTTPException(404, "No such job.")
    return job


@router.post(
    "/jobs/{job_id}/cancel",
    response_model=JobOut,
    responses={404: {"model": Problem}, 409: {"model": Problem}, 403: {"model": Problem}},
)
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


def _shop_out(shop: ShopContext, current_id: str | None) -> ShopOut:
    return ShopOut(
        id=shop.shop_id,
        name=shop.shop.name or shop.shop.external_id,
        region=shop.shop.region,
        currency=shop_currency(shop),
        store_id=shop.store_id,
        store_name=(shop.store.name or shop.store.external_id) if shop.store else None,
        current=shop.shop_id == current_id,
    )


def _shops(viewer: Viewer) -> list[ShopOut]:
    switcher = viewer.switcher
    return [_shop_out(shop, switcher.current_id) for shop in switcher.shops]


@router.get("/shops", response_model=list[ShopOut])
def list_shops(viewer: ViewerDep):
    """The merchant's connected TikTok shops, oldest first; `current` is the one this session works on
    (`?shop=` names another for one request)."""
    return _shops(viewer)


@router.post("/shops/current", response_model=ShopOut, responses={404: {"model": Problem}, 409: {"model": Problem}})
def set_current_shop(body: ChooseShop, viewer: ViewerDep):
    """Work on this shop from now on in this session (the header's switcher)."""
    if viewer.web_session is None:
        raise HTTPException(
            409, "An API token has no session to remember a shop in: name the shop with ?shop= on each call instead."
        )
    try:
        shop = choose_shop(viewer.db, viewer.web_session, body.shop)
    except NoSuchShop:
        raise ShopNeeded("unknown") from None
    viewer.db.commit()
    return _shop_out(shop, shop.shop_id)
