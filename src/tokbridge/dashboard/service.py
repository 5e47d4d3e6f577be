"""The dashboard's figures, for one TikTok shop (the one the merchant chose), and the overview of every
shop; the plan's usage counts every shop of the merchant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tokbridge.billing.service import PlanUsage
from tokbridge.category_templates.limits import CURRENCY_BY_REGION
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.registry import store_kinds
from tokbridge.channels.shops import ShopContext, shop_contexts
from tokbridge.listings import prerequisites
from tokbridge.listings import service as listings
from tokbridge.listings.repository import ListingRepository
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
    kind: str | None = None  # the connection's kind (a store plugin's, or "tiktok")


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
    shop_id: str | None = None  # the shop the figures are of (None: no shop connected yet)


def plan_usage(session: Session, merchant_id: int) -> PlanUsage:
    """The plan's usage across ALL the merchant's TikTok shops: the products on TikTok in each shop (a
    product listed in two shops is two listings, and counts twice) and the orders that took a place in the
    billing period, whichever shop they came from."""
    return orders.plan_usage(session, merchant_id, products_used=listings.products_on_tiktok(session))


def dashboard(session: Session, shop: ShopContext | None, merchant_id: int, sales_days: int = 30) -> DashboardData:
    """One shop's figures (its products' statuses, its orders and sales, its prerequisites) and the plan."""
    tiktok = shop.shop if shop is not None else None
    store = shop.store if shop is not None else _unlinked_store(session)
    connection_id = tiktok.id if tiktok is not None else None
    repository = ListingRepository(session)
    product_counts = repository.status_counts(connection_id)
    return DashboardData(
        products=product_counts,
        orders=orders.status_counts(session, connection_id),
        sales=orders.sales(session, sales_days, connection_id=connection_id),
        prerequisites=prerequisites.summary(listings.prerequisite_checks(tiktok)),
        plan=plan_usage(session, merchant_id),
        store_domain=store.external_id if store else None,
        tiktok_shop=tiktok.name if tiktok else None,
        store=_store_account(store) if store else None,
        shop=_shop_account(tiktok) if tiktok else None,
        shop_id=connection_id,
    )


@dataclass(frozen=True)
class ShopFigures:
    """One shop's line of the overview."""

    id: str
    name: str
    region: str | None
    currency: str | None
    products: dict[str, int]
    orders: int
    order_statuses: dict[str, int]
    sales: dict  # amount, currency, orders, units over the period


def overview(session: Session, merchant_id: int, sales_days: int = 30) -> tuple[list[ShopFigures], PlanUsage]:
    """Every active TikTok shop of the merchant side by side, and the plan's usage across them."""
    repository = ListingRepository(session)
    figures = []
    for context in shop_contexts(session):
        shop = context.shop
        counts = orders.status_counts(session, shop.id)
        sales = orders.sales(session, sales_days, connection_id=shop.id)
        figures.append(
            ShopFigures(
                id=shop.id,
                name=shop.name or shop.external_id,
                region=shop.region,
                currency=shop_currency(shop),
                products=repository.status_counts(shop.id),
                orders=sum(counts.values()),
                order_statuses=counts,
                sales={key: sales[key] for key in ("period_days", "amount", "currency", "orders", "units")},
            )
        )
    return figures, plan_usage(session, merchant_id)


def shop_currency(shop: ChannelConnection) -> str:
    """The currency the shop sells in: its region's (TikTok prices a shop in one currency)."""
    return CURRENCY_BY_REGION.get((shop.region or "US").upper(), "USD")


def _unlinked_store(session: Session) -> ChannelConnection | None:
    """Before any TikTok shop is connected: the store the merchant connected, for the checklist."""
    return session.scalar(
        select(ChannelConnection)
        .where(ChannelConnection.channel.in_(sorted(store_kinds())), ChannelConnection.status == "active")
        .order_by(ChannelConnection.created_at, ChannelConnection.id)
        .limit(1)
    )


def _shop_account(tiktok: ChannelConnection) -> ConnectedAccount:
    return ConnectedAccount(
        name=tiktok.name or tiktok.external_id,
        external_id=tiktok.external_id,
        connected_at=tiktok.created_at,
        region=tiktok.region,
        kind=tiktok.channel,
    )


def _store_account(store: ChannelConnection) -> ConnectedAccount:
    catalog = (store.data or {}).get("catalog") or {}
    return ConnectedAccount(
        name=catalog.get("store_name") or store.name or store.external_id,
        external_id=store.external_id,
        connected_at=store.created_at,
        currency=store.currency,
        kind=store.channel,
    )
