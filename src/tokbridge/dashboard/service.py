from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tokbridge.billing.service import PlanUsage
from tokbridge.channels.connections import SHOPIFY, ConnectionRepository
from tokbridge.channels.models import ChannelConnection
from tokbridge.listings import prerequisites
from tokbridge.listings import service as listings
from tokbridge.orders import service as orders


@dataclass(frozen=True)
class ConnectedAccount:
    """A connected store or shop as the dashboard describes it; what is not known yet is None (the
    store's name and currency come with the first catalog import)."""

    name: str
    external_id: str  # the store's domain, the TikTok shop's id
    connected_at: datetime
    currency: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class DashboardData:
    products: dict[str, int]
    orders: dict[str, int]
    sales: dict
    prerequisites: dict
    plan: PlanUsage
    store_domain: str | None
    tiktok_shop: str | None
    store: ConnectedAccount | None = None
    shop: ConnectedAccount | None = None


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
        store=_store_account(store) if store else None,
        shop=ConnectedAccount(name=tiktok.name or tiktok.external_id, external_id=tiktok.external_id,
                              connected_at=tiktok.created_at, region=tiktok.region) if tiktok else None,
    )


def _store_account(store: ChannelConnection) -> ConnectedAccount:
    catalog = (store.data or {}).get("catalog") or {}
    return ConnectedAccount(name=catalog.get("store_name") or store.name or store.external_id,
                            external_id=store.external_id, connected_at=store.created_at,
                            currency=store.currency)
