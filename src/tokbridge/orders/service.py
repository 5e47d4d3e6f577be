"""Order rules, in short transactions: what a TikTok order update changes, what goes to the store,
what a merchant may do. Network calls live in `tasks`; nothing here calls an API.

Every function takes a merchant-bound session (tenant scoping) and leaves committing to the caller.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from tokbridge.activity.models import ActivityStatus
from tokbridge.activity.service import record as record_activity
from tokbridge.audit import service as audit
from tokbridge.billing import service as billing
from tokbridge.channels.base import Capabilities
from tokbridge.channels.connections import ConnectionRepository
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.shops import linked_store
from tokbridge.db.base import utcnow
from tokbridge.db.engine import for_writing
from tokbridge.jobs import kinds
from tokbridge.jobs.service import enqueue
from tokbridge.orders import sales_rollup
from tokbridge.orders import status as statuses
from tokbridge.orders.mapper import ResolvedLine
from tokbridge.orders.models import Cancellation, Order, OrderLine, Return, Shipment, ShipmentState, StoreSync
from tokbridge.orders.money import to_decimal, to_minor
from tokbridge.orders.repository import OrderRepository, SalesRepository, day_spans
from tokbridge.orders.store_states import keeps_order_states
from tokbridge.tenancy.repository import AccountRepository

log = logging.getLogger(__name__)

# The kinds are declared in jobs.kinds; these names are the ones the orders code has always used.
INTAKE_JOB = kinds.ORDERS_INTAKE
TO_STORE_JOB = kinds.ORDERS_TO_STORE
SHIP_JOB = kinds.ORDERS_SHIP
CANCEL_JOB = kinds.ORDERS_CANCEL
CANCEL_IN_STORE_JOB = kinds.ORDERS_CANCEL_IN_STORE
DELIVER_IN_STORE_JOB = kinds.ORDERS_DELIVER_IN_STORE
DECIDE_JOB = kinds.ORDERS_DECIDE_CANCELLATION
POLL_ALL_JOB = kinds.ORDERS_POLL_ALL
POLL_JOB = kinds.ORDERS_POLL
POLL_STORES_JOB = kinds.ORDERS_POLL_STORES
POLL_STORE_JOB = kinds.ORDERS_POLL_STORE
RELEASE_JOB = kinds.ORDERS_RELEASE_WAITING
RETURNS_JOB = kinds.ORDERS_SYNC_RETURNS
RESTOCK_RETURN_JOB = kinds.ORDERS_RESTOCK_RETURN
DECIDE_RETURN_JOB = kinds.ORDERS_DECIDE_RETURN
REFUND_IN_STORE_JOB = kinds.ORDERS_REFUND_IN_STORE
RECOUNT_SALES_JOB = kinds.ORDERS_RECOUNT_SALES
# A return whose goods are back with the seller: restocked in the store when the setting says so.
RESTOCK_RETURN_STATUSES = frozenset({"RETURN_OR_REFUND_REQUEST_COMPLETE"})

# Store sync states an order may be (re)sent from.
SENDABLE = frozenset({StoreSync.PENDING, StoreSync.FAILED, StoreSync.WAITING_FOR_PLAN})


class OrderActionRefused(ValueError):
    """A merchant action that does not apply to the order as it is; the message says why."""


def _writing(session: Session) -> None:
    """Declare the write up front (SQLite's write lock), unless the caller's transaction already began."""
    if not session.in_transaction():
        for_writing(session)


# --- TikTok -> local ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Applied:
    order_id: int
    stale: bool = False
    to_store: bool = False
    cancel_in_store: bool = False


def _time(value) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if value else None


def is_known_and_current(
    session: Session,
    connection_id: str,
    tiktok_order_id: str,
    update_time: int | None,
    tiktok_status: str | None = None,
) -> bool:
    """True when the stored copy is already as new as a notification (nothing to fetch)."""
    if not update_time or not tiktok_status:
        return False
    order = OrderRepository(session).by_tiktok_id(connection_id, tiktok_order_id)
    return order is not None and not statuses.is_newer(
        order.tiktok_update_time, order.tiktok_status, int(update_time), tiktok_status
    )


def apply_tiktok_order(session: Session, connection: ChannelConnection, raw: dict) -> Applied:
    """Store a TikTok order as TikTok reports it (its raw payload included). An update older than the
    stored one (TikTok's `update_time`) is ignored, so repeated and out-of-order deliveries are harmless."""
    _writing(session)
    repository = OrderRepository(session)
    tiktok_id = str(raw["id"])
    update_time = int(raw.get("update_time") or 0)
    order = repository.by_tiktok_id(connection.id, tiktok_id, for_update=True)
    tiktok_status = str(raw.get("status") or "UNPAID").upper()
    if (
        order is not None
        and update_time < order.tiktok_update_time
        or (
            order is not None
            and update_time == order.tiktok_update_time
            and statuses.PROGRESS.get(tiktok_status, 0) < statuses.PROGRESS.get(order.tiktok_status, 0)
        )
    ):
        log.info(
            "order %s: update of %s older than the stored %s; ignored", tiktok_id, update_time, order.tiktok_update_time
        )
        return Applied(order.id, stale=True)
    currency = str((raw.get("payment") or {}).get("currency") or _line_currency(raw) or "USD")
    if order is None:
        order = Order(
            merchant_id=connection.merchant_id,
            connection_id=connection.id,
            tiktok_order_id=tiktok_id,
            store_sync=StoreSync.NOT_YET,
            raw={},
            status="unpaid",
            tiktok_status=tiktok_status,
        )
        session.add(order)
    order.tiktok_status = tiktok_status
    order.tiktok_update_time = update_time
    order.is_on_hold = tiktok_status == "ON_HOLD"
    order.currency = currency[:3]
    order.total_minor = to_minor((raw.get("payment") or {}).get("total_amount"), currency)
    order.placed_at = _time(raw.get("create_time")) or order.placed_at or utcnow()
    order.paid_at = _time(raw.get("paid_time")) or order.paid_at
    order.raw = raw
    if tiktok_status in statuses.CANCELLED:
        order.cancel_reason = raw.get("cancel_reason") or order.cancel_reason
        order.cancelled_by = raw.get("cancellation_initiator") or order.cancelled_by
    session.flush()
    _apply_lines(session, repository, connection, order, raw.get("line_items") or [], currency)

    to_store = cancel_in_store = False
    if tiktok_status in statuses.CANCELLED:
        if order.store_sync in (StoreSync.CREATED, StoreSync.KEPT):
            cancel_in_store = not order.store_cancelled
        elif order.store_sync != StoreSync.SKIPPED:
            order.store_sync = StoreSync.SKIPPED  # cancelled before it reached the store: nothing to undo
    elif tiktok_status in statuses.FOR_THE_STORE and order.store_sync == StoreSync.NOT_YET:
        order.store_sync = StoreSync.PENDING
        to_store = True
    elif order.store_sync == StoreSync.PENDING:
        to_store = True
    order.status = statuses.dashboard_status(tiktok_status, order.store_sync)
    if to_store:
        enqueue_to_store(session, order)
    enqueue_delivered_in_store(session, order)
    if cancel_in_store:
        enqueue(
            session,
            CANCEL_IN_STORE_JOB,
            merchant_id=order.merchant_id,
            payload={"connection_id": order.connection_id, "order_id": order.id},
            identity_key=f"{CANCEL_IN_STORE_JOB}:{order.id}",
            title=f"Cancel TikTok order {tiktok_id} in the store",
        )
    return Applied(order.id, to_store=to_store, cancel_in_store=cancel_in_store)


# Statuses a notification alone can record for an order already read from TikTok: nothing is sent
# anywhere for them. The notification carries no items or amounts, so an order not read yet is fetched.
STATUS_ONLY = frozenset({"UNPAID", "ON_HOLD"})


def apply_notification(session: Session, connection: ChannelConnection, data: dict) -> bool:
    """Record an order-status notification (webhook 1) without asking TikTok, when its status needs no
    action and the order's items and amounts are stored already. Returns False when the order must be
    fetched (new to TokBridge, store creation, cancellation, shipping...)."""
    tiktok_status = str(data.get("order_status") or "").upper()
    update_time = int(data.get("update_time") or 0)
    if tiktok_status not in STATUS_ONLY or not update_time:
        return False
    _writing(session)
    repository = OrderRepository(session)
    tiktok_id = str(data["order_id"])
    order = repository.by_tiktok_id(connection.id, tiktok_id, for_update=True)
    if order is not None and not statuses.is_newer(
        order.tiktok_update_time, order.tiktok_status, update_time, tiktok_status
    ):
        return True  # a repeat, or older than what is stored
    if order is None or "line_items" not in (order.raw or {}):
        return False  # its items and amounts come only with the order itself
    if order.store_sync != StoreSync.NOT_YET:
        return False  # already further along (a late notification that is newer): let the fetch decide
    order.tiktok_status = tiktok_status
    order.tiktok_update_time = update_time
    order.is_on_hold = tiktok_status == "ON_HOLD"
    order.status = statuses.dashboard_status(tiktok_status, order.store_sync)
    session.flush()
    return True


def _line_currency(raw: dict) -> str | None:
    return next((item.get("currency") for item in raw.get("line_items") or [] if item.get("currency")), None)


def _apply_lines(
    session: Session,
    repository: OrderRepository,
    connection: ChannelConnection,
    order: Order,
    items: list[dict],
    currency: str,
) -> None:
    existing = {line.tiktok_line_id: line for line in repository.lines(order.id)}
    new_skus = [str(item.get("sku_id")) for item in items if str(item.get("id")) not in existing and item.get("sku_id")]
    variants = repository.variants_for_skus(connection.id, new_skus)
    units = 0
    for item in items:
        line_id = str(item.get("id"))
        line = existing.get(line_id)
        if line is None:
            sku_id = str(item["sku_id"]) if item.get("sku_id") else None
            line = OrderLine(
                merchant_id=order.merchant_id,
                order_id=order.id,
                tiktok_line_id=line_id,
                tiktok_sku_id=sku_id,
                tiktok_product_id=str(item.get("product_id") or "") or None,
                seller_sku=item.get("seller_sku") or None,
                product_name=str(item.get("product_name") or ""),
                sku_name=item.get("sku_name"),
                variant_id=variants.get(sku_id or "", (None,))[0],
                sale_minor=to_minor(item.get("sale_price"), currency),
                original_minor=to_minor(item.get("original_price") or item.get("sale_price"), currency),
            )
            session.add(line)
            existing[line_id] = line
        line.display_status = item.get("display_status") or line.display_status
        line.package_id = item.get("package_id") or line.package_id
        line.tracking_number = item.get("tracking_number") or line.tracking_number
        if line.display_status != "CANCELLED":
            units += 1
    order.units = units
    session.flush()


def enqueue_delivered_in_store(session: Session, order: Order) -> bool:
    """A delivered (or completed) TikTok order whose store order carries a state (`capabilities.order_states`)
    moves to the merchant's delivered state, once: queued until `store_delivered` records it done."""
    if (
        order.tiktok_status not in statuses.DELIVERED
        or order.store_sync != StoreSync.CREATED
        or not order.store_order_id
        or order.store_delivered
        or order.store_cancelled
    ):
        return False
    store = ConnectionRepository(session).get(order.store_connection_id) if order.store_connection_id else None
    if store is None:
        shop = ConnectionRepository(session).get(order.connection_id)
        store = linked_store(session, shop) if shop is not None else None
    if not keeps_order_states(store):
        return False
    enqueue(
        session,
        DELIVER_IN_STORE_JOB,
        merchant_id=order.merchant_id,
        payload={"connection_id": order.connection_id, "order_id": order.id},
        identity_key=f"{DELIVER_IN_STORE_JOB}:{order.id}",
        title=f"Mark TikTok order {order.tiktok_order_id} delivered in the store",
    )
    return True


def enqueue_to_store(session: Session, order: Order) -> None:
    enqueue(
        session,
        TO_STORE_JOB,
        merchant_id=order.merchant_id,
        payload={"connection_id": order.connection_id, "order_id": order.id},
        identity_key=f"{TO_STORE_JOB}:{order.id}",
        title=f"Bring TikTok order {order.tiktok_order_id} into the store",
    )


# --- local -> store -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StorePlan:
    """What to send to the store for an order, or why not."""

    order_id: int
    tiktok_order_id: str
    raw: dict
    currency: str
    lines: list[ResolvedLine]
    store_order_id: str | None = None  # already bound: nothing to create
    connection_id: str | None = None  # the order's TikTok shop: its linked store gets the order


def plan_usage(session: Session, merchant_id: int, products_used: int | None = None) -> billing.PlanUsage:
    """The plan with its real order count: orders sent or brought into the store in the billing period."""
    subscription = billing.subscription_for(session, merchant_id)
    usage = billing.usage(subscription, products_used=products_used or 0, orders_used=0)
    return dataclasses.replace(usage, orders_used=OrderRepository(session).counted_since(usage.period_start))


def prepare_for_store(session: Session, order_id: int) -> StorePlan | None:
    """The order as the store should get it; None when there is nothing to send now.

    Records why not on the order: over the plan's limit (kept, waiting for the plan), or an unlinked SKU
    (Failed, unless the merchant chose custom line items)."""
    _writing(session)
    repository = OrderRepository(session)
    order = repository.get(order_id)
    if order is None:
        return None
    # One order at a time per merchant takes a place in the plan's count; the merchant first, then the
    # order, the same order as everywhere.
    AccountRepository(session).lock_merchant(order.merchant_id)
    order = repository.get(order_id, for_update=True)
    if order is None:  # deleted with its merchant meanwhile
        return None
    if order.store_order_id:
        return StorePlan(
            order.id, order.tiktok_order_id, order.raw, order.currency, [], order.store_order_id, order.connection_id
        )
    if order.store_sync not in SENDABLE or order.tiktok_status in statuses.CANCELLED:
        order.plan_counted_at = None  # a place taken by an earlier attempt is given back
        return None
    usage = plan_usage(session, order.merchant_id)
    counted = order.plan_counted_at is not None and order.plan_counted_at >= usage.period_start
    if not counted and usage.orders_left <= 0:
        order.store_sync = StoreSync.WAITING_FOR_PLAN
        order.failure_reason = (
            f"Waiting for the plan: the {usage.plan.name} plan's {usage.plan.order_limit} orders "
            f"this month are used. Upgrade, or it comes in when the month turns "
            f"({usage.billing_date:%d %B})."
        )
        order.status = statuses.dashboard_status(order.tiktok_status, order.store_sync)
        return None
    lines = [line for line in repository.lines(order.id) if line.display_status != "CANCELLED"]
    # SKUs linked since the order came in (retry after linking).
    unresolved = [line for line in lines if line.variant_id is None and line.tiktok_sku_id]
    if unresolved:
        found = repository.variants_for_skus(
            order.connection_id, [line.tiktok_sku_id for line in unresolved if line.tiktok_sku_id]
        )
        for line in unresolved:
            if line.tiktok_sku_id in found:
                line.variant_id = found[line.tiktok_sku_id][0]
    external = repository.variant_external_ids([line.variant_id for line in lines if line.variant_id])
    missing = [line for line in lines if line.variant_id is None]
    settings = repository.settings(order.merchant_id, order.connection_id, create=False)
    if missing and settings.unknown_sku != "custom_line":
        names = ", ".join(
            sorted({f"{line.product_name} ({line.seller_sku or line.tiktok_sku_id})" for line in missing})
        )
        fail(
            order,
            f"Unknown SKU: {names} is not linked to a store product. Link it (upload it from TokBridge) "
            f"and retry, or choose custom line items in Order settings.",
        )
        return None
    resolved = [
        ResolvedLine(
            tiktok_sku_id=line.tiktok_sku_id,
            seller_sku=line.seller_sku,
            title=" - ".join(part for part in (line.product_name, line.sku_name) if part) or "Item",
            sale_price=str(to_decimal(line.sale_minor, order.currency)),
            original_price=str(to_decimal(line.original_minor, order.currency)),
            variant_external_id=external.get(line.variant_id) if line.variant_id else None,
        )
        for line in lines
    ]
    if not resolved:
        fail(order, "The order has no items left to send to the store.")
        return None
    if not counted:  # the place is taken now, before the store is called (a retry keeps it)
        order.plan_counted_at = utcnow()
    return StorePlan(
        order.id, order.tiktok_order_id, order.raw, order.currency, resolved, connection_id=order.connection_id
    )


def fail(order: Order, reason: str) -> None:
    order.store_sync = StoreSync.FAILED
    order.plan_counted_at = None  # not in the store: it does not use the plan
    order.failure_reason = reason
    order.status = statuses.dashboard_status(order.tiktok_status, order.store_sync)


@dataclass(frozen=True)
class StoreSide:
    """The store order's side of an order: the store that holds it, its currency and total (minor units),
    and the rate the amounts were converted at (None: not converted)."""

    store_connection_id: str
    currency: str | None = None
    total_minor: int | None = None
    rate: Decimal | None = None


def bind_store_order(
    session: Session, order_id: int, store_order_id: str, name: str, side: StoreSide | None = None
) -> bool:
    """Record the store order right after it was created. Returns True when the TikTok order was
    cancelled meanwhile (the store order must be cancelled too)."""
    _writing(session)
    order = OrderRepository(session).get(order_id, for_update=True)
    if order is None:
        raise LookupError("order not found")
    order.store_order_id = store_order_id
    order.store_order_name = name
    if side is not None:
        order.store_connection_id = side.store_connection_id
        order.store_currency = side.currency
        order.store_total_minor = side.total_minor
        order.store_rate = side.rate
    order.plan_counted_at = order.plan_counted_at or utcnow()
    order.store_sync = StoreSync.CREATED
    order.failure_reason = None
    order.status = statuses.dashboard_status(order.tiktok_status, order.store_sync)
    if order.tiktok_status in statuses.CANCELLED and not order.store_cancelled:
        enqueue(
            session,
            CANCEL_IN_STORE_JOB,
            merchant_id=order.merchant_id,
            payload={"connection_id": order.connection_id, "order_id": order.id},
            identity_key=f"{CANCEL_IN_STORE_JOB}:{order.id}",
        )
        return True
    enqueue_delivered_in_store(session, order)  # delivered before the store took it (a late retry)
    return False


# --- stores that take no outside orders ------------------------------------------------------------


def creates_orders_in_store(capabilities: Capabilities) -> bool:
    """Whether a TikTok order is recorded as an order in the store (stores that accept outside orders), or
    kept in TokBridge with the store's stock taken down by what it sold (stores that cannot take one)."""
    return capabilities.creates_orders


def stock_sold(session: Session, order_id: int, *, cancelled_lines: bool = False) -> Restock:
    """What an order kept in TokBridge takes from store stock (negative changes), per inventory item and
    location, and the items that have no store stock to take from. `cancelled_lines`: count the lines
    TikTok cancelled too (the whole order was cancelled after its stock was taken)."""
    repository = OrderRepository(session)
    lines = [line for line in repository.lines(order_id) if cancelled_lines or line.display_status != "CANCELLED"]
    targets = repository.restock_targets(order_id, [line.tiktok_line_id for line in lines])
    sold: Counter[tuple[str, str]] = Counter((item, location) for _name, item, location in targets if item and location)
    return Restock(
        changes=[(item, location, -quantity) for (item, location), quantity in sold.items()],
        not_restocked=[name for name, item, _location in targets if not item],
    )


def take_stock_once(session: Session, order_id: int) -> Restock:
    """What the kept order takes from store stock: worked out from its open lines the first time and saved,
    then the same on every retry (the store is asked with one idempotency key, so it must be the same)."""
    _writing(session)
    order = OrderRepository(session).get(order_id, for_update=True)
    if order is None:
        raise LookupError("order not found")
    if order.stock_taken is None:
        sold = stock_sold(session, order_id)
        order.stock_taken = {
            "changes": [list(change) for change in sold.changes],
            "not_restocked": sold.not_restocked,
        }
    return _restock_from(order.stock_taken)


def stock_to_give_back(session: Session, order_id: int) -> Restock:
    """What a cancelled kept order puts back: what it took, so lines TikTok cancelled before the stock was
    taken give nothing back. An order kept before this was recorded counts its lines."""
    order = OrderRepository(session).get(order_id)
    if order is None or order.stock_taken is None:
        taken = stock_sold(session, order_id, cancelled_lines=True)
    else:
        taken = _restock_from(order.stock_taken)
    return Restock(changes=[(item, location, -delta) for item, location, delta in taken.changes], not_restocked=[])


def _restock_from(saved: dict) -> Restock:
    return Restock(
        changes=[(str(item), str(location), int(delta)) for item, location, delta in saved.get("changes") or []],
        not_restocked=list(saved.get("not_restocked") or []),
    )


def keep_order(
    session: Session, order_id: int, not_adjusted: list[str], store_connection_id: str | None = None
) -> bool:
    """Record that the order is kept in TokBridge (its stock already taken in the store). Returns True when
    the TikTok order was cancelled meanwhile (the stock must go back)."""
    _writing(session)
    order = OrderRepository(session).get(order_id, for_update=True)
    if order is None:
        raise LookupError("order not found")
    order.store_connection_id = store_connection_id or order.store_connection_id
    order.plan_counted_at = order.plan_counted_at or utcnow()
    order.store_sync = StoreSync.KEPT
    order.failure_reason = None
    order.last_error = (
        (
            f"The store's stock could not be lowered for {', '.join(not_adjusted)}: it has no stock "
            "location there. Lower it in the store by hand."
        )
        if not_adjusted
        else None
    )
    order.status = statuses.dashboard_status(order.tiktok_status, order.store_sync)
    if order.tiktok_status in statuses.CANCELLED and not order.store_cancelled:
        enqueue(
            session,
            CANCEL_IN_STORE_JOB,
            merchant_id=order.merchant_id,
            payload={"connection_id": order.connection_id, "order_id": order.id},
            identity_key=f"{CANCEL_IN_STORE_JOB}:{order.id}",
        )
        return True
    return False


# The one shipment of an order kept in TokBridge: entered by the merchant, not read from a store.
KEPT_SHIPMENT = "entered-in-tokbridge"
TRACKING_NUMBER = re.compile(r"[A-Za-z0-9-]{1,40}")


def ships_from_tokbridge(order: Order) -> bool:
    """Whether the merchant enters this order's shipping in TokBridge (it is kept here, and still waits
    to be shipped); an order in the store ships from the store."""
    return order.store_sync == StoreSync.KEPT and order.tiktok_status in statuses.SHIPPABLE


@dataclass(frozen=True)
class ShipRequest:
    """What a ship request from the order page did: `queued` (sent to TikTok by a job), `correction` (a new
    tracking number for a package already shipped), `unchanged` (the same shipment again: nothing sent) or
    `on_its_way` (the same shipment, still being sent: nothing more)."""

    outcome: str
    tracking_number: str


def request_kept_shipment(session: Session, order_id: int, carrier: str, tracking_number: str) -> ShipRequest:
    """The merchant ships an order kept in TokBridge: the carrier (one of TikTok's shipping providers for
    the order's delivery option, by name or id) and the tracking number go to TikTok through `orders.ship`.
    A second submit of the same shipment sends nothing; a different tracking number for a package already
    shipped is a correction, which TikTok takes when it still allows one."""
    _writing(session)
    repository = OrderRepository(session)
    order = repository.get(order_id, for_update=True)
    if order is None:
        raise LookupError("order not found")
    if order.store_sync != StoreSync.KEPT:
        raise OrderActionRefused(
            "This order ships from your store: fulfil it there with its tracking number and "
            "TokBridge sends it to TikTok."
        )
    if order.tiktok_status in statuses.CANCELLED:
        raise OrderActionRefused("The order was cancelled on TikTok, so there is nothing to ship.")
    carrier, tracking = (carrier or "").strip(), re.sub(r"\s+", "", tracking_number or "")
    if not carrier:
        raise OrderActionRefused("Choose the carrier you shipped with.")
    if not tracking:
        raise OrderActionRefused("Enter the tracking number your carrier gave you.")
    if not TRACKING_NUMBER.fullmatch(tracking):
        raise OrderActionRefused("A tracking number has only letters, digits and dashes, at most 40 of them.")
    row = repository.shipment(order.id, KEPT_SHIPMENT)
    shipped = row is not None and row.state == ShipmentState.SENT
    if (
        shipped
        and row is not None
        and row.tracking_number == tracking
        and carrier in (row.tracking_company, row.shipping_provider_id)
    ):
        return ShipRequest("unchanged", tracking)
    if not shipped and order.tiktok_status not in statuses.SHIPPABLE:
        raise OrderActionRefused(
            "TikTok shows this order as shipped already (from TikTok Shop Seller Center): correct its tracking there."
        )
    if shipped and order.tiktok_status not in statuses.CORRECTABLE:
        raise OrderActionRefused("The order has been delivered, so TikTok no longer takes a new tracking number.")
    if (
        row is not None
        and row.state == ShipmentState.PENDING
        and row.tracking_number == tracking
        and row.tracking_company == carrier
    ):
        return ShipRequest("on_its_way", tracking)  # the same shipment, still on its way to TikTok
    payload = {
        "connection_id": order.connection_id,
        "order_id": order.id,
        "carrier": carrier,
        "tracking_number": tracking,
    }
    job = enqueue(
        session,
        SHIP_JOB,
        merchant_id=order.merchant_id,
        payload=payload,
        identity_key=f"{SHIP_JOB}:{order.id}",
        title=f"Send the tracking of TikTok order {order.tiktok_order_id}",
    )
    if {key: value for key, value in job.payload.items() if key != "triggered_by"} != payload:  # another shipment
        raise OrderActionRefused(
            "The order's shipment is being sent to TikTok right now. Refresh in a moment, "
            "then correct the tracking number if it needs it."
        )
    if not shipped:
        if row is None:
            row = Shipment(merchant_id=order.merchant_id, order_id=order.id, store_fulfillment_id=KEPT_SHIPMENT)
            session.add(row)
        row.state, row.last_error = ShipmentState.PENDING, None
        row.tracking_number, row.tracking_company, row.shipping_provider_id = tracking, carrier, None
        order.last_error = None
    else:
        assert row is not None  # shipped: its row exists
        row.last_error = None
    session.flush()
    return ShipRequest("correction" if shipped else "queued", tracking)


def record_store_failure(session: Session, order_id: int, reason: str) -> None:
    _writing(session)
    order = OrderRepository(session).get(order_id, for_update=True)
    if order is not None and order.store_sync != StoreSync.CREATED:
        fail(order, reason)


def retry(session: Session, order_id: int) -> Order:
    """Merchant's Retry: send a Failed order again, and failed shipments again."""
    _writing(session)
    order = OrderRepository(session).get(order_id, for_update=True)
    if order is None:
        raise LookupError("order not found")
    retried = False
    if order.store_sync in (StoreSync.FAILED, StoreSync.WAITING_FOR_PLAN):
        order.store_sync = StoreSync.PENDING
        order.failure_reason = None
        order.status = statuses.dashboard_status(order.tiktok_status, order.store_sync)
        enqueue_to_store(session, order)
        retried = True
    failed_shipments = [s for s in OrderRepository(session).shipments(order.id) if s.state == "failed"]
    if failed_shipments or (order.last_error and order.store_order_id):
        order.last_error = None
        for shipment in failed_shipments:
            shipment.state = "pending"
            shipment.last_error = None
        enqueue(
            session,
            SHIP_JOB,
            merchant_id=order.merchant_id,
            payload={"connection_id": order.connection_id, "order_id": order.id},
        )
        retried = True
    if not retried:
        raise OrderActionRefused("Nothing to retry: the order is not Failed and has no failed shipment.")
    return order


def release_waiting(session: Session, merchant_id: int) -> int:
    """Orders kept while the plan was used up: queue as many as the plan now has room for."""
    _writing(session)
    repository = OrderRepository(session)
    room = plan_usage(session, merchant_id).orders_left
    released = 0
    for order in repository.with_store_sync([StoreSync.WAITING_FOR_PLAN], limit=max(room, 0)):
        order.store_sync = StoreSync.PENDING
        order.failure_reason = None
        order.status = statuses.dashboard_status(order.tiktok_status, order.store_sync)
        enqueue_to_store(session, order)
        released += 1
    return released


# --- merchant actions ---------------------------------------------------------------------------------


def request_cancel(session: Session, order_id: int, reason: str, region: str | None) -> Order:
    """Cancel on TikTok (with a reason TikTok allows for the order's status), then in the store."""
    order = OrderRepository(session).get(order_id)
    if order is None:
        raise LookupError("order not found")
    allowed = statuses.cancel_reasons(order.tiktok_status, region)
    if not allowed:
        raise OrderActionRefused(
            f"An order that is {statuses.LABELS[statuses.dashboard_status(order.tiktok_status, '')]}"
            " can no longer be cancelled from TokBridge."
        )
    if reason not in allowed:
        raise OrderActionRefused(f"Choose one of the reasons TikTok allows for this order: {', '.join(allowed)}.")
    enqueue(
        session,
        CANCEL_JOB,
        merchant_id=order.merchant_id,
        payload={"connection_id": order.connection_id, "order_id": order.id, "reason": reason},
        identity_key=f"{CANCEL_JOB}:{order.id}",
        title=f"Cancel TikTok order {order.tiktok_order_id}",
    )
    return order


def decide_cancellation(
    session: Session, cancellation_id: int, approve: bool, reject_reason: str | None
) -> Cancellation:
    cancellation = OrderRepository(session).cancellation(cancellation_id)
    if cancellation is None:
        raise LookupError("cancellation request not found")
    if cancellation.cancel_status != "CANCELLATION_REQUEST_PENDING":
        raise OrderActionRefused("This cancellation request is no longer waiting for an answer.")
    if not approve and reject_reason not in statuses.REJECT_REASONS:
        raise OrderActionRefused(f"Choose a reject reason: {', '.join(statuses.REJECT_REASONS)}.")
    enqueue(
        session,
        DECIDE_JOB,
        merchant_id=cancellation.merchant_id,
        payload={
            "connection_id": cancellation.connection_id,
            "cancellation_id": cancellation.id,
            "approve": approve,
            "reject_reason": reject_reason,
        },
        identity_key=f"{DECIDE_JOB}:{cancellation.id}",
    )
    return cancellation


def decide_return(
    session: Session, return_id: int, approve: bool, reject_reason: str | None, region: str | None
) -> Return:
    """The merchant's Approve or Reject of a return TikTok waits on; sent by a job."""
    row = OrderRepository(session).return_row(return_id)
    if row is None:
        raise LookupError("return not found")
    step = statuses.return_step(row.return_type, row.return_status, region)
    if step is None:
        raise OrderActionRefused("This return is no longer waiting for your decision.")
    if not approve and reject_reason not in step.reasons:
        raise OrderActionRefused("Choose why you reject the return from the list.")
    row.last_error = None
    enqueue(
        session,
        DECIDE_RETURN_JOB,
        merchant_id=row.merchant_id,
        payload={
            "connection_id": row.connection_id,
            "return_id": row.id,
            "decision": step.approve if approve else step.reject,
            "reject_reason": None if approve else reject_reason,
        },
        identity_key=f"{DECIDE_RETURN_JOB}:{row.id}",
        title=f"{'Approve' if approve else 'Reject'} the return of TikTok order {row.tiktok_order_id}",
    )
    return row


def apply_cancellation(session: Session, connection: ChannelConnection, order: Order | None, data: dict) -> None:
    repository = OrderRepository(session)
    cancel_id = str(data["cancel_id"])
    row = repository.cancellation_by_tiktok_id(connection.id, cancel_id)
    update_time = int(data.get("update_time") or 0)
    if row is None:
        row = Cancellation(
            merchant_id=connection.merchant_id,
            connection_id=connection.id,
            tiktok_cancel_id=cancel_id,
            tiktok_order_id=str(data.get("order_id") or ""),
        )
        session.add(row)
    elif update_time < row.tiktok_update_time:
        return
    row.order_id = order.id if order else row.order_id
    row.cancel_type = data.get("cancel_type")
    row.cancel_status = data.get("cancel_status")
    row.role = data.get("role")
    row.reason = data.get("cancel_reason_text") or data.get("cancel_reason")
    row.tiktok_update_time = update_time
    row.raw = data
    session.flush()


def apply_return(session: Session, connection: ChannelConnection, order: Order | None, data: dict) -> Return:
    repository = OrderRepository(session)
    return_id = str(data["return_id"])
    row = repository.return_by_tiktok_id(connection.id, return_id)
    update_time = int(data.get("update_time") or 0)
    if row is None:
        row = Return(
            merchant_id=connection.merchant_id,
            connection_id=connection.id,
            tiktok_return_id=return_id,
            tiktok_order_id=str(data.get("order_id") or ""),
            restocked=False,
        )
        session.add(row)
    elif update_time < row.tiktok_update_time:
        return row
    refund = data.get("refund_amount") or {}
    row.order_id = order.id if order else row.order_id
    row.return_type = data.get("return_type")
    row.return_status = data.get("return_status")
    row.currency = refund.get("currency") or (order.currency if order else None)
    row.refund_minor = to_minor(refund.get("refund_total"), row.currency)
    row.tiktok_update_time = update_time
    row.raw = data
    session.flush()
    store_order_id = order.store_order_id if order else None
    if row.return_status in statuses.REFUNDED_RETURN_STATUSES and not row.store_refund_id and store_order_id:
        enqueue(
            session,
            REFUND_IN_STORE_JOB,
            merchant_id=connection.merchant_id,
            payload={"connection_id": row.connection_id, "return_id": row.id},
            identity_key=f"{REFUND_IN_STORE_JOB}:{row.id}",
            title=f"Record the refund of TikTok order {row.tiktok_order_id} in the store",
        )
    if (
        row.return_status in RESTOCK_RETURN_STATUSES
        and row.return_type == "RETURN_AND_REFUND"
        and not row.restocked
        and row.order_id is not None
        and repository.settings(connection.merchant_id, connection.id, create=False).restock_on_return
    ):
        enqueue(
            session,
            RESTOCK_RETURN_JOB,
            merchant_id=connection.merchant_id,
            payload={"connection_id": row.connection_id, "return_id": row.id},
            identity_key=f"{RESTOCK_RETURN_JOB}:{row.id}",
            title=f"Restock the items returned from order {row.tiktok_order_id}",
        )
    return row


@dataclass(frozen=True)
class Restock:
    """What a completed return puts back in store stock, and the returned items it cannot put back."""

    changes: list[tuple[str, str, int]]  # (inventory item, location, quantity)
    not_restocked: list[str]  # names of items with no store variant or stock location


def restock_changes(session: Session, return_id: int) -> Restock | None:
    """What to add back for a completed return; None once restocked."""
    repository = OrderRepository(session)
    row = repository.return_row(return_id)
    if row is None or row.restocked or row.order_id is None:
        return None
    line_ids = [str(item.get("order_line_item_id")) for item in (row.raw or {}).get("return_line_items") or []]
    targets = repository.restock_targets(row.order_id, line_ids)
    added: Counter[tuple[str, str]] = Counter(
        (item, location) for _name, item, location in targets if item and location
    )
    return Restock(
        changes=[(item, location, quantity) for (item, location), quantity in added.items()],
        not_restocked=[name for name, item, _location in targets if not item],
    )


@dataclass(frozen=True)
class StoreRefund:
    """A refund TikTok made, to record on the store order: its units per store variant (or SKU)."""

    store_order_id: str
    items: list[tuple[str | None, str | None, int]]  # (variant external id, SKU, quantity)
    note: str


def store_refund(session: Session, return_id: int) -> StoreRefund | None:
    """What to record for a refunded return; None once recorded, or when the order never reached the store."""
    repository = OrderRepository(session)
    row = repository.return_row(return_id)
    if row is None or row.store_refund_id or row.order_id is None:
        return None
    order = repository.get(row.order_id)
    if order is None or not order.store_order_id:
        return None
    line_ids = {str(item.get("order_line_item_id")) for item in (row.raw or {}).get("return_line_items") or []}
    lines = [line for line in repository.lines(order.id) if line.tiktok_line_id in line_ids]
    external = repository.variant_external_ids([line.variant_id for line in lines if line.variant_id])
    units = Counter((external.get(line.variant_id) if line.variant_id else None, line.seller_sku) for line in lines)
    amount = f"{to_decimal(row.refund_minor, row.currency)} {row.currency or ''}".strip()
    return StoreRefund(
        store_order_id=order.store_order_id,
        items=[(variant, sku, quantity) for (variant, sku), quantity in units.items()],
        note=f"Refunded by TikTok Shop: {amount} (TikTok return {row.tiktok_return_id}).",
    )


def mark_refunded_in_store(session: Session, return_id: int, store_refund_id: str) -> None:
    row = OrderRepository(session).return_row(return_id)
    if row is not None:
        row.store_refund_id = store_refund_id


def mark_restocked(session: Session, return_id: int, not_restocked: list[str] | None = None) -> None:
    """The return is done with; returned items that could not go back to store stock are told in Recent
    Activity, so the merchant counts them in by hand."""
    row = OrderRepository(session).return_row(return_id)
    if row is None:
        return
    row.restocked = True
    if not_restocked:
        counts = Counter(not_restocked)
        items = ", ".join(f"{count} × {name}" for name, count in sorted(counts.items()))
        record_activity(
            session,
            row.merchant_id,
            "orders.return_not_restocked",
            f"Returned items not restocked (order {row.tiktok_order_id})",
            f"{items}: not linked to a store product with a stock location, so the store's stock was "
            f"not changed for {'it' if len(not_restocked) == 1 else 'them'}. Add the returned "
            f"units in your store if they can be sold again.",
            status=ActivityStatus.FAILED,
            details={
                "return_id": row.tiktok_return_id,
                "order_id": row.tiktok_order_id,
                "items": dict(sorted(counts.items())),
            },
        )


# --- figures ------------------------------------------------------------------------------------------


def status_counts(session: Session, connection_id: str | None = None) -> dict[str, int]:
    """Orders per dashboard status: of one TikTok shop when `connection_id` is given, else of every shop."""
    return OrderRepository(session).status_counts(connection_id)


def sales(session: Session, days: int = 30, now: datetime | None = None, connection_id: str | None = None) -> dict:
    """Sales amount, orders and units per day over the last `days` days, and the top products.

    Days counted by the recount job are read from their sums; days with orders changed since are summed
    from the orders themselves (orders/sales_rollup.py), so the figures are always current. One TikTok
    shop's (`connection_id`) are summed from its orders alone: the counted sums are per merchant."""
    if days not in (7, 30, 90):
        raise ValueError("period must be 7, 30 or 90 days")
    now = now or utcnow()
    first_day = (now - timedelta(days=days - 1)).date()
    repository = SalesRepository(session)
    if connection_id is not None:
        marked = {first_day + timedelta(days=n) for n in range(days + 1)}  # every day, read live
        live = day_spans(marked)
        rows = repository.live_per_day(live, connection_id)
    else:
        marked = repository.marked_days(first_day)
        live = day_spans(marked)
        rows = repository.counted_per_day(first_day, skip=marked) + repository.live_per_day(live)
    currencies: Counter[str] = Counter()
    for _, row_currency, _, orders, _ in rows:
        currencies[row_currency] += orders
    currency = currencies.most_common(1)[0][0] if currencies else "USD"
    per_day = {first_day + timedelta(days=n): [0, 0, 0] for n in range(days)}
    for day, row_currency, total, orders, units in rows:
        if row_currency != currency or day not in per_day:
            continue  # one currency per figure (a shop sells in one); a future-dated order waits its day
        figures = per_day[day]
        figures[0] += total
        figures[1] += orders
        figures[2] += units
    amount = sum(day[0] for day in per_day.values())
    return {
        "period_days": days,
        "currency": currency,
        "amount": str(to_decimal(amount, currency)),
        "orders": sum(day[1] for day in per_day.values()),
        "units": sum(day[2] for day in per_day.values()),
        "per_day": [
            {"date": day.isoformat(), "amount": str(to_decimal(v[0], currency)), "orders": v[1], "units": v[2]}
            for day, v in sorted(per_day.items())
        ],
        "top_products": [
            {
                "tiktok_product_id": product_id or None,
                "name": name,
                "units": units,
                "amount": str(to_decimal(total or 0, currency)),
            }
            for product_id, name, units, total in (
                _shop_top_products(repository, live, connection_id)
                if connection_id is not None
                else sales_rollup.top_products(session, days, first_day, marked)
            )
        ],
    }


def _shop_top_products(
    repository: SalesRepository, spans, connection_id: str, limit: int = 5
) -> list[tuple[str, str, int, int]]:
    rows = repository.live_per_product(spans, connection_id)
    rows.sort(key=lambda row: (-row[2], -row[3], row[0]))
    return rows[:limit]


def _release_after_plan_change(session: Session, merchant_id: int) -> None:
    if OrderRepository(session).with_store_sync([StoreSync.WAITING_FOR_PLAN], limit=1):
        enqueue(session, RELEASE_JOB, merchant_id=merchant_id, identity_key=f"{RELEASE_JOB}:{merchant_id}")


billing.PLAN_CHANGED_HOOKS.append(_release_after_plan_change)


ORDER_SETTING_FIELDS = (
    "restock_on_cancel",
    "restock_on_return",
    "unknown_sku",
    "carrier_map",
    "new_order_state",
    "delivered_state",
    "cancelled_state",
)


def save_order_settings(session: Session, merchant_id: int, shop, values: dict) -> None:
    """Write the shop's order choices (only the fields in `values`) and record the change in the audit
    trail, in the caller's transaction; nothing is recorded when nothing changed."""
    row = OrderRepository(session).settings(merchant_id, shop.shop_id)
    before = {name: getattr(row, name) for name in ORDER_SETTING_FIELDS}
    for name, value in values.items():
        if name not in ORDER_SETTING_FIELDS:
            raise ValueError(f"not an order setting: {name}")
        setattr(row, name, value)
    after = {name: getattr(row, name) for name in ORDER_SETTING_FIELDS}
    if before != after:
        audit.record(
            session,
            None,
            "settings.orders",
            ("shop", shop.shop_id),
            before,
            after,
            summary=f"Order settings changed for {shop.label}",
            connection_id=shop.shop_id,
        )
