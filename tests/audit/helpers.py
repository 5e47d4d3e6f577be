"""Reading the audit trail and TikTok's side in the audit tests."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from tests.pipeline.helpers import run_jobs
from tests.support.waiting import wait_for
from tokbridge.audit.models import AuditEntry
from tokbridge.db.engine import session_scope
from tokbridge.jobs.models import ACTIVE_STATES, Job
from tokbridge.listings.models import Listing, ListingSku, ListingStatus


def entries(world, kind: str | None = None) -> list[AuditEntry]:
    with session_scope(world.engine) as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if kind:
            query = query.where(AuditEntry.kind == kind)
        return list(session.scalars(query))


def live(world) -> list[Listing]:
    with session_scope(world.engine) as session:
        return list(session.scalars(select(Listing).where(Listing.status == ListingStatus.LIVE).order_by(Listing.id)))


def tiktok_prices(world) -> dict[str, Decimal]:
    """TikTok SKU id -> the price the sandbox holds, for the SKUs of live products."""
    with session_scope(world.engine) as session:
        skus = set(
            session.scalars(
                select(ListingSku.tiktok_sku_id)
                .join(Listing, Listing.id == ListingSku.listing_id)
                .where(Listing.status == ListingStatus.LIVE)
            )
        )
    return {
        sku["id"]: Decimal(sku["price"]["sale_price"])
        for product in world.tiktok_control("GET", "/sandbox/products")["products"]
        for sku in product["skus"]
        if sku["id"] in skus
    }


def tiktok_statuses(world) -> dict[str, str]:
    return {
        product["id"]: product["status"] for product in world.tiktok_control("GET", "/sandbox/products")["products"]
    }


def edit_price_rule(client, template_id: int, percent: str) -> None:
    spec = client.get(f"/api/v1/templates/{template_id}").json()
    spec.pop("id")
    spec["price"] = {**spec["price"], "adjustment": "percentage", "direction": "up", "amount": percent}
    saved = client.put(f"/api/v1/templates/{template_id}", json=spec)
    assert saved.status_code == 200, saved.text


WORK = (
    "listings.upload",
    "listings.sync_shop",
    "listings.sync_product",
    "listings.batch_action",
    "listings.refresh_status",
    "undo.apply",
)


def settle(world, timeout: float = 180) -> None:
    """Run jobs until none is left, including those the sandbox's rate limit sent back to the queue for a
    moment (they come back when due; nobody sleeps)."""

    def idle() -> bool:
        run_jobs(world, limit=10_000)
        with session_scope(world.engine) as session:
            return not session.scalar(
                select(func.count()).select_from(Job).where(Job.state.in_(ACTIVE_STATES), Job.kind.in_(WORK))
            )

    wait_for(idle, timeout=timeout, interval=0.2, what="every job to finish")
