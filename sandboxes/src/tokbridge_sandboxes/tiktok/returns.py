"""Return & refund endpoints: seller cancels an order, buyer cancellation requests (search,
approve, reject), and returns (search, the reasons to reject one, approve, reject)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from . import catalog_seed as seed
from . import order_flow
from .catalog import page_window
from .errors import ApiError, text_list
from .routing import RETURNS, Call, endpoint
from .state import Cancellation, LineItem, Order, ReturnRecord, SandboxState

INVALID_REQUEST = (
    25001001,
    "An invalid request parameter was passed. Please check that you have the correct parameter type(s) and format.",
)
NO_PERMISSION = (25020005, "No permission to process this order")
UNKNOWN_REASON = (25001014, "Unknown return reason. Please ensure you are passing a valid return reason.")
REASON_STATUS = (25001021, "Reason not match order status")

# Seller cancel reasons (US, "Cancel reasons" doc); UK shops use the same names with a _uk suffix.
UNPAID_REASONS = (
    "seller_cancel_unpaid_reason_out_of_stock",
    "seller_cancel_unpaid_reason_wrong_price",
    "seller_cancel_unpaid_reason_buyer_hasnt_paid_within_time_allowed",
    "seller_cancel_unpaid_reason_buyer_requested_cancellation",
)
PAID_REASONS = (
    "seller_cancel_reason_out_of_stock",
    "seller_cancel_reason_wrong_price",
    "seller_cancel_paid_reason_address_not_deliver",
    "seller_cancel_paid_reason_buyer_requested_cancellation",
)
REJECT_REASONS = (
    "order_manage_list_action_respond_popup_reject_reason_invalid_cancellation_reason",
    "order_manage_list_action_respond_popup_reject_reason_delivered",
    "order_manage_list_action_respond_popup_reject_reason_buyer_agree",
    "seller_reject_apply_product_has_been_packed",
)


def _reason_sets(region: str) -> tuple[set[str], set[str]]:
    suffix = "_uk" if region in ("UK", "GB") else ""
    return {r + suffix for r in UNPAID_REASONS}, {r + suffix for r in PAID_REASONS}


def _owned_order(call: Call, order_id: Any) -> Order:
    if not isinstance(order_id, str) or not order_id:
        raise ApiError(*INVALID_REQUEST)
    order = call.state.orders.get(order_id)
    if order is None or order.shop_id != call.require_shop().id:
        raise ApiError(*NO_PERMISSION)
    return order


@endpoint("POST", "/return_refund/202309/cancellations", scopes=RETURNS)
def cancel_order(call: Call) -> dict[str, Any]:
    state, shop, body = call.state, call.require_shop(), call.json
    order = _owned_order(call, body.get("order_id"))
    reason = body.get("cancel_reason")
    if not isinstance(reason, str) or not reason:
        raise ApiError(*INVALID_REQUEST)
    if order.status in ("COMPLETED", "CANCELLED"):
        raise ApiError(25001051, "Not allowed to return or cancel since order is completed or cancelled")
    if order.status in ("IN_TRANSIT", "DELIVERED", "PARTIALLY_SHIPPING", "AWAITING_COLLECTION"):
        raise ApiError(
            25001045, "The order has already been shipped and we are unable to cancel shipment with the courier."
        )
    if order.is_buyer_request_cancel:
        raise ApiError(25001011, "A return request is already in process, or the order has already been cancelled.")
    unpaid, paid = _reason_sets(shop.region)
    if reason not in unpaid | paid:
        raise ApiError(*UNKNOWN_REASON)
    if (order.status == "UNPAID") != (reason in unpaid):
        raise ApiError(*REASON_STATUS)

    open_items = [i for i in order.line_items if not i.cancel_user]
    wanted = _items_to_cancel(order, open_items, body)
    cancellation = Cancellation(
        id=state.new_id(),
        order_id=order.id,
        shop_id=shop.id,
        cancel_type="CANCEL",
        role="SELLER",
        status="CANCELLATION_REQUEST_SUCCESS",
        reason=reason,
        reason_text=reason.replace("_", " "),
        line_item_ids=wanted,
        create_time=call.now,
        update_time=call.now,
    )
    state.cancellations[cancellation.id] = cancellation
    order_flow.emit_cancellation(state, cancellation)
    order_flow.cancel_items(state, order, wanted, "SELLER", reason, call.now)
    return {"cancel_id": cancellation.id, "cancel_status": cancellation.status}


def _items_to_cancel(order: Order, open_items: list, body: dict[str, Any]) -> list[str]:
    line_ids = body.get("order_line_item_ids")
    skus = body.get("skus")
    if line_ids:
        open_ids = {x.id for x in open_items}
        if not isinstance(line_ids, list) or any(not isinstance(i, str) or i not in open_ids for i in line_ids):
            raise ApiError(25005011, "The requested line item(s) for return or refund exceeds the allowable limit.")
        return list(line_ids)
    if skus:
        chosen: list[str] = []
        for entry in skus if isinstance(skus, list) else []:
            if not isinstance(entry, dict):
                raise ApiError(*INVALID_REQUEST)
            candidates = [i.id for i in open_items if i.sku_id == entry.get("sku_id") and i.id not in chosen]
            quantity = entry.get("quantity")
            if not isinstance(quantity, int) or quantity < 1 or quantity > len(candidates):
                raise ApiError(25005011, "The requested line item(s) for return or refund exceeds the allowable limit.")
            chosen += candidates[:quantity]
        return chosen
    return [i.id for i in open_items]


ZERO = "0.00"


def refund_amount(currency: str, items: list[LineItem]) -> dict[str, str]:
    """What the buyer gets back for `items`: their price (no tax, shipping or fees are charged in the sandbox)."""
    total = format(sum(Decimal(i.sale_price) for i in items), ".2f")
    return {
        "currency": currency,
        "refund_total": total,
        "refund_subtotal": total,
        "refund_shipping_fee": ZERO,
        "refund_tax": ZERO,
        "buyer_service_fee": ZERO,
        "retail_delivery_fee": ZERO,
    }


def product_image(state: SandboxState, item: LineItem) -> dict[str, Any]:
    """The line item's product picture (its first main image) as returns and cancellations show it."""
    product = state.products.get(item.product_id)
    uris = (product.live.body.get("main_images") or []) if product and product.live else []
    image = state.images.get(uris[0]) if uris else None
    return {
        "url": image.url if image else "",
        "width": image.width if image else 0,
        "height": image.height if image else 0,
    }


def _after_sale_items(call: Call, currency: str, items: list[LineItem], id_key: str, parent_id: str) -> list[dict]:
    return [
        {
            id_key: f"{parent_id[:-4]}{n:04d}",
            "order_line_item_id": i.id,
            "sku_id": i.sku_id,
            "sku_name": i.sku_name,
            "product_name": i.product_name,
            "seller_sku": i.seller_sku,
            "product_image": product_image(call.state, i),
            "refund_amount": refund_amount(currency, [i]),
        }
        for n, i in enumerate(items)
    ]


def cancellation_json(call: Call, c: Cancellation) -> dict[str, Any]:
    order = call.state.orders[c.order_id]
    items = [i for i in order.line_items if i.id in c.line_item_ids]
    out = {
        "cancel_id": c.id,
        "order_id": c.order_id,
        "cancel_type": c.cancel_type,
        "cancel_status": c.status,
        "role": c.role,
        "cancel_reason": c.reason,
        "cancel_reason_text": c.reason_text,
        "create_time": c.create_time,
        "update_time": c.update_time,
        "refund_amount": refund_amount(order.currency, items),
        "cancel_line_items": _after_sale_items(call, order.currency, items, "cancel_line_item_id", c.id),
    }
    if c.status == "CANCELLATION_REQUEST_PENDING":
        out["seller_next_action_response"] = [
            {"action": "SELLER_RESPOND_CANCEL", "deadline": c.create_time + 2 * 86400}
        ]
    return out


def _sorted_page(call: Call, items: list, *, low: int) -> tuple[list, int, str]:
    field = call.query.get("sort_field", "create_time")
    if field not in ("create_time", "update_time"):
        raise ApiError(*INVALID_REQUEST)
    items = sorted(items, key=lambda x: (getattr(x, field), x.id), reverse=call.query.get("sort_order") == "DESC")
    start, end, token = page_window(
        call.query, len(items), required=False, default=10, low=low, high=50, invalid=ApiError(*INVALID_REQUEST)
    )
    return items[start:end], len(items), token


@endpoint("POST", "/return_refund/202309/cancellations/search", scopes=RETURNS)
def search_cancellations(call: Call) -> dict[str, Any]:
    shop, body = call.require_shop(), call.json
    filters = {"cancel_ids": "id", "order_ids": "order_id", "cancel_types": "cancel_type", "cancel_status": "status"}

    def matches(c: Cancellation) -> bool:
        if c.shop_id != shop.id:
            return False
        for key, attr in filters.items():
            wanted = text_list(body.get(key), ApiError(*INVALID_REQUEST))
            if wanted and getattr(c, attr) not in wanted:
                return False
        return True

    page, total, token = _sorted_page(call, [c for c in call.state.cancellations.values() if matches(c)], low=1)
    return {"cancellations": [cancellation_json(call, c) for c in page], "total_count": total, "next_page_token": token}


def _pending_cancellation(call: Call) -> Cancellation:
    cancellation = call.state.cancellations.get(call.path_params["cancel_id"])
    if cancellation is None:
        raise ApiError(25007006, "Order not found.")
    if cancellation.shop_id != call.require_shop().id:
        raise ApiError(*NO_PERMISSION)
    return cancellation


@endpoint("POST", "/return_refund/202309/cancellations/{cancel_id}/approve", scopes=RETURNS)
def approve_cancellation(call: Call) -> dict[str, Any]:
    cancellation = _pending_cancellation(call)
    if cancellation.status != "CANCELLATION_REQUEST_PENDING":
        raise ApiError(25011012, "reverse status cannot approve application")
    order = call.state.orders[cancellation.order_id]
    if order.status in ("IN_TRANSIT", "DELIVERED", "COMPLETED"):
        raise ApiError(
            25001045, "The order has already been shipped and we are unable to cancel shipment with the courier."
        )
    cancellation.status = "CANCELLATION_REQUEST_SUCCESS"
    cancellation.update_time = call.now
    order_flow.emit_cancellation(call.state, cancellation)
    order_flow.cancel_items(call.state, order, cancellation.line_item_ids, "BUYER", cancellation.reason_text, call.now)
    return {}


@endpoint("POST", "/return_refund/202309/cancellations/{cancel_id}/reject", scopes=RETURNS)
def reject_cancellation(call: Call) -> dict[str, Any]:
    cancellation = _pending_cancellation(call)
    reason = call.json.get("reject_reason")
    if not isinstance(reason, str) or not reason:
        raise ApiError(*INVALID_REQUEST)
    if reason not in REJECT_REASONS:
        raise ApiError(*UNKNOWN_REASON)
    if cancellation.status != "CANCELLATION_REQUEST_PENDING":
        raise ApiError(25011011, "reverse status cannot reject application")
    cancellation.status = "CANCELLATION_REQUEST_CANCEL"
    cancellation.update_time = call.now
    order = call.state.orders[cancellation.order_id]
    order.is_buyer_request_cancel = False
    order.update_time = call.now
    order_flow.emit_cancellation(call.state, cancellation)
    return {}


# What the seller must answer next, per return status (Search Returns: `seller_next_action_response`).
def _next_action(r: ReturnRecord) -> str | None:
    if r.status == "RETURN_OR_REFUND_REQUEST_PENDING":
        return "SELLER_RESPOND_REFUND" if r.return_type == "REFUND" else "SELLER_RESPOND_RETURN"
    if r.status == "BUYER_SHIPPED_ITEM":
        return "SELLER_RESPOND_RECEIVE_PACKAGE"
    return None


def return_json(call: Call, r: ReturnRecord) -> dict[str, Any]:
    order = call.state.orders[r.order_id]
    items = [i for i in order.line_items if i.id in r.line_item_ids]
    out = {
        "return_id": r.id,
        "order_id": r.order_id,
        "return_type": r.return_type,
        "return_status": r.status,
        "role": r.role,
        "return_reason": r.reason,
        "return_reason_text": r.reason_text,
        "create_time": r.create_time,
        "update_time": r.update_time,
        "refund_amount": refund_amount(order.currency, items),
        "return_line_items": _after_sale_items(call, order.currency, items, "return_line_item_id", r.id),
        "can_buyer_keep_item": r.status == "RETURN_OR_REFUND_REQUEST_SUCCESS" and r.return_type == "REFUND",
        "is_combined_return": False,
        "buyer_rejected_partial_refund": False,
        "discount_amount": [
            {
                "currency": order.currency,
                "product_platform_discount": ZERO,
                "product_seller_discount": ZERO,
                "shipping_fee_platform_discount": ZERO,
                "shipping_fee_seller_discount": ZERO,
            }
        ],
        "shipping_fee_amount": [
            {
                "currency": order.currency,
                "buyer_paid_return_shipping_fee": ZERO,
                "platform_paid_return_shipping_fee": ZERO,
                "seller_paid_return_shipping_fee": ZERO,
            }
        ],
    }
    if r.return_type == "RETURN_AND_REFUND":
        # The buyer sends it back with TikTok's label, dropped off at the carrier.
        returns_warehouse = next(
            (w for w in call.state.shops[r.shop_id].warehouses if w.type == "RETURN_WAREHOUSE"), None
        )
        out.update(
            shipment_type="PLATFORM",
            handover_method="DROP_OFF",
            return_method="PLATFORM_SHIPPED",
            return_warehouse_address={
                "full_address": returns_warehouse.address["full_address"] if returns_warehouse else ""
            },
        )
        if r.status not in ("RETURN_OR_REFUND_REQUEST_PENDING", "REFUND_OR_RETURN_REQUEST_REJECT"):
            provider_id, provider_name = seed.SHIPPING_PROVIDERS[0]
            out.update(
                return_shipping_document_type="QR_CODE",
                return_provider_id=provider_id,
                return_provider_name=provider_name,
                return_tracking_number=f"9202{r.id[-18:]}",
            )
    action = _next_action(r)
    if action:
        out["seller_next_action_response"] = [{"action": action, "deadline": r.update_time + 2 * 86400}]
    return out


@endpoint("POST", "/return_refund/202309/returns/search", scopes=RETURNS)
def search_returns(call: Call) -> dict[str, Any]:
    shop, body = call.require_shop(), call.json
    filters = {"return_ids": "id", "order_ids": "order_id", "return_types": "return_type", "return_status": "status"}

    def matches(r: ReturnRecord) -> bool:
        if r.shop_id != shop.id:
            return False
        return all(
            not (wanted := text_list(body.get(key), ApiError(*INVALID_REQUEST))) or getattr(r, attr) in wanted
            for key, attr in filters.items()
        )

    page, total, token = _sorted_page(call, [r for r in call.state.returns.values() if matches(r)], low=10)
    return {"return_orders": [return_json(call, r) for r in page], "total_count": total, "next_page_token": token}


# Reasons a seller may reject a return with ("Return reasons" doc, US market; UK shops add "_uk" to the
# reverse_reject_* names). A request (refund, or return and refund) and a received package each have their own.
REJECT_REQUEST_REASONS = {
    "reverse_reject_request_reason_1": "Buyer return reason is not valid",
    "reverse_reject_request_reason_2": "Change of mind returns are not applicable",
    "reverse_reject_request_reason_3": "Not eligible for return (e.g. used or broken)",
    "reverse_reject_request_reason_4": "Product delivery is on schedule",
    "reverse_reject_request_reason_5": "You have reached an agreement with the buyer",
    "seller_reject_apply_item_is_correct": "Item is correct",
    "seller_reject_apply_products_will_be_sent_separately": "Products will be sent separately",
    "seller_reject_apply_reason_is_unclear_or_lack_of_evidence": "Reason is unclear or lack of evidence",
    "seller_reject_apply_product_functions_well/buyer_use_in_wrong_way": "Product functions well/Buyer use in wrong way",
    "seller_reject_apply_package_has_not_exceeded_estimated_delivery_time": "Product is shipped and parcel cannot be recalled back from logistics.",
}
REJECT_PACKAGE_REASONS = {
    "reverse_reject_return_parcel_reason_1": "The product returned is not the product that was sent",
    "reverse_reject_return_parcel_reason_2": "Not eligible for return (e.g. used or broken)",
    "reverse_reject_return_parcel_reason_3": "Missing products and/or product parts",
    "reverse_reject_return_parcel_reason_4": "I haven't received the package",
    "reverse_reject_return_parcel_reason_5": "Product is damaged or used",
    "seller_reject_apply_you_have_reached_an_agreement_with_the_buyer": "You have reached an agreement with the buyer",
}
APPROVE_DECISIONS = ("APPROVE_REFUND", "APPROVE_RETURN", "APPROVE_RECEIVED_PACKAGE", "APPROVE_REPLACEMENT")
REJECT_DECISIONS = ("REJECT_REFUND", "REJECT_RETURN", "REJECT_RECEIVED_PACKAGE", "REJECT_REPLACEMENT")
# The request decisions apply to one return type each.
DECISION_TYPE = {
    "APPROVE_REFUND": "REFUND",
    "REJECT_REFUND": "REFUND",
    "APPROVE_RETURN": "RETURN_AND_REFUND",
    "REJECT_RETURN": "RETURN_AND_REFUND",
    "APPROVE_REPLACEMENT": "REPLACEMENT",
    "REJECT_REPLACEMENT": "REPLACEMENT",
}
APPROVED_STATUSES = (
    "AWAITING_BUYER_SHIP",
    "BUYER_SHIPPED_ITEM",
    "RETURN_OR_REFUND_REQUEST_SUCCESS",
    "RETURN_OR_REFUND_REQUEST_COMPLETE",
)
DECISION_MISMATCH = (25020004, "decision not match reverse type")
ALREADY_CANCELLED = (25020009, "reverse already cancelled")


def _regional(reasons: dict[str, str], region: str) -> dict[str, str]:
    if region not in ("UK", "GB"):
        return reasons
    return {(name + "_uk" if name.startswith("reverse_reject_") else name): text for name, text in reasons.items()}


def _reject_reasons_for(call: Call, r: ReturnRecord) -> dict[str, str]:
    region = call.require_shop().region.upper()
    if r.status == "BUYER_SHIPPED_ITEM":
        return _regional(REJECT_PACKAGE_REASONS, region)
    return _regional(REJECT_REQUEST_REASONS, region)


def _owned_return(call: Call, return_id: Any) -> ReturnRecord:
    record = call.state.returns.get(return_id) if isinstance(return_id, str) else None
    if record is None:
        raise ApiError(25007006, "Order not found.")
    if record.shop_id != call.require_shop().id:
        raise ApiError(*NO_PERMISSION)
    return record


@endpoint("GET", "/return_refund/202309/reject_reasons", scopes=RETURNS)
def get_reject_reasons(call: Call) -> dict[str, Any]:
    wanted = call.query.get("return_or_cancel_id")
    if not wanted:
        raise ApiError(*INVALID_REQUEST)
    if wanted in call.state.cancellations:
        if call.state.cancellations[wanted].shop_id != call.require_shop().id:
            raise ApiError(*NO_PERMISSION)
        return {"reasons": [{"name": name, "text": name.replace("_", " ")} for name in REJECT_REASONS]}
    record = _owned_return(call, wanted)
    return {"reasons": [{"name": name, "text": text} for name, text in _reject_reasons_for(call, record).items()]}


def _decision(call: Call, allowed: tuple[str, ...]) -> str:
    decision = call.json.get("decision")
    if not isinstance(decision, str) or decision not in allowed:
        raise ApiError(*INVALID_REQUEST)
    return decision


def _replayed(call: Call, record: ReturnRecord, action: str) -> dict[str, Any] | None:
    """A repeated idempotency key answers as the first call did, without acting twice."""
    key = call.query.get("idempotency_key")
    if not key:
        return None
    seen = call.state.idempotency.get((record.shop_id, f"return:{record.id}:{action}:{key}"))
    return {} if seen is not None else None


def _remember(call: Call, record: ReturnRecord, action: str) -> None:
    key = call.query.get("idempotency_key")
    if key:
        call.state.idempotency[(record.shop_id, f"return:{record.id}:{action}:{key}")] = {}


@endpoint("POST", "/return_refund/202309/returns/{return_id}/approve", scopes=RETURNS)
def approve_return(call: Call) -> dict[str, Any]:
    record = _owned_return(call, call.path_params["return_id"])
    if (replay := _replayed(call, record, "approve")) is not None:
        return replay
    decision = _decision(call, APPROVE_DECISIONS)
    keep_item = call.json.get("buyer_keep_item")
    if keep_item is not None and (not isinstance(keep_item, bool) or decision != "APPROVE_RETURN"):
        raise ApiError(*INVALID_REQUEST)
    if record.status == "RETURN_OR_REFUND_REQUEST_CANCEL":
        raise ApiError(*ALREADY_CANCELLED)
    if decision == "APPROVE_RECEIVED_PACKAGE":
        if record.status != "BUYER_SHIPPED_ITEM":
            raise ApiError(25011013, "reverse status cannot approve receive")
        new_status = "RETURN_OR_REFUND_REQUEST_SUCCESS"
    else:
        if DECISION_TYPE[decision] != record.return_type:
            raise ApiError(*DECISION_MISMATCH)
        if record.status != "RETURN_OR_REFUND_REQUEST_PENDING":
            raise ApiError(25011012, "reverse status cannot approve application")
        # A refund only, or a return the buyer may keep, is refunded at once; else the buyer ships it back.
        refund_now = decision == "APPROVE_REFUND" or keep_item
        new_status = "RETURN_OR_REFUND_REQUEST_SUCCESS" if refund_now else "AWAITING_BUYER_SHIP"
    order_flow.set_return_status(call.state, record, new_status, call.now)
    _remember(call, record, "approve")
    return {}


@endpoint("POST", "/return_refund/202309/returns/{return_id}/reject", scopes=RETURNS)
def reject_return(call: Call) -> dict[str, Any]:
    record = _owned_return(call, call.path_params["return_id"])
    if (replay := _replayed(call, record, "reject")) is not None:
        return replay
    decision = _decision(call, REJECT_DECISIONS)
    reason = call.json.get("reject_reason")
    if not isinstance(reason, str) or not reason:
        raise ApiError(*INVALID_REQUEST)
    region = call.require_shop().region.upper()
    request_reasons = _regional(REJECT_REQUEST_REASONS, region)
    package_reasons = _regional(REJECT_PACKAGE_REASONS, region)
    if reason not in request_reasons and reason not in package_reasons:
        raise ApiError(*UNKNOWN_REASON)
    if record.status == "RETURN_OR_REFUND_REQUEST_CANCEL":
        raise ApiError(*ALREADY_CANCELLED)
    if decision == "REJECT_RECEIVED_PACKAGE":
        if record.status != "BUYER_SHIPPED_ITEM":
            raise ApiError(25020012, "status can't reject receive")
        if reason not in package_reasons:
            raise ApiError(25001016, "reverse reason not match action type")
        new_status = "REJECT_RECEIVE_PACKAGE"
    else:
        if DECISION_TYPE[decision] != record.return_type:
            raise ApiError(*DECISION_MISMATCH)
        if record.status in APPROVED_STATUSES:
            raise ApiError(25020010, "Aftersales has been approved and cannot be rejected.")
        if record.status != "RETURN_OR_REFUND_REQUEST_PENDING":
            raise ApiError(25001003, "Invalid order status.")
        if reason not in request_reasons:
            raise ApiError(25001016, "reverse reason not match action type")
        new_status = "REFUND_OR_RETURN_REQUEST_REJECT"
    order_flow.set_return_status(call.state, record, new_status, call.now)
    _remember(call, record, "reject")
    return {}
