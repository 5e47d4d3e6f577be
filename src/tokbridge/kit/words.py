"""Codes and field paths in a merchant's words, in one place: no page shows TikTok's `SELLER_DEACTIVATED`
or a path like `skus[7].seller_sku`. The pages use these as Jinja filters (web/rendering.py)."""

from __future__ import annotations

import re

# TikTok's codes a merchant may meet: product states, order states, cancellations, returns, who did it.
CODES = {
    # products
    "DRAFT": "Draft",
    "PENDING": "Under review",
    "FAILED": "Rejected in review",
    "ACTIVATE": "Live",
    "SELLER_DEACTIVATED": "Deactivated by you",
    "PLATFORM_DEACTIVATED": "Deactivated by TikTok",
    "FREEZE": "Frozen by TikTok",
    "DELETED": "Deleted",
    "AUDITING": "Under review",
    # orders
    "UNPAID": "Unpaid",
    "ON_HOLD": "On hold",
    "AWAITING_SHIPMENT": "Awaiting shipment",
    "PARTIALLY_SHIPPING": "Partly shipped",
    "AWAITING_COLLECTION": "Awaiting collection",
    "IN_TRANSIT": "In transit",
    "DELIVERED": "Delivered",
    "COMPLETED": "Completed",
    "CANCELLED": "Cancelled",
    "CANCEL": "Cancelled",
    # cancellations
    "BUYER_CANCEL": "Buyer's cancellation request",
    "REQUEST_CANCEL_REFUND": "Buyer's cancellation request",
    "CANCELLATION_REQUEST_PENDING": "waiting for your answer",
    "CANCELLATION_REQUEST_SUCCESS": "accepted",
    "CANCELLATION_REQUEST_CANCEL": "withdrawn",
    "CANCELLATION_REQUEST_CANCELLED": "withdrawn",
    "CANCELLATION_REQUEST_COMPLETE": "done",
    # returns
    "REFUND": "Refund without return",
    "RETURN_AND_REFUND": "Return and refund",
    "REPLACEMENT": "Replacement",
    "RETURN_OR_REFUND_REQUEST_PENDING": "waiting for your answer",
    "REFUND_OR_RETURN_REQUEST_REJECT": "rejected",
    "AWAITING_BUYER_SHIP": "waiting for the buyer to send it back",
    "BUYER_SHIPPED_ITEM": "on its way back to you",
    "REJECT_RECEIVE_PACKAGE": "package refused",
    "RETURN_OR_REFUND_REQUEST_SUCCESS": "accepted",
    "RETURN_OR_REFUND_REQUEST_CANCEL": "withdrawn by the buyer",
    "RETURN_OR_REFUND_REQUEST_COMPLETE": "refunded",
    # units TikTok's package weights and sizes come in
    "POUND": "lb",
    "KILOGRAM": "kg",
    "GRAM": "g",
    "OUNCE": "oz",
    "INCH": "in",
    "CENTIMETER": "cm",
    # who
    "BUYER": "Buyer",
    "SELLER": "You",
    "SYSTEM": "TikTok",
    "OPERATOR": "TikTok",
}

# Parts of the product TikTok receives, as the product page and the store call them.
FIELDS = {
    "external_product_id": "product id in your store",
    "title": "title",
    "description": "description",
    "category_id": "category",
    "category_version": "category version",
    "main_images": "images",
    "product_attributes": "attribute",
    "attributes": "attribute",
    "certifications": "certification",
    "package_weight": "package weight",
    "package_dimensions": "package size",
    "unit": "unit",
    "skus": "variant",
    "variants": "variant",
    "seller_sku": "SKU code",
    "external_sku_id": "variant id in your store",
    "price": "price",
    "amount": "",  # "price" says it
    "currency": "currency",
    "inventory": "stock",
    "sales_attributes": "options",
}
_STEP = re.compile(r"(\w+)(?:\[(\d+)\])?")


def code_words(code: str | None) -> str:
    """`SELLER_DEACTIVATED` -> `Deactivated by you`; a code not listed still reads as words."""
    if not code:
        return ""
    known = CODES.get(code.upper())
    if known:
        return known
    return code.replace("_", " ").strip().capitalize()


def field_words(path: str | None) -> str:
    """`skus[7].seller_sku` -> `Variant 8, SKU code`; `listing.package_dimensions` -> `Package size`."""
    parts = []
    for name, index in _STEP.findall(path or ""):
        if name == "listing":  # template fields are "listing.…": the product page needs no such prefix
            continue
        word = FIELDS.get(name, name.replace("_", " "))
        if index != "":
            word = f"{word} {int(index) + 1}"
        if word:
            parts.append(word)
    text = ", ".join(parts)
    return text[:1].upper() + text[1:]


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`1 product`, `2 products`, `0 products` (`plural_form` when adding an s is wrong)."""
    return f"{count:,} {singular if count == 1 else plural_form or singular + 's'}"


def alternatives(parts: list[str]) -> str:
    """ "a", "a or b", "a, b or c"."""
    return sentence_list(parts, "or")


def sentence_list(parts: list[str], conjunction: str = "and") -> str:
    """ "a", "a and b", "a, b and c" (`conjunction="or"`: "a, b or c")."""
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} {conjunction} {parts[-1]}"
