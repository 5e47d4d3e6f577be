"""JSON API for orders: list and filter, detail, cancel with a reason, cancellation requests, retry,
returns, order settings. Thin: the rules live in `tokbridge.orders.service`."""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from tokbridge.channels import registry
from tokbridge.channels.connections import ConnectionRepository
from tokbridge.config import get_settings
from tokbridge.dashboard import service as dashboard_service
from tokbridge.jobs.service import enqueue
from tokbridge.kit.errors import ChannelError
from tokbridge.orders import overview, service, store_states
from tokbridge.orders import status as statuses
from tokbridge.orders.models import Order, OrderStatus, ShipmentState, StoreSync
from tokbridge.orders.money import to_decimal
from tokbridge.orders.repository import OrderRepository
from tokbridge.orders.tasks.shipping import shipping_providers
from tokbridge.web.api.schemas import Problem
from tokbridge.web.deps import OptionalShopDep, ShopDep, ViewerDep
from tokbridge.web.params import Offset, RowId, Text

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["orders"], responses={401: {"model": Problem}})

StatusFilter = Literal[
    "awaiting_shipment",
    "awaiting_collection",
    "in_transit",
    "delivered",
    "completed",
    "cancelled",
    "failed",
    "on_hold",
    "unpaid",
]


class OrderSummary(BaseModel):
    id: int
    shop_id: str = Field(description="The TikTok shop's connection id (`?shop=`)")
    tiktok_order_id: str
    status: str
    status_label: str
    tiktok_status: str
    store_sync: str
    store_order_id: str | None
    store_order_name: str | None
    total: Decimal
    currency: str
    units: int
    placed_at: datetime | None
    failure_reason: str | None
    last_error: str | None
    waiting_for_plan: bool


class OrderPage(BaseModel):
    items: list[OrderSummary]
    total: int


class LineOut(BaseModel):
    tiktok_line_id: str
    tiktok_sku_id: str | None
    seller_sku: str | None
    product_name: str
    sku_name: str | None
    linked: bool
    price: Decimal
    display_status: str | None
    tracking_number: str | None


class ShipmentOut(BaseModel):
    id: int
    store_fulfillment_id: str
    tracking_number: str | None
    tracking_company: str | None
    shipping_provider_id: str | None
    tiktok_package_id: str | None
    tiktok_line_ids: list[str]
    state: str
    last_error: str | None


class CancellationOut(BaseModel):
    id: int
    tiktok_cancel_id: str
    tiktok_order_id: str
    cancel_type: str | None
    cancel_status: str | None
    role: str | None
    reason: str | None


class ReturnOut(BaseModel):
    id: int
    tiktok_return_id: str
    tiktok_order_id: str
    order_id: int | None
    return_type: str | None
    return_status: str | None
    refund: Decimal
    currency: str | None
    refunded_in_store: bool = False
    last_error: str | None = None
    # TikTok waits for the seller's decision: reject with one of these reasons (name: words).
    waiting_for_you: bool = False
    reject_reasons: dict[str, str] = Field(default_factory=dict)


class StepOut(BaseModel):
    when: datetime
    text: str


class OrderDetail(OrderSummary):
    shop: str = Field(description="The TikTok shop the order was placed in: its name and region")
    store_currency: str | None = Field(description="The store order's currency (none until it is in the store)")
    store_total: Decimal | None = Field(description="The store order's total, in `store_currency`")
    store_rate: Decimal | None = Field(
        description="One unit of `store_currency` in `currency`, when the amounts were converted (none: not)"
    )
    buyer_name: str | None = Field(description="As TikTok gives it; none until the order is paid and past ON_HOLD")
    shipping_address: list[str] = Field(description="TikTok's address, one line each")
    store_order_url: str | None = Field(description="The order's page in the store admin")
    items_ordered: int
    items_cancelled: int
    timeline: list[StepOut]
    lines: list[LineOut]
    shipments: list[ShipmentOut]
    cancellations: list[CancellationOut]
    returns: list[ReturnOut]
    cancel_reasons: dict[str, str] = Field(description="Reasons TikTok allows for cancelling in this status")
    kept_in_tokbridge: bool = Field(
        False,
        description="The store takes no outside orders: TokBridge keeps the order (no store order) and "
        "took its items off the store's stock; it is shipped from TokBridge",
    )
    ship_from_tokbridge: Literal["ship", "correct"] | None = Field(
        None,
        description="`ship`: POST /orders/{id}/ship with the carrier and tracking number; `correct`: the "
        "same sends a corrected tracking number; none: nothing to ship here",
    )
    what_to_do: str | None = Field(None, description="What the merchant should do about the order, in words")


class ShipBody(BaseModel):
    carrier: str = Field(
        min_length=1,
        max_length=120,
        description="One of the order's `carriers` (TikTok's shipping providers), by id or name",
    )
    tracking_number: str = Field(min_length=1, max_length=60)


class Carrier(BaseModel):
    id: str
    name: str


class CancelBody(BaseModel):
    reason: str = Field(min_length=1, max_length=120)


class RejectBody(BaseModel):
    reason: str = Field(min_length=1, max_length=120)


class Queued(BaseModel):
    detail: str


class OrderSettingsBody(BaseModel):
    restock_on_cancel: bool
    restock_on_return: bool
    unknown_sku: Literal["fail", "custom_line"]
    carrier_map: dict[str, str] = Field(
        default_factory=dict, description="Store tracking company -> TikTok shipping provider id or name"
    )
    new_order_state: str | None = Field(
        None,
        max_length=64,
        description=(
            "Where the shop's store keeps order statuses of its own: the store status a new TikTok order (Awaiting "
            "Shipment) is created in (an id from `order_states`; null: the store's status for paid orders)"
        ),
    )
    delivered_state: str | None = Field(
        None,
        max_length=64,
        description=("The store status a delivered TikTok order moves to (null: the store's delivered status)"),
    )
    cancelled_state: str | None = Field(
        None,
        max_length=64,
        description=("The store status a cancelled TikTok order moves to (null: the store's cancelled status)"),
    )


class StoreOrderStateOut(BaseModel):
    id: str
    name: str
    meaning: str | None = Field(
        description="What the store says the status is for: paid, shipped, delivered, cancelled, payment_error..."
    )


class OrderSettingsOut(OrderSettingsBody):
    order_states: list[StoreOrderStateOut] | None = Field(
        None,
        description=(
            "The shop's store's order statuses, where it keeps its own (null: it does not; the three states above "
            "are then unused)"
        ),
    )


def summary(order: Order) -> OrderSummary:
    return OrderSummary(
        id=order.id,
        shop_id=order.connection_id,
        tiktok_order_id=order.tiktok_order_id,
        status=order.status,
        status_label=statuses.LABELS.get(OrderStatus(order.status), order.status),
        tiktok_status=order.tiktok_status,
        store_sync=order.store_sync,
        store_order_id=order.store_order_id,
        store_order_name=order.store_order_name,
        total=to_decimal(order.total_minor, order.currency),
        currency=order.currency,
        units=order.units,
        placed_at=order.placed_at,
        failure_reason=order.failure_reason,
        last_error=order.last_error,
        waiting_for_plan=order.store_sync == "waiting_for_plan",
    )


def _region(viewer, order: Order) -> str | None:
    connection = ConnectionRepository(viewer.db).get(order.connection_id)
    return connection.region if connection else None


def _order(viewer, order_id: int) -> Order:
    order = OrderRepository(viewer.db).get(order_id)
    if order is None:
        raise HTTPException(404, "No such order.")
    return order


def _store_order_url(viewer, order: Order) -> str | None:
    """The order's page in the store that holds it (the one it was created in, else its shop's store)."""
    if not order.store_order_id:
        return None
    connections = ConnectionRepository(viewer.db)
    store = connections.get(order.store_connection_id) if order.store_connection_id else None
    if store is None:
        shop = connections.get(order.connection_id)
        store = connections.get(shop.store_connection_id) if shop is not None and shop.store_connection_id else None
    if store is None or store.channel not in registry.store_kinds():
        return None
    return registry.plugin_of(store).order_admin_url(store, order.store_order_id)


def detail(viewer, order: Order) -> OrderDetail:
    repository = OrderRepository(viewer.db)
    lines = repository.lines(order.id)
    shipments = repository.shipments(order.id)
    cancellations = repository.cancellations(order.id)
    shop = ConnectionRepository(viewer.db).get(order.connection_id)
    shop_words = (
        (f"{shop.name or shop.external_id} ({shop.region})" if shop.region else (shop.name or shop.external_id))
        if shop is not None
        else "A disconnected TikTok shop"
    )
    return OrderDetail(
        **summary(order).model_dump(),
        shop=shop_words,
        store_currency=order.store_currency,
        store_total=to_decimal(order.store_total_minor, order.store_currency)
        if order.store_total_minor is not None
        else None,
        store_rate=order.store_rate.normalize() if order.store_rate is not None else None,
        buyer_name=overview.buyer_name(order),
        shipping_address=overview.shipping_address(order),
        store_order_url=_store_order_url(viewer, order),
        items_ordered=len(lines),
        items_cancelled=sum(1 for line in lines if (line.display_status or "").upper() == "CANCELLED"),
        timeline=[
            StepOut(when=step.when, text=step.text) for step in overview.timeline(order, shipments, cancellations)
        ],
        lines=[
            LineOut(
                tiktok_line_id=line.tiktok_line_id,
                tiktok_sku_id=line.tiktok_sku_id,
                seller_sku=line.seller_sku,
                product_name=line.product_name,
                sku_name=line.sku_name,
                linked=line.variant_id is not None,
                price=to_decimal(line.sale_minor, order.currency),
                display_status=line.display_status,
                tracking_number=line.tracking_number,
            )
            for line in lines
        ],
        shipments=[ShipmentOut.model_validate(s, from_attributes=True) for s in shipments],
        cancellations=[CancellationOut.model_validate(c, from_attributes=True) for c in cancellations],
        returns=[return_out(r, _region(viewer, order)) for r in repository.returns(order.id)],
        cancel_reasons=statuses.cancel_reasons(order.tiktok_status, _region(viewer, order)),
        kept_in_tokbridge=order.store_sync == StoreSync.KEPT,
        ship_from_tokbridge=ship_mode(order, shipments),
        what_to_do=overview.kept_words(order, shipments),
    )


def ship_mode(order: Order, shipments) -> str | None:
    """What the order page offers for an order kept in TokBridge: to ship it, or to correct its tracking."""
    if order.store_sync != StoreSync.KEPT or order.tiktok_status in statuses.CANCELLED:
        return None
    sent = any(s.store_fulfillment_id == service.KEPT_SHIPMENT and s.state == ShipmentState.SENT for s in shipments)
    if sent:
        return "correct" if order.tiktok_status in statuses.CORRECTABLE else None
    return "ship" if order.tiktok_status in statuses.SHIPPABLE else None


def carriers_of(order: Order, shop) -> list[Carrier] | None:
    """TikTok's shipping providers for the order's delivery option (None: TikTok did not answer)."""
    if shop is None:
        return None
    try:
        found = shipping_providers(get_settings(), shop, (order.raw or {}).get("delivery_option_id"))
    except ChannelError as exc:
        log.info("carriers of order %s unavailable: %s", order.id, exc)
        return None
    return [Carrier(id=provider_id, name=name) for provider_id, name in found]


def request_ship(viewer, order: Order, carrier: str, tracking_number: str) -> str:
    """The merchant's shipment of a kept order; returns what happens, in words (OrderActionRefused: why not)."""
    done = service.request_kept_shipment(viewer.db, order.id, carrier, tracking_number)
    viewer.db.commit()
    if done.outcome == "unchanged":
        return f"The order is already shipped with the tracking number {done.tracking_number}: nothing was sent again."
    if done.outcome == "on_its_way":
        return (
            f"The shipment with the tracking number {done.tracking_number} is already on its way to TikTok: "
            "nothing was sent again."
        )
    if done.outcome == "correction":
        return f"Sending the corrected tracking number {done.tracking_number} to TikTok. Refresh in a moment."
    return f"Sending the shipment with the tracking number {done.tracking_number} to TikTok. Refresh in a moment."


def return_out(row, region: str | None = None) -> ReturnOut:
    step = statuses.return_step(row.return_type, row.return_status, region)
    return ReturnOut(
        id=row.id,
        tiktok_return_id=row.tiktok_return_id,
        tiktok_order_id=row.tiktok_order_id,
        order_id=row.order_id,
        return_type=row.return_type,
        return_status=row.return_status,
        refund=to_decimal(row.refund_minor, row.currency),
        currency=row.currency,
        refunded_in_store=bool(row.store_refund_id),
        last_error=row.last_error,
        waiting_for_you=step is not None,
        reject_reasons=step.reasons if step else {},
    )


def _shop_id(shop) -> str:
    """The chosen shop's id; before a shop is connected, an id no order has (the lists are empty)."""
    return shop.shop_id if shop is not None else ""


def _connection_region(viewer, connection_id: str) -> str | None:
    connection = ConnectionRepository(viewer.db).get(connection_id)
    return connection.region if connection else None


@router.get("/orders", response_model=OrderPage)
def list_orders(
    viewer: ViewerDep,
    shop: OptionalShopDep,
    status: StatusFilter | None = None,
    q: Text | None = None,
    waiting_for_plan: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
):
    """The chosen shop's orders (`?shop=<connection id>`, else the shop chosen in the header)."""
    rows, total = OrderRepository(viewer.db).search(
        status=status,
        query=q,
        limit=limit,
        offset=offset,
        store_sync="waiting_for_plan" if waiting_for_plan else None,
        connection_id=_shop_id(shop),
    )
    return OrderPage(items=[summary(order) for order in rows], total=total)


@router.get("/orders/returns", response_model=list[ReturnOut])
def list_returns(viewer: ViewerDep, shop: OptionalShopDep, status: str | None = None):
    return [
        return_out(row, _connection_region(viewer, row.connection_id))
        for row in OrderRepository(viewer.db).returns(status=status, connection_id=_shop_id(shop))
    ]


@router.post(
    "/orders/returns/{return_id}/approve",
    response_model=Queued,
    status_code=202,
    responses={404: {"model": Problem}, 409: {"model": Problem}},
)
def approve_return(return_id: RowId, viewer: ViewerDep):
    return _decide_return(viewer, return_id, True, None)


@router.post(
    "/orders/returns/{return_id}/reject",
    response_model=Queued,
    status_code=202,
    responses={404: {"model": Problem}, 409: {"model": Problem}},
)
def reject_return(return_id: RowId, body: RejectBody, viewer: ViewerDep):
    """`reason`: one of the return's `reject_reasons`."""
    return _decide_return(viewer, return_id, False, body.reason)


def _decide_return(viewer, return_id: int, approve: bool, reason: str | None) -> Queued:
    row = OrderRepository(viewer.db).return_row(return_id)
    if row is None:
        raise HTTPException(404, "No such return.")
    try:
        service.decide_return(viewer.db, return_id, approve, reason, _connection_region(viewer, row.connection_id))
    except service.OrderActionRefused as refused:
        raise HTTPException(409, str(refused)) from None
    viewer.db.commit()
    return Queued(detail="Sending your decision to TikTok.")


@router.post("/orders/returns/refresh", response_model=Queued, status_code=202)
def refresh_returns(viewer: ViewerDep, shop: ShopDep):
    enqueue(
        viewer.db,
        service.RETURNS_JOB,
        merchant_id=viewer.merchant_id,
        payload={"connection_id": shop.shop_id},
        identity_key=f"{service.RETURNS_JOB}:{shop.shop_id}",
    )
    viewer.db.commit()
    return Queued(detail="Reading returns and refunds from TikTok.")


@router.get("/orders/cancellations", response_model=list[CancellationOut])
def list_cancellation_requests(viewer: ViewerDep, shop: OptionalShopDep, pending: bool = True):
    return [
        CancellationOut.model_validate(c, from_attributes=True)
        for c in OrderRepository(viewer.db).cancellations(pending_only=pending, connection_id=_shop_id(shop))
    ]


@router.post(
    "/orders/cancellations/{cancellation_id}/approve",
    response_model=Queued,
    status_code=202,
    responses={404: {"model": Problem}, 409: {"model": Problem}},
)
def approve_cancellation(cancellation_id: RowId, viewer: ViewerDep):
    return _decide(viewer, cancellation_id, True, None)


@router.post(
    "/orders/cancellations/{cancellation_id}/reject",
    response_model=Queued,
    status_code=202,
    responses={404: {"model": Problem}, 409: {"model": Problem}},
)
def reject_cancellation(cancellation_id: RowId, body: RejectBody, viewer: ViewerDep):
    return _decide(viewer, cancellation_id, False, body.reason)


def _decide(viewer, cancellation_id: int, approve: bool, reason: str | None) -> Queued:
    try:
        service.decide_cancellation(viewer.db, cancellation_id, approve, reason)
    except LookupError:
        raise HTTPException(404, "No such cancellation request.") from None
    except service.OrderActionRefused as refused:
        log.info("cancellation answer refused for %s: %s", cancellation_id, refused)
        raise HTTPException(409, str(refused)) from None
    viewer.db.commit()
    return Queued(detail="Sending your answer to TikTok.")


@router.get("/orders/{order_id}", response_model=OrderDetail, responses={404: {"model": Problem}})
def get_order(order_id: RowId, viewer: ViewerDep):
    return detail(viewer, _order(viewer, order_id))


@router.post(
    "/orders/{order_id}/cancel",
    response_model=Queued,
    status_code=202,
    responses={404: {"model": Problem}, 409: {"model": Problem}},
)
def cancel_order(order_id: RowId, body: CancelBody, viewer: ViewerDep):
    order = _order(viewer, order_id)
    try:
        service.request_cancel(viewer.db, order.id, body.reason, _region(viewer, order))
    except service.OrderActionRefused as refused:
        log.info("cancel of order %s refused: %s", order_id, refused)
        raise HTTPException(409, str(refused)) from None
    viewer.db.commit()
    return Queued(detail="Cancelling the order on TikTok, then in your store.")


@router.get(
    "/orders/{order_id}/carriers",
    response_model=list[Carrier],
    responses={404: {"model": Problem}, 503: {"model": Problem}},
)
def list_carriers(order_id: RowId, viewer: ViewerDep):
    """TikTok's shipping providers for the order's delivery option: the carriers `/ship` takes."""
    order = _order(viewer, order_id)
    viewer.db.commit()  # hold no lock while TikTok answers
    found = carriers_of(order, ConnectionRepository(viewer.db).get(order.connection_id))
    if found is None:
        raise HTTPException(503, "TikTok did not answer, so its carriers cannot be listed. Try again in a minute.")
    return found


@router.post(
    "/orders/{order_id}/ship",
    response_model=Queued,
    status_code=202,
    responses={404: {"model": Problem}, 409: {"model": Problem}},
)
def ship_order(order_id: RowId, body: ShipBody, viewer: ViewerDep):
    """Ship an order kept in TokBridge (`kept_in_tokbridge`): the carrier and tracking number go to TikTok. The
    same shipment again sends nothing; another tracking number for a shipped order is a correction, which
    TikTok takes once, until the package is delivered."""
    order = _order(viewer, order_id)
    try:
        words = request_ship(viewer, order, body.carrier, body.tracking_number)
    except service.OrderActionRefused as refused:
        raise HTTPException(409, str(refused)) from None
    return Queued(detail=words)


@router.post(
    "/orders/{order_id}/retry",
    response_model=Queued,
    status_code=202,
    responses={404: {"model": Problem}, 409: {"model": Problem}},
)
def retry_order(order_id: RowId, viewer: ViewerDep):
    _order(viewer, order_id)
    try:
        service.retry(viewer.db, order_id)
    except service.OrderActionRefused as refused:
        raise HTTPException(409, str(refused)) from None
    viewer.db.commit()
    return Queued(detail="Trying again.")


@router.get("/settings/orders", response_model=OrderSettingsOut)
def get_order_settings(viewer: ViewerDep, shop: OptionalShopDep):
    """The chosen shop's order settings (each TikTok shop has its own; the defaults before one is connected),
    with the store's order statuses where it keeps its own: the three mapped states read as the chosen ones,
    or the defaults the store's statuses give."""
    settings = OrderRepository(viewer.db).settings(viewer.merchant_id, _shop_id(shop), create=False)
    body = OrderSettingsOut.model_validate(settings, from_attributes=True)
    states = _store_order_states(viewer, shop)
    if states is None:
        return body
    return body.model_copy(
        update={
            **store_states.chosen(settings, states),
            "order_states": [
                StoreOrderStateOut(id=state.external_id, name=state.name, meaning=state.meaning) for state in states
            ],
        }
    )


@router.put("/settings/orders", response_model=OrderSettingsOut, responses={422: {"model": Problem}})
def put_order_settings(body: OrderSettingsBody, viewer: ViewerDep, shop: ShopDep):
    states = _store_order_states(viewer, shop)
    mapped = {column: getattr(body, column) for column in (m.column for m in store_states.MAPPED)}
    if states is not None:
        problems = store_states.check_mapping(states, mapped)
        if problems:
            raise HTTPException(422, " ".join(problems))
    elif any(mapped.values()):
        raise HTTPException(422, "The shop's store keeps no order statuses of its own: leave the three states out.")
    service.save_order_settings(
        viewer.db,
        viewer.merchant_id,
        shop,
        {name: (value or None) if name in mapped else value for name, value in body.model_dump().items()},
    )
    viewer.db.commit()
    return get_order_settings(viewer, shop)


def _store_order_states(viewer, shop) -> list | None:
    """The store's order statuses where the shop's store keeps its own (read through its plugin, kept a
    minute), else None. A store that does not answer raises the kit's error kinds (a plain 503/502)."""
    store = shop.store if shop is not None else None
    if not store_states.keeps_order_states(store):
        return None
    viewer.db.commit()  # no transaction stays open while the store answers
    return store_states.store_order_states(get_settings(), store)


# --- the overview of every shop -------------------------------------------------------------------------


class ShopSales(BaseModel):
    period_days: int
    amount: Decimal
    currency: str
    orders: int
    units: int


class ShopOverview(BaseModel):
    id: str = Field(description="The TikTok shop's connection id (`?shop=` elsewhere)")
    name: str
    region: str | None
    currency: str = Field(description="The currency the shop sells in")
    products: dict[str, int] = Field(description="Products per status in this shop (the dashboard's six)")
    orders: int = Field(description="Every order of the shop, whatever its status")
    order_statuses: dict[str, int]
    sales: ShopSales = Field(description="Sales over the period, in the shop's currency")


class PlanUsageOut(BaseModel):
    code: str
    name: str
    product_limit: int
    order_limit: int
    products_used: int = Field(description="Products on TikTok in every shop")
    orders_used: int = Field(description="Orders of the billing month from every shop")
    products_left: int
    orders_left: int


class Overview(BaseModel):
    shops: list[ShopOverview]
    plan: PlanUsageOut


def overview_data(viewer, sales_days: int = 30) -> Overview:
    shops, usage = dashboard_service.overview(viewer.db, viewer.merchant_id, sales_days)
    return Overview(
        shops=[
            ShopOverview(
                id=shop.id,
                name=shop.name,
                region=shop.region,
                currency=shop.currency,
                products=shop.products,
                orders=shop.orders,
                order_statuses=shop.order_statuses,
                sales=ShopSales(**shop.sales),
            )
            for shop in shops
        ],
        plan=PlanUsageOut(
            code=usage.plan.code,
            name=usage.plan.name,
            product_limit=usage.plan.product_limit,
            order_limit=usage.plan.order_limit,
            products_used=usage.products_used,
            orders_used=usage.orders_used,
            products_left=usage.products_left,
            orders_left=usage.orders_left,
        ),
    )


@router.get("/overview", response_model=Overview, tags=["dashboard"])
def get_overview(viewer: ViewerDep, sales_days: Annotated[int, Query(ge=7, le=90)] = 30):
    """Every TikTok shop of the merchant side by side (products per status, orders, sales in the shop's
    currency over `sales_days`: 7, 30 or 90) and the plan's usage across all of them."""
    if sales_days not in (7, 30, 90):
        raise HTTPException(422, "sales_days is 7, 30 or 90.")
    return overview_data(viewer, sales_days)
