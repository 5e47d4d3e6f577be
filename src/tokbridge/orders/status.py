"""TikTok order statuses in the dashboard's words, and what a merchant may do in each."""

from __future__ import annotations

from tokbridge.channels.base import CANCELLED_BY_BUYER
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
PROGRESS = {
    "UNPAID": 0,
    "ON_HOLD": 1,
    "AWAITING_SHIPMENT": 2,
    "PARTIALLY_SHIPPING": 3,
    "AWAITING_COLLECTION": 4,
    "IN_TRANSIT": 5,
    "DELIVERED": 6,
    "COMPLETED": 7,
    "CANCELLED": 8,
    "CANCEL": 8,
}


def is_newer(stored_time: int, stored_status: str, update_time: int, tiktok_status: str) -> bool:
    """Whether an update (time, status) is newer than what is stored; a repeat is not."""
    if update_time != stored_time:
        return update_time > stored_time
    return PROGRESS.get(tiktok_status.upper(), 0) > PROGRESS.get(stored_status.upper(), 0)


# Once paid and out of the remorse window, the order goes to the store. Never while ON_HOLD.
FOR_THE_STORE = frozenset({"AWAITING_SHIPMENT", "PARTIALLY_SHIPPING", "AWAITING_COLLECTION"})
CANCELLED = frozenset({"CANCELLED", "CANCEL"})
# The buyer has the parcel: a store whose orders carry a state moves its order to the delivered one.
DELIVERED = frozenset({"DELIVERED", "COMPLETED"})

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
    """The TikTok reason for an order the merchant cancelled in the store admin (`store_reason` is neutral:
    `CANCELLED_BY_BUYER` or `CANCELLED_OTHERWISE`)."""
    allowed = cancel_reasons(tiktok_status, region)
    if not allowed:
        return None
    wanted = "buyer_requested_cancellation" if store_reason == CANCELLED_BY_BUYER else "out_of_stock"
    return next((name for name in allowed if wanted in name), next(iter(allowed)))


# --- returns ------------------------------------------------------------------------------------------

RETURN_TYPE_LABELS = {"RETURN_AND_REFUND": "Return and refund", "REFUND": "Refund only", "REPLACEMENT": "Replacement"}
RETURN_STATUS_LABELS = {
    "RETURN_OR_REFUND_REQUEST_PENDING": "Waiting for your decision",
    "AWAITING_BUYER_SHIP": "Approved: waiting for the buyer to send the items back",
    "BUYER_SHIPPED_ITEM": "The buyer sent the items back: check them, then approve or reject",
    "RETURN_OR_REFUND_REQUEST_SUCCESS": "Approved: TikTok is refunding the buyer",
    "RETURN_OR_REFUND_REQUEST_COMPLETE": "Refunded",
    "REFUND_OR_RETURN_REQUEST_REJECT": "Rejected",
    "REJECT_RECEIVE_PACKAGE": "Returned items rejected",
    "RETURN_OR_REFUND_REQUEST_CANCEL": "Cancelled by the buyer",
    "AWAITING_BUYER_RESPONSE": "Waiting for the buyer's answer",
}
# Once TikTok has refunded (or is refunding) the buyer, the store order records the refund.
REFUNDED_RETURN_STATUSES = frozenset({"RETURN_OR_REFUND_REQUEST_SUCCESS", "RETURN_OR_REFUND_REQUEST_COMPLETE"})

# Reasons TikTok accepts to reject a return ("Return reasons" doc, US names; UK shops add "_uk" to the
# reverse_reject_* ones), in the merchant's words: one list for a request, one for a received package.
REJECT_REQUEST_REASONS = {
    "reverse_reject_request_reason_1": "The buyer's reason for the return is not valid",
    "reverse_reject_request_reason_2": "Returns for a change of mind are not accepted",
    "reverse_reject_request_reason_3": "The item cannot be returned (used or broken)",
    "reverse_reject_request_reason_4": "The delivery is still on schedule",
    "reverse_reject_request_reason_5": "You have reached an agreement with the buyer",
    "seller_reject_apply_item_is_correct": "The item sent was the right one",
    "seller_reject_apply_products_will_be_sent_separately": "The items are being sent separately",
    "seller_reject_apply_reason_is_unclear_or_lack_of_evidence": "The reason is unclear or not shown",
    "seller_reject_apply_product_functions_well/buyer_use_in_wrong_way": "The item works; it was used the wrong way",
    "seller_reject_apply_package_has_not_exceeded_estimated_delivery_time": "The parcel has shipped and cannot be called back",
}
REJECT_PACKAGE_REASONS = {
    "reverse_reject_return_parcel_reason_1": "The item sent back is not the one you sent",
    "reverse_reject_return_parcel_reason_2": "The item cannot be returned (used or broken)",
    "reverse_reject_return_parcel_reason_3": "Items or parts are missing",
    "reverse_reject_return_parcel_reason_4": "You have not received the parcel",
    "reverse_reject_return_parcel_reason_5": "The item is damaged or used",
    "seller_reject_apply_you_have_reached_an_agreement_with_the_buyer": "You have reached an agreement with the buyer",
}


class ReturnStep:
    """What TikTok waits for from the seller on a return: the decision names to send and the reasons
    (name: merchant words) a rejection may give."""

    def __init__(self, approve: str, reject: str, reasons: dict[str, str], question: str):
        self.approve, self.reject, self.reasons, self.question = approve, reject, reasons, question


def return_step(return_type: str | None, return_status: str | None, region: str | None) -> ReturnStep | None:
    """The seller's decision a return waits for, or None when it waits for nobody or for someone else."""
    suffix = "_uk" if (region or "").upper() in _UK else ""

    def regional(reasons: dict[str, str]) -> dict[str, str]:
        return {
            (name + suffix if name.startswith("reverse_reject_") else name): label for name, label in reasons.items()
        }

    if return_status == "BUYER_SHIPPED_ITEM":
        return ReturnStep(
            "APPROVE_RECEIVED_PACKAGE",
            "REJECT_RECEIVED_PACKAGE",
            regional(REJECT_PACKAGE_REASONS),
            "The returned items have arrived. Refund the buyer?",
        )
    if return_status == "RETURN_OR_REFUND_REQUEST_PENDING":
        if return_type == "REFUND":
            return ReturnStep(
                "APPROVE_REFUND",
                "REJECT_REFUND",
                regional(REJECT_REQUEST_REASONS),
                "The buyer asks for a refund without sending the items back.",
            )
        if return_type == "RETURN_AND_REFUND":
            return ReturnStep(
                "APPROVE_RETURN",
                "REJECT_RETURN",
                regional(REJECT_REQUEST_REASONS),
                "The buyer asks to send the items back for a refund.",
            )
    return None


def return_refusal(code: int | None, message: str) -> str:
    """TikTok's refusal of a return decision, in plain words."""
    if code in (25011012, 25011013, 25020010, 25020012, 25001003):
        return "TikTok no longer waits for this decision: the return has moved on. Its current state is shown below."
    if code == 25020009:
        return "The buyer cancelled this return, so there is nothing left to decide."
    if code == 25011010:
        return "TikTok's team has taken this return over; follow it in TikTok Shop Seller Center."
    if code in (25001014, 25001016, 25001020, 25001057):
        return "TikTok does not accept this reason for this return now. Choose another reason."
    return f"TikTok refused the decision: {message.rstrip('.')}."


# --- orders kept in TokBridge, shipped from TokBridge -------------------------------------------------

# A kept order may be shipped from TokBridge in these statuses; once shipped, its tracking may be corrected
# in these (TikTok takes a correction until the package is delivered).
SHIPPABLE = frozenset({"AWAITING_SHIPMENT", "PARTIALLY_SHIPPING"})
CORRECTABLE = frozenset({"AWAITING_SHIPMENT", "PARTIALLY_SHIPPING", "AWAITING_COLLECTION", "IN_TRANSIT"})


def shipping_refusal(code: int | None, message: str) -> str:
    """TikTok's refusal of a shipment or of a tracking correction, in plain words."""
    if code == 21011022:
        return "TikTok did not accept this tracking number with this carrier. Check both, then enter them again."
    if code == 21004012:
        return "The tracking number has characters TikTok does not take: use only letters, digits and dashes."
    if code in (21011041, 21011042):
        return "The order was cancelled on TikTok, so there is nothing to ship."
    if code == 21011007:
        return "The buyer has asked to cancel or return items of this order: answer that request first, then ship."
    if code == 21011051:
        return "TikTok lets you correct a tracking number only once; this package's was corrected already."
    if code == 21011050:
        return "TikTok takes a corrected tracking number only in the first 72 hours after shipping; that time is over."
    if code == 21011030:
        return "The package has been delivered, so TikTok no longer takes a new tracking number for it."
    if code == 21011043:
        return "TikTok has not recorded the package as shipped yet, so its tracking cannot be corrected."
    return f"TikTok refused the shipment: {message.strip().rstrip('.')}."
