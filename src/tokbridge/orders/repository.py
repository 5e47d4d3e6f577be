"""All order queries. Sessions are merchant-bound (tenant scoping adds the merchant to every query),
except the system-wide lookups named as such."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Date, cast, func, select
from sqlalchemy.orm import Session

from tokbridge.catalog.models import CatalogInventoryLevel, CatalogVariant
from tokbridge.channels.models import ChannelConnection
from tokbridge.listings.models import Listing, ListingSku
from tokbridge.orders.models import (
    Cancellation,
    Order,
    OrderLine,
    OrderPollCursor,
    OrderSettings,
    OrderStatus,
    Return,
    Shipment,
    StoreSync,
)


class OrderRepository:
    def __init__(self, session: Session):
        self.session = session

    # --- orders -------------------------------------------------------------------------------------

    def get(self, order_id: int, *, for_update: bool = False) -> Order | None:
        query = select(Order).where(Order.id == order_id)
        if for_update:
            query = query.with_for_update()
        return self.session.scalar(query)

    def by_tiktok_id(self, connection_id: str, tiktok_order_id: str, *, for_update: bool = False) -> Order | None:
        query = select(Order).where(Order.connection_id == connection_id, Order.tiktok_order_id == tiktok_order_id)
        if for_update:
            query = query.with_for_update()
        return self.session.scalar(query)

    def by_store_order(self, store_order_id: str) -> Order | None:
        return self.session.scalar(select(Order).where(Order.store_order_id == store_order_id))

    def lines(self, order_id: int) -> list[OrderLine]:
        return list(self.session.scalars(select(OrderLine).where(OrderLine.order_id == order_id)
                                         .order_by(OrderLine.id)))

    def lines_for(self, order_ids: Sequence[int]) -> dict[int, list[OrderLine]]:
        found: dict[int, list[OrderLine]] = {order_id: [] for order_id in order_ids}
        if order_ids:
            for line in self.session.scalars(select(OrderLine).where(OrderLine.order_id.in_(list(order_ids)))
                                              .order_by(OrderLine.id)):
                found[line.order_id].append(line)
        return found

    def search(self, *, status: str | None = None, store_sync: str | None = None, query: str | None = None,
               limit: int = 50, offset: int = 0) -> tuple[list[Order], int]:
        conditions = []
        if status:
            conditions.append(Order.status == status)
        if store_sync:
            conditions.append(Order.store_sync == store_sync)
        if query:
            like = f"%{query.strip()}%"
            conditions.append(Order.tiktok_order_id.like(like) | Order.store_order_name.like(like))
        total = self.session.scalar(select(func.count()).select_from(Order).where(*conditions)) or 0
        rows = self.session.scalars(select(Order).where(*conditions).order_by(Order.placed_at.desc(), Order.id.desc())
                                    .limit(limit).offset(offset))
        return list(rows), total

    def status_counts(self) -> dict[str, int]:
        counts = {status.value: 0 for status in OrderStatus}
        for status, count in self.session.execute(select(Order.status, func.count()).group_by(Order.status)):
            counts[status] = count
        return counts

    def created_in_store_since(self, since: datetime) -> int:
        """Orders brought into the store in the billing period: what the plan's order limit counts."""
        return self.session.scalar(select(func.count()).select_from(Order).where(
            Order.store_created_at >= since)) or 0

    def with_store_sync(self, states: Sequence[str], *, limit: int = 500) -> list[Order]:
        return list(self.session.scalars(select(Order).where(Order.store_sync.in_(list(states)))
                                         .order_by(Order.placed_at, Order.id).limit(limit)))

    # --- SKUs -> store variants ---------------------------------------------------------------------

    def variants_for_skus(self, connection_id: str, tiktok_sku_ids: Sequence[str]) -> dict[str, tuple[int, str]]:
        """{TikTok SKU id: (catalog variant id, store variant id)} for the linked SKUs among `tiktok_sku_ids`."""
        if not tiktok_sku_ids:
            return {}
        rows = self.session.execute(
            select(ListingSku.tiktok_sku_id, CatalogVariant.id, CatalogVariant.external_id)
            .join(Listing, Listing.id == ListingSku.listing_id)
            .join(CatalogVariant, CatalogVariant.id == ListingSku.variant_id)
            .where(Listing.connection_id == connection_id, ListingSku.tiktok_sku_id.in_(list(set(tiktok_sku_ids)))))
        return {sku_id: (variant_id, external_id) for sku_id, variant_id, external_id in rows}

    def variant_external_ids(self, variant_ids: Sequence[int]) -> dict[int, str]:
        if not variant_ids:
            return {}
        rows = self.session.execute(select(CatalogVariant.id, CatalogVariant.external_id)
                                    .where(CatalogVariant.id.in_(list(set(variant_ids)))))
        return dict(rows.all())

    # --- shipments, cancellations, returns ------------------------------------------------------------

    def shipments(self, order_id: int) -> list[Shipment]:
        return list(self.session.scalars(select(Shipment).where(Shipment.order_id == order_id).order_by(Shipment.id)))

    def shipment(self, order_id: int, store_fulfillment_id: str) -> Shipment | None:
        return self.session.scalar(select(Shipment).where(Shipment.order_id == order_id,
                                                          Shipment.store_fulfillment_id == store_fulfillment_id))

    def cancellations(self, order_id: int | None = None, *, pending_only: bool = False) -> list[Cancellation]:
        query = select(Cancellation).order_by(Cancellation.id.desc())
        if order_id is not None:
            query = query.where(Cancellation.order_id == order_id)
        if pending_only:
            query = query.where(Cancellation.cancel_status == "CANCELLATION_REQUEST_PENDING")
        return list(self.session.scalars(query))

    def cancellation(self, cancellation_id: int) -> Cancellation | None:
        return self.session.scalar(select(Cancellation).where(Cancellation.id == cancellation_id))

    def cancellation_by_tiktok_id(self, connection_id: str, cancel_id: str) -> Cancellation | None:
        return self.session.scalar(select(Cancellation).where(Cancellation.connection_id == connection_id,
                                                              Cancellation.tiktok_cancel_id == cancel_id))

    def returns(self, order_id: int | None = None, *, status: str | None = None, limit: int = 100) -> list[Return]:
        query = select(Return).order_by(Return.id.desc()).limit(limit)
        if order_id is not None:
            query = query.where(Return.order_id == order_id)
        if status:
            query = query.where(Return.return_status == status)
        return list(self.session.scalars(query))

    def return_row(self, return_id: int) -> Return | None:
        return self.session.get(Return, return_id)

    def restock_targets(self, order_id: int, tiktok_line_ids: Sequence[str]) -> list[tuple[str, str]]:
        """(inventory item, location) in the store for each of these order lines whose variant is known:
        the variant's first stock location (where the store keeps it)."""
        first_level = (select(CatalogInventoryLevel.variant_id, func.min(CatalogInventoryLevel.id).label("level_id"))
                       .group_by(CatalogInventoryLevel.variant_id).subquery())
        rows = self.session.execute(
            select(CatalogVariant.inventory_item_external_id, CatalogInventoryLevel.location_external_id)
            .select_from(OrderLine)
            .join(CatalogVariant, CatalogVariant.id == OrderLine.variant_id)
            .join(first_level, first_level.c.variant_id == CatalogVariant.id)
            .join(CatalogInventoryLevel, CatalogInventoryLevel.id == first_level.c.level_id)
            .where(OrderLine.order_id == order_id, OrderLine.tiktok_line_id.in_(list(tiktok_line_ids)))
            .order_by(OrderLine.id))
        return [(item, location) for item, location in rows if item]

    def return_by_tiktok_id(self, connection_id: str, return_id: str) -> Return | None:
        return self.session.scalar(select(Return).where(Return.connection_id == connection_id,
                                                        Return.tiktok_return_id == return_id))

    # --- settings and the poll cursor ---------------------------------------------------------------

    def settings(self, merchant_id: int, *, create: bool = True) -> OrderSettings:
        """The merchant's order settings; defaults (not stored) when `create` is False and none exist."""
        found = self.session.scalar(select(OrderSettings).where(OrderSettings.merchant_id == merchant_id))
        if found is None:
            found = OrderSettings(merchant_id=merchant_id, restock_on_cancel=True, restock_on_return=True,
                                  unknown_sku="fail", carrier_map={})
            if create:
                self.session.add(found)
                self.session.flush()
        return found

    def cursor(self, merchant_id: int, connection_id: str) -> OrderPollCursor:
        found = self.session.scalar(select(OrderPollCursor).where(OrderPollCursor.connection_id == connection_id))
        if found is None:
            found = OrderPollCursor(merchant_id=merchant_id, connection_id=connection_id, searched_until=0)
            self.session.add(found)
            self.session.flush()
        return found

    # --- sales --------------------------------------------------------------------------------------

    def sales_per_day_since(self, since: datetime) -> list[tuple[date, str, int, int, int]]:
        """(UTC day, currency, amount, orders, units) of paid, not cancelled orders placed since `since`,
        summed in the database (a 90-day period can hold tens of thousands of orders)."""
        if self.session.get_bind().dialect.name == "postgresql":
            day = cast(func.timezone("UTC", Order.placed_at), Date)
        else:  # SQLite keeps UTC datetimes as ISO text: date() takes the day
            day = func.date(Order.placed_at)
        rows = self.session.execute(
            select(day, Order.currency, func.sum(Order.total_minor), func.count(), func.sum(Order.units))
            .where(Order.placed_at >= since, Order.status.not_in([OrderStatus.CANCELLED, OrderStatus.UNPAID]))
            .group_by(day, Order.currency))
        return [(value if isinstance(value, date) else date.fromisoformat(value), currency, int(amount or 0),
                 int(orders), int(units or 0)) for value, currency, amount, orders, units in rows]

    def top_products_since(self, since: datetime, limit: int = 5) -> list[tuple[str, str, int, int]]:
        """(TikTok product id, name, units, amount) of the best sellers since `since`."""
        # Counted from the covering indexes only; the names of the few winners are read afterwards.
        units, amount = func.count(), func.sum(OrderLine.sale_minor)
        top = self.session.execute(
            select(OrderLine.tiktok_product_id, units, amount)
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.placed_at >= since, Order.status.not_in([OrderStatus.CANCELLED, OrderStatus.UNPAID]),
                   OrderLine.display_status.is_distinct_from("CANCELLED"))
            .group_by(OrderLine.tiktok_product_id)
            .order_by(units.desc(), amount.desc())
            .limit(limit)).all()
        return [(product_id, self._product_name_since(product_id, since), count, total)
                for product_id, count, total in top]

    def _product_name_since(self, tiktok_product_id: str | None, since: datetime) -> str:
        """The name on one of the product's lines in the period (a best seller's first one is near)."""
        return self.session.scalar(
            select(OrderLine.product_name).join(Order, Order.id == OrderLine.order_id)
            .where(Order.placed_at >= since, OrderLine.tiktok_product_id == tiktok_product_id).limit(1)) or ""


def active_tiktok_connections(session: Session) -> list[tuple[int, str]]:
    """System-wide (unbound session): (merchant id, connection id) of every active TikTok connection."""
    rows = session.execute(select(ChannelConnection.merchant_id, ChannelConnection.id).where(
        ChannelConnection.channel == "tiktok", ChannelConnection.status == "active"))
    return [tuple(row) for row in rows]


def merchants_with_orders_in(session: Session, states: Sequence[str]) -> list[int]:
    """System-wide: merchants having orders in one of `states` (waiting for the plan, pending)."""
    return list(session.scalars(select(Order.merchant_id).where(Order.store_sync.in_(list(states))).distinct()))


__all__ = ["OrderRepository", "StoreSync", "active_tiktok_connections", "merchants_with_orders_in"]
