"""Merchant pages for orders: the list with status filters, one order (its lines, store order, shipments,
cancellation and returns, with the actions that apply), and the order settings. Same services as the API."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import Response

from tokbridge.channels import registry
from tokbridge.channels.connections import ConnectionRepository
from tokbridge.kit.errors import ChannelError
from tokbridge.orders import overview, service, store_states
from tokbridge.orders import status as statuses
from tokbridge.orders.models import OrderStatus, StoreSync
from tokbridge.orders.money import to_decimal
from tokbridge.orders.repository import OrderRepository
from tokbridge.web.api.orders import carriers_of, detail, request_ship
from tokbridge.web.deps import OptionalShopDep, SettingsDep, ShopDep, ViewerDep
from tokbridge.web.errors import channel_problem
from tokbridge.web.flash import read_flash, redirect_with_error, redirect_with_notice
from tokbridge.web.params import RowId, Text
from tokbridge.web.rendering import templates

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
NO_SHOP = ""  # no TikTok shop connected yet: no order or setting has this shop id
STATUS_CHOICES = [(status.value, statuses.LABELS[status]) for status in OrderStatus]


@router.get("/orders")
def orders_page(
    request: Request,
    viewer: ViewerDep,
    shop: OptionalShopDep,
    status: str | None = None,
    q: Text | None = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    """The chosen TikTok shop's orders (none before a shop is connected)."""
    status = status if status in dict(STATUS_CHOICES) else None
    page = max(1, page)
    repository = OrderRepository(viewer.db)
    shop_id = shop.shop_id if shop is not None else NO_SHOP
    rows, total = repository.search(
        status=status, query=q, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, connection_id=shop_id
    )
    lines = repository.lines_for([o.id for o in rows])
    kept = [o for o in rows if o.store_sync == StoreSync.KEPT]
    kept_shipments = repository.shipments_for([o.id for o in kept])
    counts = repository.status_counts(shop_id)
    waiting = repository.with_store_sync(["waiting_for_plan"], limit=1, connection_id=shop_id)
    return templates.TemplateResponse(
        request,
        "orders.html",
        {
            "viewer": viewer,
            "shop": shop,
            "rows": rows,
            "total": total,
            "counts": counts,
            "statuses": STATUS_CHOICES,
            "filters": {"status": status or "", "q": q or ""},
            "filtered": bool(status or q),
            "page": page,
            "more": page * PAGE_SIZE < total,
            "figures": {o.id: overview.list_figures(o, lines.get(o.id, [])) for o in rows},
            "labels": statuses.LABELS,
            "waiting": bool(waiting),
            **read_flash(request),
            "kept": {o.id: overview.kept_words(o, kept_shipments[o.id]) for o in kept},
            "pending_requests": repository.cancellations(pending_only=True, connection_id=shop_id),
            "returns": repository.returns(limit=20, connection_id=shop_id),
            "return_types": statuses.RETURN_TYPE_LABELS,
            "return_statuses": statuses.RETURN_STATUS_LABELS,
        },
    )


@router.get("/orders/{order_id}")
def order_page(request: Request, viewer: ViewerDep, order_id: RowId) -> Response:
    repository = OrderRepository(viewer.db)
    order = repository.get(order_id)
    if order is None:
        raise HTTPException(404, "There is no such order. Go back to Orders.")
    shown = detail(viewer, order)
    carriers = None
    if shown.ship_from_tokbridge:
        viewer.db.commit()  # hold no lock while TikTok answers
        carriers = carriers_of(order, ConnectionRepository(viewer.db).get(order.connection_id))
    entered = next((s for s in shown.shipments if s.store_fulfillment_id == service.KEPT_SHIPMENT), None)
    return templates.TemplateResponse(
        request,
        "order.html",
        {
            "viewer": viewer,
            "order": shown,
            "reject_reasons": statuses.REJECT_REASONS,
            "carriers": carriers,
            "entered": entered,
            "ordered": overview.what_was_ordered(order, repository.lines(order.id)),
            "shipping_advice": overview.shipping_advice(order, repository.shipments(order.id)),
            "line_status": lambda code: overview.words(code, overview.LINE_STATUS),
            "cancel_status": lambda code: overview.words(code, overview.CANCEL_STATUS),
            "shipment_state": lambda code: overview.words(code, overview.SHIPMENT_STATE),
            "who": lambda role: overview.WHO.get((role or "").upper(), "TikTok"),
            "return_rows": _return_rows(viewer, order, repository),
            **read_flash(request),
        },
    )


def _return_rows(viewer, order, repository: OrderRepository) -> list[dict]:
    """The order's returns in the merchant's words, with the decision TikTok waits for (if any)."""
    connection = ConnectionRepository(viewer.db).get(order.connection_id)
    region = connection.region if connection else None
    return [
        {
            "id": row.id,
            "type": statuses.RETURN_TYPE_LABELS.get(row.return_type or "", "Return"),
            "status": statuses.RETURN_STATUS_LABELS.get(row.return_status or "", "In progress on TikTok"),
            "reason": (row.raw or {}).get("return_reason_text"),
            "refund": f"{to_decimal(row.refund_minor, row.currency)} {row.currency or ''}".strip(),
            "refunded_in_store": bool(row.store_refund_id),
            "error": row.last_error,
            "step": statuses.return_step(row.return_type, row.return_status, region),
        }
        for row in repository.returns(order.id)
    ]


@router.post("/orders/{order_id}/cancel")
def cancel(viewer: ViewerDep, order_id: RowId, reason: Annotated[str, Form()] = "") -> Response:
    order = OrderRepository(viewer.db).get(order_id)
    if order is None:
        raise HTTPException(404, "There is no such order.")
    connection = ConnectionRepository(viewer.db).get(order.connection_id)
    try:
        service.request_cancel(viewer.db, order_id, reason, connection.region if connection else None)
    except service.OrderActionRefused as refused:
        log.info("cancel of order %s refused: %s", order_id, refused)
        return redirect_with_error(f"/orders/{order_id}", str(refused))
    viewer.db.commit()
    return redirect_with_notice(f"/orders/{order_id}", "Cancelling on TikTok, then in your store. Refresh in a moment.")


@router.post("/orders/{order_id}/ship")
def ship(
    viewer: ViewerDep,
    order_id: RowId,
    carrier: Annotated[str, Form()] = "",
    tracking_number: Annotated[str, Form()] = "",
) -> Response:
    """The merchant ships an order kept in TokBridge (or corrects its tracking number)."""
    order = OrderRepository(viewer.db).get(order_id)
    if order is None:
        raise HTTPException(404, "There is no such order.")
    try:
        words = request_ship(viewer, order, carrier[:120], tracking_number[:60])
    except service.OrderActionRefused as refused:
        log.info("shipment of order %s refused: %s", order_id, refused)
        return redirect_with_error(f"/orders/{order_id}", str(refused))
    return redirect_with_notice(f"/orders/{order_id}", words)


@router.post("/orders/{order_id}/retry")
def retry(viewer: ViewerDep, order_id: RowId) -> Response:
    try:
        service.retry(viewer.db, order_id)
    except LookupError:
        raise HTTPException(404, "There is no such order.") from None
    except service.OrderActionRefused as refused:
        return redirect_with_error(f"/orders/{order_id}", str(refused))
    viewer.db.commit()
    return redirect_with_notice(f"/orders/{order_id}", "Trying again. Refresh in a moment.")


@router.post("/orders/cancellations/{cancellation_id}")
def answer_cancellation(
    viewer: ViewerDep,
    cancellation_id: RowId,
    decision: Annotated[str, Form()] = "",
    reject_reason: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "/orders",
) -> Response:
    back = back if back.startswith("/orders") else "/orders"
    try:
        service.decide_cancellation(viewer.db, cancellation_id, decision == "approve", reject_reason or None)
    except LookupError:
        raise HTTPException(404, "There is no such cancellation request.") from None
    except service.OrderActionRefused as refused:
        return redirect_with_error(back, str(refused))
    viewer.db.commit()
    return redirect_with_notice(back, "Your answer is on its way to TikTok.")


@router.post("/orders/returns/{return_id}")
def answer_return(
    viewer: ViewerDep,
    return_id: RowId,
    decision: Annotated[str, Form()] = "",
    reject_reason: Annotated[str, Form()] = "",
) -> Response:
    repository = OrderRepository(viewer.db)
    row = repository.return_row(return_id)
    if row is None or row.order_id is None:
        raise HTTPException(404, "There is no such return.")
    back = f"/orders/{row.order_id}"
    if decision not in ("approve", "reject"):
        return redirect_with_error(back, "Choose Approve or Reject.")
    connection = ConnectionRepository(viewer.db).get(row.connection_id)
    try:
        service.decide_return(
            viewer.db,
            return_id,
            decision == "approve",
            reject_reason or None,
            connection.region if connection else None,
        )
    except service.OrderActionRefused as refused:
        return redirect_with_error(back, str(refused))
    viewer.db.commit()
    if decision == "approve":
        return redirect_with_notice(
            back, "Return approved. TikTok is told now; refresh in a moment to see its new state."
        )
    return redirect_with_notice(back, "Return rejected. TikTok is told now; refresh in a moment to see its new state.")


@router.get("/settings/orders")
def settings_page(request: Request, viewer: ViewerDep, shop: OptionalShopDep, settings: SettingsDep):
    """The chosen TikTok shop's order settings: each shop has its own (the defaults before one is connected).
    Where the shop's store keeps order states of its own, the mapping of TikTok's statuses to them."""
    row = OrderRepository(viewer.db).settings(viewer.merchant_id, shop.shop_id if shop else NO_SHOP, create=False)
    mapping, mapping_error = _state_mapping(viewer, settings, shop, row)
    return templates.TemplateResponse(
        request,
        "order_settings.html",
        {
            "viewer": viewer,
            "shop": shop,
            "settings": row,
            **read_flash(request),
            "carrier_lines": "\n".join(f"{k} = {v}" for k, v in (row.carrier_map or {}).items()),
            "state_mapping": mapping,
            "state_mapping_error": mapping_error,
            "store_name": registry.plugin_of(shop.store).display_name if mapping is not None or mapping_error else "",
        },
    )


def _store_states(viewer, settings, shop) -> tuple[list | None, str | None]:
    """The shop's store's order states, where it keeps them: (states, None), (None, why they could not be
    read), or (None, None) for a store without them."""
    store = shop.store if shop is not None else None
    if not store_states.keeps_order_states(store):
        return None, None
    viewer.db.commit()  # no transaction stays open while the store answers
    try:
        return store_states.store_order_states(settings, store), None
    except ChannelError as exc:
        return None, channel_problem(exc)[1]


def _state_mapping(viewer, settings, shop, row) -> tuple[list | None, str | None]:
    """Each mapped TikTok status with the store states it may take and the one chosen (or its default)."""
    states, error = _store_states(viewer, settings, shop)
    if states is None:
        return None, error
    picked = store_states.chosen(row, states)
    return [
        (mapped, store_states.choices_for(mapped, states), picked[mapped.column]) for mapped in store_states.MAPPED
    ], None


@router.post("/settings/orders")
def save_settings(
    viewer: ViewerDep,
    shop: ShopDep,
    settings: SettingsDep,
    restock_on_cancel: Annotated[str, Form()] = "",
    restock_on_return: Annotated[str, Form()] = "",
    unknown_sku: Annotated[str, Form()] = "fail",
    carrier_map: Annotated[str, Form()] = "",
    new_order_state: Annotated[str, Form(max_length=64)] = "",
    delivered_state: Annotated[str, Form(max_length=64)] = "",
    cancelled_state: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    back = f"/settings/orders?shop={shop.shop_id}"
    if unknown_sku not in ("fail", "custom_line"):
        return redirect_with_error(back, "Choose what happens to an unknown SKU.")
    mapping = {}
    for number, line in enumerate(carrier_map.splitlines(), start=1):
        if not line.strip():
            continue
        company, sep, provider = line.partition("=")
        if not sep or not company.strip() or not provider.strip():
            return redirect_with_error(back, f"Carrier line {number} should read: Store carrier = TikTok provider.")
        mapping[company.strip()[:100]] = provider.strip()[:100]
    answers = {
        "new_order_state": new_order_state,
        "delivered_state": delivered_state,
        "cancelled_state": cancelled_state,
    }
    states, states_error = _store_states(viewer, settings, shop)
    if states is not None:
        problems = store_states.check_mapping(states, answers)
        if problems:
            return redirect_with_error(back, " ".join(problems))
    values = {
        "restock_on_cancel": bool(restock_on_cancel),
        "restock_on_return": bool(restock_on_return),
        "unknown_sku": unknown_sku,
        "carrier_map": mapping,
    }
    if states is not None:
        values |= {column: answer or None for column, answer in answers.items()}
    service.save_order_settings(viewer.db, viewer.merchant_id, shop, values)
    viewer.db.commit()
    if states_error:
        return redirect_with_notice(
            back, f"Order settings saved for {shop.label}. The order status mapping was left as it was: {states_error}"
        )
    return redirect_with_notice(back, f"Order settings saved for {shop.label}.")
