"""Order tables: TikTok orders with their lines, the store order they became, shipments, cancellations, returns.

Money is kept in minor units (cents) next to its currency so sales sums run in SQL on both databases.
`tiktok_update_time` is TikTok's own `update_time`: an update older than what is stored is ignored.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tokbridge.db.base import Base, BigId, TenantOwned, Timestamped


class OrderStatus(StrEnum):
    """The dashboard's order statuses."""

    UNPAID = "unpaid"
    ON_HOLD = "on_hold"
    AWAITING_SHIPMENT = "awaiting_shipment"
    AWAITING_COLLECTION = "awaiting_collection"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"


class StoreSync(StrEnum):
    """Where the order stands with the merchant's store."""

    NOT_YET = "not_yet"  # unpaid / on hold: not for the store yet
    PENDING = "pending"  # to be created in the store
    CREATED = "created"  # bound to its store order
    KEPT = "kept"  # kept in TokBridge, its stock taken in the store (a store that takes no outside orders)
    FAILED = "failed"  # could not be created (reason in `failure_reason`)
    WAITING_FOR_PLAN = "waiting_for_plan"  # over the plan's monthly order limit; kept
    SKIPPED = "skipped"  # cancelled before it ever reached the store


class Order(TenantOwned, Timestamped, Base):
    """A TikTok order and its binding to the store order (`store_order_id`)."""

    __tablename__ = "tiktok_order"
    __table_args__ = (
        UniqueConstraint("connection_id", "tiktok_order_id", name="uq_tiktok_order_connection_order"),
        Index("ix_tiktok_order_merchant_status", "merchant_id", "status"),
        # Covers the dashboard's sales per day: read from the index alone (bench/dashboard.py).
        Index(
            "ix_tiktok_order_merchant_sales", "merchant_id", "placed_at", "status", "currency", "total_minor", "units"
        ),
        Index("ix_tiktok_order_merchant_store_sync", "merchant_id", "store_sync"),
        # The plan's order count: orders counted since the billing period began.
        Index("ix_tiktok_order_merchant_plan_counted", "merchant_id", "plan_counted_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    connection_id: Mapped[str] = mapped_column(String(32), ForeignKey("channel_connection.id", ondelete="CASCADE"))
    tiktok_order_id: Mapped[str] = mapped_column(String(64))
    tiktok_status: Mapped[str] = mapped_column(String(40))
    tiktok_update_time: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(30))
    is_on_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    total_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    units: Mapped[int] = mapped_column(Integer, default=0)
    placed_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    raw: Mapped[dict] = mapped_column(JSON, default=dict)
    # The binding to the store order.
    store_sync: Mapped[str] = mapped_column(String(30), default=StoreSync.NOT_YET)
    store_order_id: Mapped[str | None] = mapped_column(String(255))
    store_order_name: Mapped[str | None] = mapped_column(String(64))
    # The store it was created in (the store linked to its shop then), and the store order's currency and
    # total as the store answered; `store_rate`: one unit of the store's currency in the order's currency,
    # when the amounts were converted (None: the store took the order's own currency or a presentment one).
    store_connection_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("channel_connection.id", ondelete="SET NULL")
    )
    store_currency: Mapped[str | None] = mapped_column(String(3))
    store_total_minor: Mapped[int | None] = mapped_column(BigInteger)
    store_rate: Mapped[Decimal | None] = mapped_column(Numeric(18, 6))
    # When the order took one of the plan's monthly orders: as it is sent to the store (so orders sent
    # at once cannot together pass the limit), kept once it is there, given back if the store refuses it.
    plan_counted_at: Mapped[datetime | None]
    failure_reason: Mapped[str | None] = mapped_column(Text)
    # Cancellation as TikTok reports it, and whether the store order was cancelled too.
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_by: Mapped[str | None] = mapped_column(String(20))
    store_cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    # The store order was moved to the merchant's delivered state once TikTok said it was delivered (a store
    # whose orders carry a state, `capabilities.order_states`): done once, never again.
    store_delivered: Mapped[bool] = mapped_column(Boolean, default=False)
    # An order kept in TokBridge: the stock it takes from the store ({"changes": [[inventory item, location,
    # change]], "not_restocked": [item names]}), saved before the store is asked, so a retry sends the same
    # and a cancellation gives back just that.
    stock_taken: Mapped[dict | None] = mapped_column(JSON)
    last_error: Mapped[str | None] = mapped_column(Text)


class OrderLine(TenantOwned, Base):
    """One TikTok line item (TikTok sends one per unit), with the variant it resolved to."""

    __tablename__ = "tiktok_order_line"
    __table_args__ = (
        UniqueConstraint("order_id", "tiktok_line_id", name="uq_tiktok_order_line_order_line"),
        # Covers the dashboard's top products: each order's lines read from the index alone.
        Index("ix_tiktok_order_line_sales", "order_id", "display_status", "tiktok_product_id", "sale_minor"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # Indexed by ix_tiktok_order_line_sales, which starts with it.
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("tiktok_order.id", ondelete="CASCADE"))
    tiktok_line_id: Mapped[str] = mapped_column(String(64))
    tiktok_sku_id: Mapped[str | None] = mapped_column(String(64))
    tiktok_product_id: Mapped[str | None] = mapped_column(String(64))
    seller_sku: Mapped[str | None] = mapped_column(String(255))
    product_name: Mapped[str] = mapped_column(Text, default="")
    sku_name: Mapped[str | None] = mapped_column(Text)
    variant_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("product_variant.id", ondelete="SET NULL"), index=True
    )
    sale_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    original_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    display_status: Mapped[str | None] = mapped_column(String(40))
    package_id: Mapped[str | None] = mapped_column(String(64))
    tracking_number: Mapped[str | None] = mapped_column(String(255))
    store_line_item_id: Mapped[str | None] = mapped_column(String(255))
    shipment_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("order_shipment.id", ondelete="SET NULL"))


class ShipmentState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Shipment(TenantOwned, Timestamped, Base):
    """A store fulfilment carried to TikTok as a shipped package."""

    __tablename__ = "order_shipment"
    __table_args__ = (UniqueConstraint("order_id", "store_fulfillment_id", name="uq_order_shipment_fulfillment"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("tiktok_order.id", ondelete="CASCADE"), index=True)
    store_fulfillment_id: Mapped[str] = mapped_column(String(255))
    tracking_number: Mapped[str | None] = mapped_column(String(255))
    tracking_company: Mapped[str | None] = mapped_column(String(255))
    shipping_provider_id: Mapped[str | None] = mapped_column(String(64))
    store_line_items: Mapped[list] = mapped_column(JSON, default=list)  # [{id, quantity}]
    tiktok_line_ids: Mapped[list] = mapped_column(JSON, default=list)
    tiktok_package_id: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20), default=ShipmentState.PENDING)
    last_error: Mapped[str | None] = mapped_column(Text)


class Cancellation(TenantOwned, Timestamped, Base):
    """A TikTok cancellation (buyer request, seller cancel, system) of an order."""

    __tablename__ = "order_cancellation"
    __table_args__ = (UniqueConstraint("connection_id", "tiktok_cancel_id", name="uq_order_cancellation_cancel"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    connection_id: Mapped[str] = mapped_column(String(32), ForeignKey("channel_connection.id", ondelete="CASCADE"))
    order_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("tiktok_order.id", ondelete="CASCADE"), index=True)
    tiktok_order_id: Mapped[str] = mapped_column(String(64))
    tiktok_cancel_id: Mapped[str] = mapped_column(String(64))
    cancel_type: Mapped[str | None] = mapped_column(String(40))
    cancel_status: Mapped[str | None] = mapped_column(String(60))
    role: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    tiktok_update_time: Mapped[int] = mapped_column(BigInteger, default=0)
    raw: Mapped[dict] = mapped_column(JSON, default=dict)


class Return(TenantOwned, Timestamped, Base):
    """A TikTok return or refund, with TikTok's state."""

    __tablename__ = "order_return"
    __table_args__ = (UniqueConstraint("connection_id", "tiktok_return_id", name="uq_order_return_return"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    connection_id: Mapped[str] = mapped_column(String(32), ForeignKey("channel_connection.id", ondelete="CASCADE"))
    order_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("tiktok_order.id", ondelete="CASCADE"), index=True)
    tiktok_order_id: Mapped[str] = mapped_column(String(64))
    tiktok_return_id: Mapped[str] = mapped_column(String(64))
    return_type: Mapped[str | None] = mapped_column(String(40))
    return_status: Mapped[str | None] = mapped_column(String(60))
    refund_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str | None] = mapped_column(String(3))
    tiktok_update_time: Mapped[int] = mapped_column(BigInteger, default=0)
    restocked: Mapped[bool] = mapped_column(Boolean, default=False)
    raw: Mapped[dict] = mapped_column(JSON, default=dict)
    # TikTok's refusal of the merchant's last decision, in plain words; cleared by the next one.
    last_error: Mapped[str | None] = mapped_column(Text)
    # The store refund recording TikTok's refund on the store order, once made.
    store_refund_id: Mapped[str | None] = mapped_column(String(255))


class OrderSettings(TenantOwned, Timestamped, Base):
    """One TikTok shop's order choices."""

    __tablename__ = "order_settings"
    __table_args__ = (UniqueConstraint("connection_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    connection_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("channel_connection.id", ondelete="CASCADE"), index=True
    )
    restock_on_cancel: Mapped[bool] = mapped_column(Boolean, default=True)
    restock_on_return: Mapped[bool] = mapped_column(Boolean, default=True)
    # An order line whose TikTok SKU is not linked: "fail" the order, or create a "custom_line" item.
    unknown_sku: Mapped[str] = mapped_column(String(20), default="fail")
    # Store tracking company -> TikTok shipping provider id (merchant's own choices over the defaults).
    carrier_map: Mapped[dict] = mapped_column(JSON, default=dict)
    # For a store whose orders carry a state of its own list (`capabilities.order_states`): the store state
    # (`StoreOrderState.external_id`) a new TikTok order (Awaiting Shipment) is created in, the one a
    # delivered order moves to, and the one a cancelled order moves to. None: the state whose meaning fits
    # (the store's paid, delivered and cancelled states).
    new_order_state: Mapped[str | None] = mapped_column(String(64))
    delivered_state: Mapped[str | None] = mapped_column(String(64))
    cancelled_state: Mapped[str | None] = mapped_column(String(64))


class OrderPollCursor(TenantOwned, Base):
    """How far the periodic search of updated orders got, per connection: a TikTok shop (TikTok's update
    time) or the merchant's store (the store's own change time), in seconds."""

    __tablename__ = "order_poll_cursor"
    __table_args__ = (UniqueConstraint("connection_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    connection_id: Mapped[str] = mapped_column(String(32), ForeignKey("channel_connection.id", ondelete="CASCADE"))
    searched_until: Mapped[int] = mapped_column(BigInteger, default=0)  # epoch seconds, the platform's clock
    searched_at: Mapped[datetime | None]


# --- the dashboard's sales, summed per day (kept by orders/sales_rollup.py) ----------------------------


class SalesDay(TenantOwned, Base):
    """Paid, not cancelled orders placed on one UTC day, per currency: the sales chart reads these rows
    instead of summing tens of thousands of orders. Recounted from the orders; see `SalesDayMark`."""

    __tablename__ = "sales_day"
    __table_args__ = (UniqueConstraint("merchant_id", "day", "currency", name="uq_sales_day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    orders: Mapped[int] = mapped_column(Integer)
    units: Mapped[int] = mapped_column(Integer)


class ProductSalesDay(TenantOwned, Base):
    """Units and amount of one TikTok product on one UTC day (lines of paid, not cancelled orders):
    the top products read these rows. `tiktok_product_id` is "" for lines without one."""

    __tablename__ = "product_sales_day"
    __table_args__ = (
        UniqueConstraint("merchant_id", "day", "tiktok_product_id", name="uq_product_sales_day"),
        # Covers the top products of a period: read from the index alone.
        Index("ix_product_sales_day_top", "merchant_id", "day", "tiktok_product_id", "units", "amount_minor"),
        # A few products' totals over a period (the candidates of a TopProductsSnapshot).
        Index("ix_product_sales_day_product", "merchant_id", "tiktok_product_id", "day", "units", "amount_minor"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date)
    tiktok_product_id: Mapped[str] = mapped_column(String(64))
    product_name: Mapped[str] = mapped_column(Text, default="")
    units: Mapped[int] = mapped_column(Integer)
    amount_minor: Mapped[int] = mapped_column(BigInteger)


class SalesDayMark(TenantOwned, Base):
    """An order placed on `day` changed after the day was last counted. Until the recount job removes the
    marks it has read, that day's figures are summed from the orders themselves, so the dashboard is
    never behind. Insert-only (one row per writing transaction): writers never wait for each other."""

    __tablename__ = "sales_day_mark"
    __table_args__ = (Index("ix_sales_day_mark_day", "merchant_id", "day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date)


class TopProductsSnapshot(TenantOwned, Base):
    """The best sellers of a period (7, 30 or 90 days from `first_day`) over the counted days, `rank` 1 to
    TOP_CANDIDATES, made by the recount job. The dashboard adds the live days to these candidates and
    keeps the answer only when it provably beats every product left out (orders/service.py)."""

    __tablename__ = "top_products_snapshot"
    __table_args__ = (Index("ix_top_products_snapshot_period", "merchant_id", "period_days", "rank"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    period_days: Mapped[int] = mapped_column(Integer)
    first_day: Mapped[date] = mapped_column(Date)
    rank: Mapped[int] = mapped_column(Integer)
    tiktok_product_id: Mapped[str] = mapped_column(String(64))
    product_name: Mapped[str] = mapped_column(Text, default="")
    units: Mapped[int] = mapped_column(Integer)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
