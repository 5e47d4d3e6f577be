from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from tokbridge.billing.service import PlanUsage
from tokbridge.channels.connections import SHOPIFY, ConnectionRepository
from tokbridge.listings import prerequisites
from tokbridge.listings import service as listings
from tokbridge.orders import service as orders


@dataclass(frozen=True)
class DashboardData:
    products: dict[str, int]
    orders: dict[str, int]
    sales: dict
    prerequisites: dict
    plan: PlanUsage
    store_domain: str | None
    tiktok_shop: str | None


def dashboard(session: Session, merchant_id: int, sales_days: int = 30) -> DashboardData:
    tiktok = listings.tiktok_connection(session)
    store = ConnectionRepository(session).first(SHOPIFY)
    product_counts, plan = listings.status_counts_and_usage(session, merchant_id)
    return DashboardData(
        products=product_counts,
        orders=orders.status_counts(session),
        sales=orders.sales(session, sales_days),
        prerequisites=prerequisites.summary(listings.prerequisite_checks(tiktok)),
        plan=orders.plan_usage(session, merchant_id, products_used=plan.products_used),
        store_domain=store.external_id if store else None,
        tiktok_shop=tiktok.name if tiktok else None,
    )
