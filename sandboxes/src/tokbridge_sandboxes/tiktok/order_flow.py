"""What buyers and carriers do: place orders, pay, cancel, receive, return; and the time-driven
order walk UNPAID -> ON_HOLD (remorse window) -> AWAITING_SHIPMENT -> (seller ships) IN_TRANSIT ->
DELIVERED -> COMPLETED, each step announced with webhook 1 (and 11 / 12 for cancellations and
returns). All functions expect the state lock to be held.
"""

from __future__ import annotations

from typing import Any

from .state import Cancellation, LineItem, Order, Package, ReturnRecord, SandboxState, Shop


class BuyerError(ValueError):
    """A buyer action the sandbox cannot perform (reported by the control API)."""


BUYER_CANCEL_REASON = ("ecom_order_to_ship_canceled_reason_created_by_mistakes", "Order created by mistake")
RETURN_REASON = ("ecom_order_delivered_refund_and_return_reason_wrong_size", "Wrong size")

# Webhook 1 lists CANCEL where the Order API says CANCELLED (a known doc inconsistency).
WEBHOOK_STATUS = {"CANCELLED": "CANCEL"}
# Webhook 1's documented values have no PARTIALLY_SHIPPING: that step sends no notification.
SILENT_STATUSES = {"PARTIALLY_SHIPPING"}


def set_status(state: SandboxState, order: Order, status: str, when: float) -> None:
    order.status = status
    order.update_time = int(when)
    if status in SILENT_STATUSES:
        return
    shop = state.shops[order.shop_id]
    state.emit(
        shop,
        1,
        {
            "order_id": order.id,
            "order_status": WEBHOOK_STATUS.get(status, status),
            "is_on_hold_order": order.paid_time is not None and state.config.on_hold_seconds > 0,
            "update_time": int(when),
        },
    )


def place_order(
    state: SandboxState,
    shop: Shop,
    items: list[dict[str, Any]],
    *,
    buyer_cancels: bool | None = None,
    returns: bool | None = None,
) -> Order:
    """A buyer orders `items` ([{sku_id, quantity}]) of live products; one line item per unit."""
    units: list[tuple[Any, Any]] = []
    for item in items:
        sku_id, quantity = str(item.get("sku_id")), int(item.get("quantity", 1))
        product = next(
            (p for p in state.products.values() if p.shop_id == shop.id and any(s.id == sku_id for s in p.live.skus)),
            None,
        )
        if product is None or product.status != "ACTIVATE":
            raise BuyerError(f"sku {sku_id} is not on sale")
        sku = next(s for s in product.live.skus if s.id == sku_id)
        stock = sum(i.get("quantity", 0) for i in sku.body.get("inventory") or [])
        if quantity < 1 or stock < quantity:
            raise BuyerError(f"sku {sku_id} has only {stock} in stock")
        units += [(product, sku)] * quantity
    if not units:
        raise BuyerError("an order needs at least one item")

    now = state.clock.now()
    # Stock is taken from the SKU's warehouses in order.
    for _, sku in units:
        for entry in sku.body["inventory"]:
            if entry.get("quantity", 0) > 0:
                entry["quantity"] -= 1
                warehouse_id = str(entry["warehouse_id"])
                break
    warehouse = shop.warehouse(warehouse_id) or shop.warehouses[0]
    line_items = []
    for product, sku in units:
        price = sku.body.get("price") or {}
        line_items.append(
            LineItem(
                id=state.new_id(),
                sku_id=sku.id,
                product_id=product.id,
                product_name=product.title,
                sku_name=", ".join(f"{a['name']}: {a['value_name']}" for a in sku.sales_attributes) or "Default",
                seller_sku=sku.body.get("seller_sku", ""),
                sale_price=str(price.get("amount") if price.get("amount") is not None else price.get("sale_price")),
                currency=shop.currency,
            )
        )
    options = warehouse.delivery_options or shop.warehouses[0].delivery_options
    buyer = state.new_id()
    order = Order(
        id=state.new_id(),
        shop_id=shop.id,
        buyer_user_id=buyer,
        status="UNPAID",
        create_time=int(now),
        update_time=int(now),
        line_items=line_items,
        warehouse_id=warehouse.id,
        delivery_option=next((o for o in options if o.type == "SEND_BY_SELLER"), options[0]),
        recipient={
            "name": "Alex Buyer",
            "first_name": "Alex",
            "last_name": "Buyer",
            "phone_number": "(+1)213-***-1234",
            "region_code": shop.region,
            "postal_code": "95110",
            "full_address": "5800 Bristol Pkwy, Suite 100, Culver City, CA 90230",
            "address_line1": "5800 Bristol Pkwy",
            "address_line2": "Suite 100",
            "address_line3": "",
            "address_line4": "",
            "address_detail": "Suite 100",
            "post_town": "",
            "first_name_local_script": "",
            "last_name_local_script": "",
            "delivery_preferences": {"drop_off_location": "Front Door"},
            "district_info": [
                {"address_level_name": "Country", "address_name": "United States", "address_level": "L0"},
                {"address_level_name": "State", "address_name": "California", "address_level": "L1"},
                {"address_level_name": "County", "address_name": "Los Angeles", "address_level": "L2"},
                {"address_level_name": "City", "address_name": "Culver City", "address_level": "L3"},
            ],
        },
        currency=shop.currency,
    )
    state.orders[order.id] = order
    rng = state.rng
    cancels = rng.random() < state.config.buyer_cancel_rate if buyer_cancels is None else buyer_cancels
    order.will_return = rng.random() < state.config.return_rate if returns is None else returns
    set_status(state, order, "UNPAID", now)
    state.after(state.config.unpaid_to_paid_seconds, lambda due: _paid(state, order.id, cancels, due))
    return order


def _paid(state: SandboxState, order_id: str, cancels: bool, when: float) -> None:
    order = state.orders[order_id]
    if order.status != "UNPAID":
        return
    order.paid_time = int(when)
    for item in order.line_items:
        item.display_status = "AWAITING_SHIPMENT"
    set_status(state, order, "ON_HOLD", when)
    if cancels:
        # The buyer changes their mind within the remorse window: no seller approval needed.
        state.after(state.config.on_hold_seconds / 2, lambda due: buyer_cancel(state, order_id, due), start=when)
    state.after(state.config.on_hold_seconds, lambda due: _release(state, order_id, due), start=when)


def _release(state: SandboxState, order_id: str, when: float) -> None:
    order = state.orders[order_id]
    if order.status != "ON_HOLD":
        return
    package = Package(
        state.new_id(),
        order.id,
        order.shop_id,
        [i.id for i in order.line_items if not i.cancel_user],
        "PROCESSING",
        int(when),
        int(when),
    )
    state.packages[package.id] = package
    order.package_ids.append(package.id)
    for item in order.line_items:
        if not item.cancel_user:
            item.package_id = package.id
    set_status(state, order, "AWAITING_SHIPMENT", when)


def buyer_cancel(state: SandboxState, order_id: str, when: float | None = None) -> Cancellation:
    """Before the order is released the cancel is immediate; afterwards it waits for the seller."""
    order = state.orders[order_id]
    when = state.clock.now() if when is None else when
    if order.status in ("CANCELLED", "COMPLETED", "IN_TRANSIT", "DELIVERED", "PARTIALLY_SHIPPING"):
        raise BuyerError(f"order is {order.status}")
    immediate = order.status in ("UNPAID", "ON_HOLD")
    cancellation = Cancellation(
        id=state.new_id(),
        order_id=order.id,
        shop_id=order.shop_id,
        cancel_type="BUYER_CANCEL",
        role="BUYER",
        status="CANCELLATION_REQUEST_COMPLETE" if immediate else "CANCELLATION_REQUEST_PENDING",
        reason=BUYER_CANCEL_REASON[0],
        reason_text=BUYER_CANCEL_REASON[1],
        line_item_ids=[i.id for i in order.line_items if not i.cancel_user],
        create_time=int(when),
        update_time=int(when),
    )
    state.cancellations[cancellation.id] = cancellation
    emit_cancellation(state, cancellation)
    if immediate:
        cancel_items(state, order, cancellation.line_item_ids, "BUYER", cancellation.reason_text, when)
    else:
        order.is_buyer_request_cancel = True
        order.request_cancel_time = int(when)
        order.update_time = int(when)
    return cancellation


def emit_cancellation(state: SandboxState, cancellation: Cancellation) -> None:
    status = cancellation.status
    state.emit(
        state.shops[cancellation.shop_id],
        11,
        {
            "order_id": cancellation.order_id,
            "cancellations_role": cancellation.role,
            "cancel_status": "CANCELLATION_REQUEST_CANCELLED" if status == "CANCELLATION_REQUEST_CANCEL" else status,
            "cancel_id": cancellation.id,
            "create_time": cancellation.create_time,
        },
    )


def cancel_items(
    state: SandboxState, order: Order, line_item_ids: list[str], who: str, reason: str, when: float
) -> None:
    """Cancel line items (and the order when none is left); their units go back to stock."""
    for item in order.line_items:
        if item.id in line_item_ids and not item.cancel_user:
            item.cancel_user, item.cancel_reason = who, reason
            item.display_status = "CANCELLED"
            item.package_status = "CANCELLED"
            _restock(state, order, item)
    for package_id in order.package_ids:
        package = state.packages[package_id]
        package.line_item_ids = [i for i in package.line_item_ids if i not in line_item_ids]
        if not package.line_item_ids:
            package.status = "CANCELLED"
    order.is_buyer_request_cancel = False
    if all(item.cancel_user for item in order.line_items):
        order.cancel_time = int(when)
        order.cancel_reason = reason
        order.cancellation_initiator = who
        set_status(state, order, "CANCELLED", when)
    else:
        order.update_time = int(when)


def _restock(state: SandboxState, order: Order, item: LineItem) -> None:
    product = state.products.get(item.product_id)
    sku = next((s for s in product.live.skus if s.id == item.sku_id), None) if product else None
    if sku and sku.body.get("inventory"):
        target = next(
            (e for e in sku.body["inventory"] if str(e["warehouse_id"]) == order.warehouse_id), sku.body["inventory"][0]
        )
        target["quantity"] = target.get("quantity", 0) + 1


def after_shipment(state: SandboxState, order: Order, when: float) -> None:
    """Once every remaining item has shipped the carrier takes over: in transit, delivered, completed."""
    live = [i for i in order.line_items if not i.cancel_user]
    if all(i.display_status == "IN_TRANSIT" for i in live):
        order.collection_time = int(when)
        set_status(state, order, "IN_TRANSIT", when)
        state.after(
            state.config.in_transit_to_delivered_seconds, lambda due: _delivered(state, order.id, due), start=when
        )
    else:
        set_status(state, order, "PARTIALLY_SHIPPING", when)


def _delivered(state: SandboxState, order_id: str, when: float) -> None:
    order = state.orders[order_id]
    if order.status != "IN_TRANSIT":
        return
    order.delivery_time = int(when)
    for item in order.line_items:
        if not item.cancel_user:
            item.display_status = "DELIVERED"
            item.package_status = "COMPLETED"
    for package_id in order.package_ids:
        if state.packages[package_id].status == "FULFILLING":
            state.packages[package_id].status = "COMPLETED"
    set_status(state, order, "DELIVERED", when)
    if order.will_return:
        state.after(
            min(86400.0, state.config.delivered_to_completed_seconds / 2),
            lambda due: buyer_return(state, order_id, due),
            start=when,
        )
    state.after(state.config.delivered_to_completed_seconds, lambda due: _completed(state, order_id, due), start=when)


def _completed(state: SandboxState, order_id: str, when: float) -> None:
    order = state.orders[order_id]
    if order.status != "DELIVERED":
        return
    for item in order.line_items:
        if not item.cancel_user:
            item.display_status = "COMPLETED"
    set_status(state, order, "COMPLETED", when)


RETURN_TYPES = ("RETURN_AND_REFUND", "REFUND")


def buyer_return(
    state: SandboxState, order_id: str, when: float | None = None, return_type: str = "RETURN_AND_REFUND"
) -> ReturnRecord:
    """The buyer asks to send the items back for a refund (RETURN_AND_REFUND) or for a refund only
    (REFUND); the request waits for the seller's decision."""
    order = state.orders[order_id]
    when = state.clock.now() if when is None else when
    if order.status != "DELIVERED":
        raise BuyerError(f"only delivered orders can be returned (order is {order.status})")
    if return_type not in RETURN_TYPES:
        raise BuyerError(f"return_type must be one of {RETURN_TYPES}")
    record = ReturnRecord(
        id=state.new_id(),
        order_id=order.id,
        shop_id=order.shop_id,
        return_type=return_type,
        status="RETURN_OR_REFUND_REQUEST_PENDING",
        reason=RETURN_REASON[0],
        reason_text=RETURN_REASON[1],
        line_item_ids=[i.id for i in order.line_items if not i.cancel_user],
        create_time=int(when),
        update_time=int(when),
    )
    state.returns[record.id] = record
    emit_return(state, record)
    return record


def emit_return(state: SandboxState, record: ReturnRecord) -> None:
    """Webhook 12, RETURN_STATUS_CHANGE."""
    state.emit(
        state.shops[record.shop_id],
        12,
        {
            "order_id": record.order_id,
            "return_role": record.role,
            "return_type": record.return_type,
            "return_status": record.status,
            "return_id": record.id,
            "create_time": record.create_time,
            "update_time": record.update_time,
        },
    )


# The Search Returns doc spells the rejected status REFUND_OR_RETURN_REQUEST_REJECT.
RETURN_STATUSES = (
    "RETURN_OR_REFUND_REQUEST_PENDING",
    "AWAITING_BUYER_SHIP",
    "BUYER_SHIPPED_ITEM",
    "RETURN_OR_REFUND_REQUEST_SUCCESS",
    "RETURN_OR_REFUND_REQUEST_COMPLETE",
    "REFUND_OR_RETURN_REQUEST_REJECT",
    "REJECT_RECEIVE_PACKAGE",
    "RETURN_OR_REFUND_REQUEST_CANCEL",
)


def set_return_status(state: SandboxState, record: ReturnRecord, status: str, when: float) -> None:
    record.status = status
    record.update_time = int(when)
    emit_return(state, record)


def move_return(state: SandboxState, return_id: str, status: str, when: float | None = None) -> ReturnRecord:
    """What happens on TikTok's side as a return goes on (buyer ships, warehouse receives, refund):
    the new status, and its RETURN_STATUS_CHANGE webhook."""
    record = state.returns.get(return_id)
    if record is None:
        raise BuyerError(f"no return {return_id}")
    if status not in RETURN_STATUSES:
        raise BuyerError(f"status must be one of {RETURN_STATUSES}")
    set_return_status(state, record, status, state.clock.now() if when is None else when)
    return record


def schedule_buyers(state: SandboxState) -> None:
    """Simulated buyers: at `orders_per_hour`, a random live SKU with stock is ordered."""
    rate = state.config.orders_per_hour
    if rate <= 0:
        return

    def arrive(due: float) -> None:
        for shop in state.shops.values():
            candidates = [
                s
                for p in state.products.values()
                if p.shop_id == shop.id and p.status == "ACTIVATE"
                for s in p.live.skus
                if sum(i.get("quantity", 0) for i in s.body.get("inventory") or []) > 0
            ]
            if candidates:
                sku = state.rng.choice(candidates)
                place_order(state, shop, [{"sku_id": sku.id, "quantity": 1}])
        state.after(state.rng.expovariate(rate / 3600.0), arrive, start=due)

    state.after(state.rng.expovariate(rate / 3600.0), arrive)
