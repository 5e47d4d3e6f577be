"""All order queries. Sessions are merchant-bound (tenant scoping adds the merchant to every query),
except the system-wide lookups named as such."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    and_,
    cast,
    delete,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    true,
    union_all,
)
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
    ProductSalesDay,
    Return,
    SalesDay,
    SalesDayMark,
    Shipment,
    StoreSync,
    TopProductsSnapshot,
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

    def by_store_order(self, store_order_id: str, store_connection_id: str | None = None) -> Order | None:
        """The order bound to a store order; of that store only when `store_connection_id` is given (the
        store it was created in, or for an order that did not record it, the store linked to its shop)."""
        query = select(Order).where(Order.store_order_id == store_order_id)
        if store_connection_id is not None:
            query = query.where(func.coalesce(Order.store_connection_id, shop_store_of_order()) == store_connection_id)
        return self.session.scalar(query)

    def lines(self, order_id: int) -> list[OrderLine]:
        return list(
            self.session.scalars(select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.id))
        )

    def lines_for(self, order_ids: Sequence[int]) -> dict[int, list[OrderLine]]:
        found: dict[int, list[OrderLine]] = {order_id: [] for order_id in order_ids}
        if order_ids:
            for line in self.session.scalars(
                select(OrderLine).where(OrderLine.order_id.in_(list(order_ids))).order_by(OrderLine.id)
            ):
                found[line.order_id].append(line)
        return found

    def shipments_for(self, order_ids: Sequence[int]) -> dict[int, list[Shipment]]:
        found: dict[int, list[Shipment]] = {order_id: [] for order_id in order_ids}
        if order_ids:
            for row in self.session.scalars(
                select(Shipment).where(Shipment.order_id.in_(list(order_ids))).order_by(Shipment.id)
            ):
                found[row.order_id].append(row)
        return found

    def search(
        self,
        *,
        status: str | None = None,
        store_sync: str | None = None,
        query: str | None = None,
        limit: int = 50,
        offset: int = 0,
        connection_id: str | None = None,
    ) -> tuple[list[Order], int]:
        """The merchant's orders (of one TikTok shop when `connection_id` is given), newest first."""
        conditions = []
        if connection_id is not None:
            conditions.append(Order.connection_id == connection_id)
        if status:
            conditions.append(Order.status == status)
        if store_sync:
            conditions.append(Order.store_sync == store_sync)
        if query:
            like = f"%{query.strip()}%"
            conditions.append(Order.tiktok_order_id.like(like) | Order.store_order_name.like(like))
        total = self.session.scalar(select(func.count()).select_from(Order).where(*conditions)) or 0
        rows = self.session.scalars(
            select(Order)
            .where(*conditions)
            .order_by(Order.placed_at.desc(), Order.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return list(rows), total

    def status_counts(self, connection_id: str | None = None) -> dict[str, int]:
        """Orders per dashboard status, of one TikTok shop when `connection_id` is given."""
        counts = {status.value: 0 for status in OrderStatus}
        query = select(Order.status, func.count()).group_by(Order.status)
        if connection_id is not None:
            query = query.where(Order.connection_id == connection_id)
        for status, count in self.session.execute(query):
            counts[status] = count
        return counts

    def waiting_for_plan(self) -> int:
        """Orders held until the plan has room (of every merchant, in an unbound session)."""
        return (
            self.session.scalar(
                select(func.count()).select_from(Order).where(Order.store_sync == StoreSync.WAITING_FOR_PLAN)
            )
            or 0
        )

    def counted_since(self, since: datetime) -> int:
        """Orders sent or brought into the store in the billing period: what the plan's order limit counts."""
        return self.session.scalar(select(func.count()).select_from(Order).where(Order.plan_counted_at >= since)) or 0

    def with_store_sync(
        self, states: Sequence[str], *, limit: int = 500, connection_id: str | None = None
    ) -> list[Order]:
        """The merchant's orders in these states (of one TikTok shop when `connection_id` is given)."""
        query = select(Order).where(Order.store_sync.in_(list(states)))
        if connection_id is not None:
            query = query.where(Order.connection_id == connection_id)
        return list(self.session.scalars(query.order_by(Order.placed_at, Order.id).limit(limit)))

    # --- SKUs -> store variants ---------------------------------------------------------------------

    def variants_for_skus(self, connection_id: str, tiktok_sku_ids: Sequence[str]) -> dict[str, tuple[int, str]]:
        """{TikTok SKU id: (catalog variant id, store variant id)} for the linked SKUs among `tiktok_sku_ids`."""
        if not tiktok_sku_ids:
            return {}
        rows = self.session.execute(
            select(ListingSku.tiktok_sku_id, CatalogVariant.id, CatalogVariant.external_id)
            .join(Listing, Listing.id == ListingSku.listing_id)
            .join(CatalogVariant, CatalogVariant.id == ListingSku.variant_id)
            .where(Listing.connection_id == connection_id, ListingSku.tiktok_sku_id.in_(list(set(tiktok_sku_ids))))
        )
        return {sku_id: (variant_id, external_id) for sku_id, variant_id, external_id in rows}

    def variant_external_ids(self, variant_ids: Sequence[int]) -> dict[int, str]:
        if not variant_ids:
            return {}
        rows = self.session.execute(
            select(CatalogVariant.id, CatalogVariant.external_id).where(CatalogVariant.id.in_(list(set(variant_ids))))
        )
        return dict(rows.all())

    # --- shipments, cancellations, returns ------------------------------------------------------------

    def shipments(self, order_id: int) -> list[Shipment]:
        return list(self.session.scalars(select(Shipment).where(Shipment.order_id == order_id).order_by(Shipment.id)))

    def shipment(self, order_id: int, store_fulfillment_id: str) -> Shipment | None:
        return self.session.scalar(
            select(Shipment).where(Shipment.order_id == order_id, Shipment.store_fulfillment_id == store_fulfillment_id)
        )

    def cancellations(
        self, order_id: int | None = None, *, pending_only: bool = False, connection_id: str | None = None
    ) -> list[Cancellation]:
        query = select(Cancellation).order_by(Cancellation.id.desc())
        if connection_id is not None:
            query = query.where(Cancellation.connection_id == connection_id)
        if order_id is not None:
            query = query.where(Cancellation.order_id == order_id)
        if pending_only:
            query = query.where(Cancellation.cancel_status == "CANCELLATION_REQUEST_PENDING")
        return list(self.session.scalars(query))

    def cancellation(self, cancellation_id: int) -> Cancellation | None:
        return self.session.scalar(select(Cancellation).where(Cancellation.id == cancellation_id))

    def cancellation_by_tiktok_id(self, connection_id: str, cancel_id: str) -> Cancellation | None:
        return self.session.scalar(
            select(Cancellation).where(
                Cancellation.connection_id == connection_id, Cancellation.tiktok_cancel_id == cancel_id
            )
        )

    def returns(
        self,
        order_id: int | None = None,
        *,
        status: str | None = None,
        limit: int = 100,
        connection_id: str | None = None,
    ) -> list[Return]:
        query = select(Return).order_by(Return.id.desc()).limit(limit)
        if connection_id is not None:
            query = query.where(Return.connection_id == connection_id)
        if order_id is not None:
            query = query.where(Return.order_id == order_id)
        if status:
            query = query.where(Return.return_status == status)
        return list(self.session.scalars(query))

    def return_row(self, return_id: int) -> Return | None:
        return self.session.get(Return, return_id)

    def restock_targets(
        self, order_id: int, tiktok_line_ids: Sequence[str]
    ) -> list[tuple[str, str | None, str | None]]:
        """For each of these order lines: (item name, inventory item, location) in the store, the location
        being the variant's first stock location (where the store keeps it); item and location are None
        when the line has no store variant, or its variant no stock location."""
        first_level = (
            select(CatalogInventoryLevel.variant_id, func.min(CatalogInventoryLevel.id).label("level_id"))
            .group_by(CatalogInventoryLevel.variant_id)
            .subquery()
        )
        rows = self.session.execute(
            select(
                OrderLine.product_name,
                OrderLine.sku_name,
                OrderLine.seller_sku,
                CatalogVariant.inventory_item_external_id,
                CatalogInventoryLevel.location_external_id,
            )
            .select_from(OrderLine)
            .outerjoin(CatalogVariant, CatalogVariant.id == OrderLine.variant_id)
            .outerjoin(first_level, first_level.c.variant_id == CatalogVariant.id)
            .outerjoin(CatalogInventoryLevel, CatalogInventoryLevel.id == first_level.c.level_id)
            .where(OrderLine.order_id == order_id, OrderLine.tiktok_line_id.in_(list(tiktok_line_ids)))
            .order_by(OrderLine.id)
        )
        targets: list[tuple[str, str | None, str | None]] = []
        for product, sku_name, seller_sku, item, location in rows:
            name = " - ".join(part for part in (product, sku_name) if part) or "Item"
            name = f"{name} ({seller_sku})" if seller_sku else name
            targets.append((name, item, location) if item and location else (name, None, None))
        return targets

    def return_by_tiktok_id(self, connection_id: str, return_id: str) -> Return | None:
        return self.session.scalar(
            select(Return).where(Return.connection_id == connection_id, Return.tiktok_return_id == return_id)
        )

    # --- settings and the poll cursor ---------------------------------------------------------------

    def settings(self, merchant_id: int, connection_id: str, *, create: bool = True) -> OrderSettings:
        """One TikTok shop's order settings; defaults (not stored) when `create` is False and none exist."""
        found = self.session.scalar(
            select(OrderSettings).where(
                OrderSettings.merchant_id == merchant_id, OrderSettings.connection_id == connection_id
            )
        )
        if found is None:
            found = OrderSettings(
                merchant_id=merchant_id,
                connection_id=connection_id,
                restock_on_cancel=True,
                restock_on_return=True,
                unknown_sku="fail",
                carrier_map={},
            )
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


def shop_store_of_order():
    """SQL: the store linked to an order's TikTok shop (a correlated scalar subquery)."""
    return (
        select(ChannelConnection.store_connection_id)
        .where(ChannelConnection.id == Order.connection_id)
        .correlate(Order)
        .scalar_subquery()
    )


def stores_holding_orders(session: Session) -> list[tuple[int, str]]:
    """System-wide: (merchant id, store connection id) of every store holding orders from TikTok."""
    store = func.coalesce(Order.store_connection_id, shop_store_of_order())
    rows = session.execute(select(Order.merchant_id, store).where(Order.store_sync == StoreSync.CREATED).distinct())
    return [(merchant_id, store_id) for merchant_id, store_id in rows if store_id]


def every_active_shop(session: Session) -> list[tuple[int, str]]:
    """System-wide (unbound session): (merchant id, connection id) of every active TikTok connection."""
    rows = session.execute(
        select(ChannelConnection.merchant_id, ChannelConnection.id).where(
            ChannelConnection.channel == "tiktok", ChannelConnection.status == "active"
        )
    )
    return [(merchant_id, connection_id) for merchant_id, connection_id in rows]


def merchants_with_orders_in(session: Session, states: Sequence[str]) -> list[int]:
    """System-wide: merchants having orders in one of `states` (waiting for the plan, pending)."""
    return list(session.scalars(select(Order.merchant_id).where(Order.store_sync.in_(list(states))).distinct()))


__all__ = ["OrderRepository", "StoreSync", "every_active_shop", "merchants_with_orders_in", "stores_holding_orders"]


# --- sales figures ---------------------------------------------------------------------------------------

# A span of whole UTC days, [start, end): what the live sums read from the orders.
Span = tuple[datetime, datetime]
# Sales are paid orders past TikTok's remorse window (On hold: the buyer may still cancel freely), not
# cancelled, less the refunds recorded on them (on the order's day, like the order).
NOT_SALES = (OrderStatus.CANCELLED, OrderStatus.UNPAID, OrderStatus.ON_HOLD)
# Return statuses where TikTok has refunded the buyer or decided to ("Return status" in TikTok's docs).
REFUNDED_RETURN_STATUSES = (
    "RETURN_OR_REFUND_REQUEST_SUCCESS",
    "RETURN_OR_REFUND_REQUEST_COMPLETE",
    "REPLACEMENT_REQUEST_REFUND_SUCCESS",
)


class SalesRepository:
    """The sales figures: per-day rows counted by the recount job (`SalesDay`, `ProductSalesDay`), and the
    same sums read live from the orders for the days marked as changed since (`SalesDayMark`)."""

    def __init__(self, session: Session):
        self.session = session

    def marked_days(self, first_day: date) -> set[date]:
        return set(self.session.scalars(select(SalesDayMark.day).where(SalesDayMark.day >= first_day).distinct()))

    def counted_per_day(self, first_day: date, skip: set[date]) -> list[tuple[date, str, int, int, int]]:
        """(day, currency, amount, orders, units) as counted, for the days since `first_day` not in `skip`."""
        rows = self.session.execute(
            select(SalesDay.day, SalesDay.currency, SalesDay.amount_minor, SalesDay.orders, SalesDay.units).where(
                SalesDay.day >= first_day, SalesDay.day.not_in(skip) if skip else true()
            )
        )
        return [(day, currency, amount, orders, units) for day, currency, amount, orders, units in rows]

    def live_per_day(
        self, spans: Sequence[Span], connection_id: str | None = None
    ) -> list[tuple[date, str, int, int, int]]:
        """(UTC day, currency, amount, orders, units) of the sales (NOT_SALES) placed in `spans`, summed in
        the database; the amount is net of the refunds recorded on them. Of one TikTok shop when
        `connection_id` is given."""
        if not spans:
            return []
        shop = (Order.connection_id == connection_id) if connection_id is not None else true()
        day: ColumnElement[Any]
        if self.session.get_bind().dialect.name == "postgresql":
            day = cast(func.timezone("UTC", Order.placed_at), Date)
        else:  # SQLite keeps UTC datetimes as ISO text: date() takes the day
            day = func.date(Order.placed_at)
        rows = self.session.execute(
            select(day, Order.currency, func.sum(Order.total_minor), func.count(), func.sum(Order.units))
            .where(_placed_in(spans), Order.status.not_in(NOT_SALES), shop)
            .group_by(day, Order.currency)
        )
        refunds = self.session.execute(
            select(day, Order.currency, func.sum(Return.refund_minor))
            .join(Order, Order.id == Return.order_id)
            .where(
                _placed_in(spans),
                Order.status.not_in(NOT_SALES),
                shop,
                Return.return_status.in_(REFUNDED_RETURN_STATUSES),
            )
            .group_by(day, Order.currency)
        )
        refunded = {(_as_date(value), currency): int(amount or 0) for value, currency, amount in refunds}
        return [
            (
                _as_date(value),
                currency,
                int(amount or 0) - refunded.get((_as_date(value), currency), 0),
                int(orders),
                int(units or 0),
            )
            for value, currency, amount, orders, units in rows
        ]

    def live_per_product(
        self, spans: Sequence[Span], connection_id: str | None = None
    ) -> list[tuple[str, str, int, int]]:
        """(TikTok product id or "", a name, units, amount) of the sold lines of orders placed in `spans`
        (of one TikTok shop when `connection_id` is given)."""
        product = func.coalesce(OrderLine.tiktok_product_id, "")
        shop = (Order.connection_id == connection_id) if connection_id is not None else true()
        rows = self.session.execute(
            select(product, func.max(OrderLine.product_name), func.count(), func.sum(OrderLine.sale_minor))
            .join(Order, Order.id == OrderLine.order_id)
            .where(_placed_in(spans), *_sold_lines(), shop)
            .group_by(product)
        )
        return [(product_id, name or "", int(units), int(amount or 0)) for product_id, name, units, amount in rows]

    def top_products(
        self, first_day: date, skip: set[date], spans: Sequence[Span], limit: int = 5
    ) -> list[tuple[str, str, int, int]]:
        """(TikTok product id, name, units, amount) of the best sellers: counted days since `first_day`
        not in `skip`, plus the live sums of `spans`, added up in one query."""
        counted = select(
            ProductSalesDay.tiktok_product_id.label("product"),
            ProductSalesDay.units.label("units"),
            ProductSalesDay.amount_minor.label("amount"),
        ).where(ProductSalesDay.day >= first_day, ProductSalesDay.day.not_in(skip) if skip else true())
        live = (
            select(
                func.coalesce(OrderLine.tiktok_product_id, "").label("product"),
                literal(1).label("units"),
                OrderLine.sale_minor.label("amount"),
            )
            .join(Order, Order.id == OrderLine.order_id)
            .where(_placed_in(spans), *_sold_lines())
        )
        both = union_all(counted, live).subquery()
        units, amount = func.sum(both.c.units), func.sum(both.c.amount)
        top = self.session.execute(
            select(both.c.product, units, amount)
            .group_by(both.c.product)
            .order_by(units.desc(), amount.desc(), both.c.product)
            .limit(limit)
        ).all()
        return [
            (product_id, self._product_name(product_id, first_day), int(count), int(total or 0))
            for product_id, count, total in top
        ]

    # --- the top products' snapshot (see TopProductsSnapshot) ------------------------------------------

    def counted_top(self, first_day: date, limit: int) -> list[tuple[str, str, int, int]]:
        """(product, name, units, amount) of the best sellers over every counted day since `first_day`."""
        units, amount = func.sum(ProductSalesDay.units), func.sum(ProductSalesDay.amount_minor)
        rows = self.session.execute(
            select(ProductSalesDay.tiktok_product_id, func.max(ProductSalesDay.product_name), units, amount)
            .where(ProductSalesDay.day >= first_day)
            .group_by(ProductSalesDay.tiktok_product_id)
            .order_by(units.desc(), amount.desc(), ProductSalesDay.tiktok_product_id)
            .limit(limit)
        )
        return [(product, name or "", int(u), int(a or 0)) for product, name, u, a in rows]

    def replace_top_snapshot(
        self, merchant_id: int, period_days: int, first_day: date, rows: Sequence[tuple[str, str, int, int]]
    ) -> None:
        self.session.execute(delete(TopProductsSnapshot).where(TopProductsSnapshot.period_days == period_days))
        if rows:
            self.session.execute(
                insert(TopProductsSnapshot),
                [
                    {
                        "merchant_id": merchant_id,
                        "period_days": period_days,
                        "first_day": first_day,
                        "rank": rank,
                        "tiktok_product_id": product,
                        "product_name": name,
                        "units": units,
                        "amount_minor": amount,
                    }
                    for rank, (product, name, units, amount) in enumerate(rows, start=1)
                ],
            )

    def top_snapshot(self, period_days: int) -> list[TopProductsSnapshot]:
        return list(
            self.session.scalars(
                select(TopProductsSnapshot)
                .where(TopProductsSnapshot.period_days == period_days)
                .order_by(TopProductsSnapshot.rank)
            )
        )

    def counted_for_products(self, products: set[str], first_day: date, skip: set[date]) -> dict[str, tuple[int, int]]:
        """{product: (units, amount)} over the counted days since `first_day` not in `skip`."""
        found: dict[str, tuple[int, int]] = {}
        wanted = sorted(products)
        for start in range(0, len(wanted), 500):
            rows = self.session.execute(
                select(
                    ProductSalesDay.tiktok_product_id,
                    func.sum(ProductSalesDay.units),
                    func.sum(ProductSalesDay.amount_minor),
                )
                .where(
                    ProductSalesDay.tiktok_product_id.in_(wanted[start : start + 500]),
                    ProductSalesDay.day >= first_day,
                    ProductSalesDay.day.not_in(skip) if skip else true(),
                )
                .group_by(ProductSalesDay.tiktok_product_id)
            )
            found.update({product: (int(u), int(a or 0)) for product, u, a in rows})
        return found

    def merchants_with_stale_top(self, period_days: int, first_day: date) -> list[int]:
        """System-wide: merchants whose snapshot of the period starts before `first_day` (a day went by)."""
        return list(
            self.session.scalars(
                select(TopProductsSnapshot.merchant_id)
                .where(TopProductsSnapshot.period_days == period_days, TopProductsSnapshot.first_day < first_day)
                .distinct()
            )
        )

    def _product_name(self, tiktok_product_id: str, first_day: date) -> str:
        """The name of one of the product's sales in the period (a best seller's is found at once)."""
        name = self.session.scalar(
            select(ProductSalesDay.product_name)
            .where(ProductSalesDay.tiktok_product_id == tiktok_product_id, ProductSalesDay.day >= first_day)
            .limit(1)
        )
        if name is None:
            name = self.session.scalar(
                select(OrderLine.product_name)
                .join(Order, Order.id == OrderLine.order_id)
                .where(
                    Order.placed_at >= _day_start(first_day),
                    func.coalesce(OrderLine.tiktok_product_id, "") == tiktok_product_id,
                )
                .limit(1)
            )
        return name or ""

    # --- the recount -----------------------------------------------------------------------------------

    def replace_day(
        self,
        merchant_id: int,
        day: date,
        per_day: Sequence[tuple[date, str, int, int, int]],
        per_product: Sequence[tuple[str, str, int, int]],
    ) -> None:
        self.session.execute(delete(SalesDay).where(SalesDay.day == day))
        self.session.execute(delete(ProductSalesDay).where(ProductSalesDay.day == day))
        if per_day:
            self.session.execute(
                insert(SalesDay),
                [
                    {
                        "merchant_id": merchant_id,
                        "day": day,
                        "currency": currency,
                        "amount_minor": amount,
                        "orders": orders,
                        "units": units,
                    }
                    for _, currency, amount, orders, units in per_day
                ],
            )
        if per_product:
            self.session.execute(
                insert(ProductSalesDay),
                [
                    {
                        "merchant_id": merchant_id,
                        "day": day,
                        "tiktok_product_id": product_id,
                        "product_name": name,
                        "units": units,
                        "amount_minor": amount,
                    }
                    for product_id, name, units, amount in per_product
                ],
            )

    def mark(self, days: Sequence[tuple[int, date]]) -> None:
        self.session.execute(insert(SalesDayMark), [{"merchant_id": m, "day": day} for m, day in days])

    def mark_every_day(self) -> int:
        """Mark every day that has orders (after orders were written around the ORM, or a migration)."""
        day: ColumnElement[Any]
        if self.session.get_bind().dialect.name == "postgresql":
            day = cast(func.timezone("UTC", Order.placed_at), Date)
        else:
            day = func.date(Order.placed_at)
        days = self.session.execute(select(Order.merchant_id, day).where(Order.placed_at.is_not(None)).distinct()).all()
        self.mark([(m, value if isinstance(value, date) else date.fromisoformat(value)) for m, value in days])
        return len(days)

    def refresh_statistics(self) -> None:
        """Both databases plan joins blind without statistics: SQLite reached a day's lines through the
        tenant index instead of their order's (17 s instead of 3 ms at 100,000 lines), PostgreSQL took
        a second per day. SQLite's sampled ANALYZE takes milliseconds, so it runs every time; PostgreSQL's
        autovacuum keeps statistics up to date, so only tables it never analyzed (orders loaded in bulk
        a moment ago) are analyzed here."""
        dialect = self.session.get_bind().dialect.name
        if dialect == "sqlite":
            self.session.execute(text("PRAGMA analysis_limit=1000"))
            self.session.execute(text("ANALYZE tiktok_order"))
            self.session.execute(text("ANALYZE tiktok_order_line"))
        elif dialect == "postgresql":
            never = self.session.scalars(
                text(
                    "SELECT relname FROM pg_stat_user_tables WHERE relname IN ('tiktok_order', 'tiktok_order_line') "
                    "AND schemaname = current_schema() AND last_analyze IS NULL AND last_autoanalyze IS NULL"
                )
            ).all()
            for table in never:
                self.session.execute(text(f"ANALYZE {table}"))

    def forget_marks(self, mark_ids: Sequence[int]) -> None:
        for start in range(0, len(mark_ids), 500):
            self.session.execute(delete(SalesDayMark).where(SalesDayMark.id.in_(mark_ids[start : start + 500])))


def marked_sales_days(session: Session, limit: int = 50_000) -> dict[tuple[int, date], list[int]]:
    """System-wide: {(merchant id, day): ids of its marks}, oldest marks first."""
    found: dict[tuple[int, date], list[int]] = {}
    rows = session.execute(
        select(SalesDayMark.id, SalesDayMark.merchant_id, SalesDayMark.day).order_by(SalesDayMark.id).limit(limit)
    )
    for mark_id, merchant_id, day in rows:
        found.setdefault((merchant_id, day), []).append(mark_id)
    return found


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)  # SQLite answers text


def _day_start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


def day_spans(days: set[date]) -> list[Span]:
    """Whole UTC days as few [start, end) spans as they allow (consecutive days join)."""
    spans: list[Span] = []
    for day in sorted(days):
        start, end = _day_start(day), _day_start(day + timedelta(days=1))
        if spans and spans[-1][1] == start:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def _placed_in(spans: Sequence[Span]):
    if not spans:
        return false()
    return or_(*(and_(Order.placed_at >= start, Order.placed_at < end) for start, end in spans))


def _sold_lines():
    return (Order.status.not_in(NOT_SALES), OrderLine.display_status.is_distinct_from("CANCELLED"))
