"""One order as a merchant reads it: the buyer, TikTok's shipping address, what was ordered, what happened
when (from TikTok's times and what TokBridge recorded), and TikTok's codes in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tokbridge.orders import status as statuses
from tokbridge.orders.models import Cancellation, Order, OrderLine, Shipment, ShipmentState, StoreSync
from tokbridge.orders.money import to_text

LINE_STATUS = {
    "UNPAID": "Not paid yet",
    "TO_SHIP": "To ship",
    "AWAITING_SHIPMENT": "To ship",
    "AWAITING_COLLECTION": "Waiting for the carrier",
    "IN_TRANSIT": "In transit",
    "DELIVERED": "Delivered",
    "COMPLETED": "Completed",
    "CANCELLED": "Cancelled",
}
CANCEL_STATUS = {
    "CANCELLATION_REQUEST_PENDING": "waiting for your answer",
    "CANCELLATION_REQUEST_SUCCESS": "approved",
    "CANCELLATION_REQUEST_CANCEL": "withdrawn or refused",
    "CANCELLATION_REQUEST_CANCELLED": "withdrawn or refused",
    "CANCELLATION_REQUEST_COMPLETE": "done",
}
WHO = {"BUYER": "the buyer", "SELLER": "you", "SYSTEM": "TikTok", "OPERATOR": "TikTok"}
SHIPMENT_STATE: dict[str, str] = {
    ShipmentState.PENDING: "being sent to TikTok",
    ShipmentState.SENT: "sent to TikTok",
    ShipmentState.FAILED: "could not be sent to TikTok",
}


def words(code: str | None, known: dict[str, str]) -> str:
    """A TikTok code in the merchant's words; one we have no words for is spelt out ("SOME_CODE" -> "Some code")."""
    if not code:
        return ""
    return known.get(code) or known.get(code.upper()) or code.replace("_", " ").capitalize()


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


@dataclass(frozen=True)
class Step:
    when: datetime
    text: str


def _time(value) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), UTC) if value else None
    except (TypeError, ValueError):
        return None


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def buyer_name(order: Order) -> str | None:
    recipient = (order.raw or {}).get("recipient_address") or {}
    name = recipient.get("name") or " ".join(filter(None, [recipient.get("first_name"), recipient.get("last_name")]))
    return name.strip() or None


def shipping_address(order: Order) -> list[str]:
    """TikTok's address as it gives it: the full address when there is one, else its lines; the postal code
    and phone (masked by TikTok) when not already in it. Empty until TikTok shares it (after ON_HOLD)."""
    recipient = (order.raw or {}).get("recipient_address") or {}
    full = str(recipient.get("full_address") or "").strip()
    if full:
        lines = [full]
    else:
        lines = [
            str(recipient.get(key)).strip()
            for key in ("address_line1", "address_line2", "address_line3", "address_line4")
            if str(recipient.get(key) or "").strip()
        ]
        districts = [
            str(d["address_name"])
            for d in recipient.get("district_info") or []
            if isinstance(d, dict) and d.get("address_name")
        ]
        if districts:
            lines.append(", ".join(reversed(districts)))  # TikTok lists them country first
    postal = str(recipient.get("postal_code") or "").strip()
    if postal and not any(postal in line for line in lines):
        lines.append(postal)
    if lines and recipient.get("phone_number"):
        lines.append(f"Phone {recipient['phone_number']}")
    return lines


def what_was_ordered(order: Order, lines: list[OrderLine]) -> str:
    """Totals and item counts for every status: a cancelled order says what it was, not "0.00 · 0 items"."""
    currency = order.currency
    if not lines:
        return "TikTok sends the items and amounts once the buyer has paid."
    cancelled = sum(1 for line in lines if (line.display_status or "").upper() == "CANCELLED")
    if order.tiktok_status in statuses.CANCELLED or cancelled == len(lines):
        value = to_text(sum(line.sale_minor for line in lines), currency)
        return f"{plural(len(lines), 'item')} ordered for {value} {currency}, all cancelled: nothing is due."
    summary = f"Total {to_text(order.total_minor, currency)} {currency} · {plural(len(lines) - cancelled, 'item')}"
    if cancelled:
        summary += f" ({cancelled} more cancelled)"
    return summary


def list_figures(order: Order, lines: list[OrderLine]) -> tuple[str, str]:
    """(items, amount) for the order list: a cancelled order shows what was ordered, marked cancelled."""
    currency = order.currency
    cancelled = sum(1 for line in lines if (line.display_status or "").upper() == "CANCELLED")
    if lines and (order.tiktok_status in statuses.CANCELLED or cancelled == len(lines)):
        value = to_text(sum(line.sale_minor for line in lines), currency)
        return f"{len(lines)} cancelled", f"{value} {currency} (cancelled)"
    if not lines:
        return "", ""  # not paid yet: TikTok has not sent the amounts
    return str(len(lines) - cancelled), f"{to_text(order.total_minor, currency)} {currency}"


def shipping_advice(order: Order, shipments: list[Shipment]) -> str | None:
    """What the merchant should do about shipping, if anything; None once shipments show what happened."""
    if order.tiktok_status in statuses.CANCELLED:
        return "Cancelled: there is nothing to ship."
    if shipments:
        return None
    if order.tiktok_status in ("UNPAID", "ON_HOLD"):
        return (
            "Nothing to ship yet: the order comes to your store once the buyer has paid and TikTok's "
            "cancellation window has passed."
        )
    if order.store_sync == StoreSync.KEPT:
        return kept_words(order, shipments, on_page=True)
    if order.store_sync != StoreSync.CREATED:
        return "Ship once the order is in your store."
    if order.tiktok_status in statuses.FOR_THE_STORE:
        return "Not shipped yet. Fulfil the order in your store with a tracking number; TokBridge sends it to TikTok."
    return "Shipped."


KEPT_IN_TOKBRIDGE = (
    "Kept in TokBridge: your store takes no outside orders, so there is no store order. "
    "TokBridge took its items off your store's stock."
)


def kept_words(order: Order, shipments: list[Shipment], on_page: bool = False) -> str | None:
    """What to do about an order kept in TokBridge (the store takes no outside orders), for the order list
    and the API (`on_page`: above the order page's form); None for an order in the store or not yet anywhere."""
    if order.store_sync != StoreSync.KEPT:
        return None
    if order.tiktok_status in statuses.CANCELLED:
        if order.store_cancelled:
            return "Cancelled: its items went back to your store's stock."
        return "Cancelled: its items go back to your store's stock in a moment."
    entered = [s for s in shipments if s.state != ShipmentState.FAILED]
    if order.tiktok_status in statuses.SHIPPABLE and not entered:
        where = "below" if on_page else "on the order's page"
        return (
            f"Ship it from TokBridge: pack the items, then enter the carrier and tracking number {where}; "
            "TokBridge sends them to TikTok."
        )
    if order.tiktok_status in statuses.SHIPPABLE:
        return "The tracking number is on its way to TikTok."
    if order.tiktok_status in ("DELIVERED", "COMPLETED"):
        return "Delivered. A return TikTok completes puts its items back on your store's stock."
    where = "below" if on_page else "on the order's page"
    return f"Shipped from TokBridge. A wrong tracking number can be corrected {where} until delivery."


def timeline(order: Order, shipments: list[Shipment], cancellations: list[Cancellation]) -> list[Step]:
    """What happened to the order, oldest first: TikTok's own times and what TokBridge did."""
    raw = order.raw or {}
    steps: list[tuple[datetime | None, str]] = [
        (_time(raw.get("create_time")) or _aware(order.placed_at), "Placed on TikTok"),
        (_time(raw.get("paid_time")) or _aware(order.paid_at), "Paid"),
    ]
    if order.store_order_name:
        steps.append((_aware(order.plan_counted_at), f"Created in your store as {order.store_order_name}"))
    elif order.store_sync == StoreSync.KEPT:
        steps.append((_aware(order.plan_counted_at), "Kept in TokBridge: its items taken off your store's stock"))
    for shipment in shipments:
        tracking = " ".join(filter(None, [shipment.tracking_company, shipment.tracking_number])) or "A shipment"
        steps.append(
            (
                _aware(shipment.updated_at or shipment.created_at),
                f"Tracking {tracking} {words(shipment.state, SHIPMENT_STATE)}",
            )
        )
    for request in cancellations:
        if (request.role or "").upper() == "BUYER" and (request.cancel_type or "").upper() == "BUYER_CANCEL":
            text = "The buyer asked to cancel"
            if request.reason:
                text += f" ({request.reason})"
            steps.append(
                (
                    _time((request.raw or {}).get("create_time")) or _aware(request.created_at),
                    f"{text}: {words(request.cancel_status, CANCEL_STATUS)}",
                )
            )
    steps += [
        (_time(raw.get("collection_time")), "Collected by the carrier"),
        (_time(raw.get("delivery_time")), "Delivered"),
    ]
    if order.tiktok_status == "COMPLETED":
        steps.append((_time(order.tiktok_update_time), "Completed: returns are no longer possible"))
    if order.tiktok_status in statuses.CANCELLED:
        text = f"Cancelled by {WHO.get((order.cancelled_by or '').upper(), 'TikTok')}"
        if order.cancel_reason:
            text += f" ({order.cancel_reason})"
        steps.append((_time(raw.get("cancel_time")) or _time(order.tiktok_update_time), text))
    return sorted((Step(when, text) for when, text in steps if when is not None), key=lambda step: step.when)
