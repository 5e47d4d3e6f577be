"""Reading the audit trail and TikTok's side in the audit tests."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from tokbridge.audit.models import AuditEntry
from tokbridge.db.engine import session_scope
from tokbridge.listings.models import Listing, ListingStatus


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
    """TikTok SKU id -> the price the sandbox holds."""
    return {sku["id"]: Decimal(sku["price"]["sale_price"])
            for product in world.tiktok_control("GET", "/sandbox/products")["products"] for sku in product["skus"]}


def tiktok_statuses(world) -> dict[str, str]:
    return {product["id"]: product["status"] for product in world.tiktok_control("GET", "/sandbox/products")["products"]}


def edit_price_rule(client, template_id: int, percent: str) -> None:
    spec = client.get(f"/api/v1/templates/{template_id}").json()
    spec.pop("id")
    spec["price"] = {**spec["price"], "adjustment": "percentage", "direction": "up", "amount": percent}
    saved = client.put(f"/api/v1/templates/{template_id}", json=spec)
    assert saved.status_code == 200, saved.text
