"""TikTok order statuses in the dashboard's words, and what a merchant may do in each."""

from __future__ import annotations

from tokbridge.orders.models import OrderStatus, StoreSync

DASHBOARD_STATUS = {
    "UNPAID": OrderStatus.UNPAID,
    "ON_HOLD": OrderStatus.ON_HOLD,
    "AWAITING_SHIPMENT": OrderStatus.AWAITING_SHIPMENT,
    "PARTIALLY_SHIPPING": OrderStatus.AWAITING_SHIPMENT,
    "AWAITING_COLLECTION": OrderStatus.AWAITING_COLLECTION,
    "IN_TRANSIT": OrderStatus.IN_TRANSIT,
    "DELIVERED": OrderStatus.DELIVERED,
    "COMPLETED": OrderStatus.COMPLETED,
    "CANCELLED": OrderStatus.CANCELLED,
    "CANCEL": OrderStatus.CANCELLED,  # webhook 1 spells it this way
}

# How far along each TikTok status is: two updates stamped with the same second (TikTok's `update_time`
# has no finer grain) are told apart by it, so a late copy of the earlier one never wins.
PROGRESS = {"UNPAID": 0, "ON_HOLD": 1, "AWAITING_SHIPMENT": 2, "PARTIALLY_SHIPPING": 3, "AWAITING_COLLECTION": 4,
            "IN_TRANSIT": 5, "DELIVERED": 6, "COMPLETED": 7, "CANCELLED": 8, "CANCEL": 8}


def is_newer(stored_time: int, stored_status: str, update_time: int, tiktok_status: str) -> bool:
    """Whether an update (time, status) is newer than what is stored; a repeat is not."""
    if update_time != stored_time:
        return update_time > stored_time
    return PROGRESS.get(tiktok_status.upper(), 0) > PROGRESS.get(stored_status.upper(), 0)


# Once paid and out of the remorse window, the order goes to the store. Never while ON_HOLD.
FOR_THE_STORE = frozenset({"AWAITING_SHIPMENT", "PARTIALLY_SHIPPING", "AWAITING_COLLECTION"})
CANCELLED = frozenset({"CANCELLED", "CANCEL"})

LABELS = {
    OrderStatus.UNPAID: "Unpaid",
    OrderStatus.ON_HOLD: "On hold",
    OrderStatus.AWAITING_SHIPMENT: "Awaiting Shipment",
    OrderStatus.AWAITING_COLLECTION: "Awaiting Collection",
    OrderStatus.IN_TRANSIT: "In transit",
    OrderStatus.DELIVERED: "Delivered",
    OrderStatus.COMPLETED: "Completed",
    OrderStatus.CANCELLED: "Cancelled",
    OrderStatus.FAILED: "Failed",
}


def dashboard_status(tiktok_status: str, store_sync: str) -> OrderStatus:
    status = DASHBOARD_STATUS.get(tiktok_status.upper(), OrderStatus.FAILED)
    if store_sync == StoreSync.FAILED and status not in (OrderStatus.CANCELLED,):
        return OrderStatus.FAILED
    return status


# Seller cancel reasons TikTok accepts ("Cancel reasons" doc, US names; UK shops add "_uk").
UNPAID_CANCEL_REASONS = {
    "seller_cancel_unpaid_reason_out_of_stock": "Out of stock",
    "seller_cancel_unpaid_reason_wrong_price": "Wrong price",
    "seller_cancel_unpaid_reason_buyer_hasnt_paid_within_time_allowed": "Buyer has not paid in time",
    "seller_cancel_unpaid_reason_buyer_requested_cancellation": "Buyer asked to cancel",
}
PAID_CANCEL_REASONS = {
    "seller_cancel_reason_out_of_stock": "Out of stock",
    "seller_cancel_reason_wrong_price": "Wrong price",
    "seller_cancel_paid_reason_address_not_deliver": "Cannot deliver to the address",
    "seller_cancel_paid_reason_buyer_requested_cancellation": "Buyer asked to cancel",
}
REJECT_REASONS = {
    "order_manage_list_action_respond_popup_reject_reason_invalid_cancellation_reason": "Invalid cancellation reason",
    "order_manage_list_action_respond_popup_reject_reason_delivered": "Already delivered",
    "order_manage_list_action_respond_popup_reject_reason_buyer_agree": "Buyer agreed to keep the order",
    "seller_reject_apply_product_has_been_packed": "The product has been packed",
}
_UK = {"UK", "GB"}


def cancel_reasons(tiktok_status: str, region: str | None) -> dict[str, str]:
    """{reason name: label} a seller may cancel with in this status; empty when it cannot be cancelled."""
    status = tiktok_status.upper()
    if status == "UNPAID":
        reasons = UNPAID_CANCEL_REASONS
    elif status in ("ON_HOLD", "AWAITING_SHIPMENT"):
        reasons = PAID_CANCEL_REASONS
    else:
        return {}
    suffix = "_uk" if (region or "").upper() in _UK else ""
    return {name + suffix: label for name, label in reasons.items()}


def store_cancel_reason_to_tiktok(store_reason: str | None, tiktok_status: str, region: str | None) -> str | None:
    """The TikTok reason for an order the merchant cancelled in the store admin."""
    allowed = cancel_reasons(tiktok_status, region)
    if not allowed:
        return None
    wanted = "buyer_requested_cancellation" if (store_reason or "").lower() == "customer" else "out_of_stock"
    return next((name for name in allowed if wanted in name), next(iter(allowed)))
