from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from tokbridge.billing.service import PlanUsage
from tokbridge.channels.connections import SHOPIFY, ConnectionRepository
from tokbridge.listings import prerequisites
from tokbridge.listings import service as listings


@dataclass(frozen=True)
class DashboardData:
    products: dict[str, int]
    orders: dict[str, int]
    prerequisites: dict
    plan: PlanUsage
    store_domain: str | None
    tiktok_shop: str | None


def dashboard(session: Session, merchant_id: int) -> DashboardData:
    tiktok = listings.tiktok_connection(session)
    store = ConnectionRepository(session).first(SHOPIFY)
    return DashboardData(
        products=listings.status_counts(session),
        # Filled by the order pipeline; empty until orders are brought in.
        orders={},
        prerequisites=prerequisites.summary(listings.prerequisite_checks(tiktok)),
        plan=listings.product_usage(session, merchant_id),
        store_domain=store.external_id if store else None,
        tiktok_shop=tiktok.name if tiktok else None,
    )
