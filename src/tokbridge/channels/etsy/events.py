"""Etsy's webhooks as neutral store events.

Etsy signs them the Standard Webhooks way: headers `webhook-id`, `webhook-timestamp` (unix seconds) and
`webhook-signature` (space-separated `v1,<base64>` entries), each an HMAC-SHA256 over
`id.timestamp.body` keyed with the endpoint's secret (`whsec_` + base64, ETSY_WEBHOOK_SECRET). A delivery is
accepted when one entry matches (constant-time comparison) and its timestamp is within the tolerance.

Payloads are thin (`event_type`, `resource_url`, `shop_id`): a listing or inventory event becomes
`PRODUCT_CHANGED` naming the listing (the product id of the catalog stream), and the domain reads the
listing with its stock. Order events are Etsy's own sales: TokBridge leaves them to Etsy ([]).
Webhooks only make changes arrive sooner: polling by update time finds them all anyway.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from collections.abc import Mapping

from tokbridge.channels import base
from tokbridge.channels.base import InvalidDelivery, StoreEvent, WebhookDelivery
from tokbridge.channels.etsy.settings import get_etsy_settings
from tokbridge.config import Settings
from tokbridge.kit.errors import PermanentError

_LISTING_IN_URL = re.compile(r"/listings/(\d+)(?:/|$|\?)")
CHANGED = frozenset(
    {
        "listing.created",
        "listing.updated",
        "inventory.created",
        "inventory.updated",
        "inventory.deleted",
        "inventory.out_of_stock",
    }
)
DELETED = frozenset({"listing.deleted"})


def _secret_key(secret: str) -> bytes | None:
    raw = secret.strip()
    raw = raw.removeprefix("whsec_")
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return None


def sign(secret: str, webhook_id: str, timestamp: str, body: bytes) -> str:
    """The `v1,<base64>` entry for a delivery (what Etsy sends; the tests sign with it too)."""
    key = _secret_key(secret) or b""
    digest = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(
    secret: str, headers: Mapping[str, str], body: bytes, *, tolerance_seconds: int = 300, now: float | None = None
) -> bool:
    lower = {name.lower(): value for name, value in headers.items()}
    webhook_id, timestamp, signatures = (
        lower.get("webhook-id"),
        lower.get("webhook-timestamp"),
        lower.get("webhook-signature"),
    )
    key = _secret_key(secret) if secret else None
    if not key or not webhook_id or not timestamp or not signatures or not timestamp.isdigit():
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > tolerance_seconds:
        return False
    expected = sign(secret, webhook_id, timestamp, body).split(",", 1)[1].encode()
    matched = False
    for entry in signatures.split():
        version, _, signature = entry.partition(",")
        if version == "v1" and hmac.compare_digest(expected, signature.encode()):
            matched = True  # keep comparing: the time taken does not depend on which entry matched
    return matched


def _listing_id(payload: dict) -> str | None:
    """The listing a thin payload is about: its `listing_id` when given, else the one in `resource_url`."""
    data = payload.get("data")
    data = data if isinstance(data, dict) else {}
    value = payload.get("listing_id") or data.get("listing_id")
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return str(value)
    if isinstance(value, str) and value.isdigit():
        return str(int(value))
    found = _LISTING_IN_URL.search(str(payload.get("resource_url") or data.get("resource_url") or ""))
    return found.group(1) if found else None


class EtsyEvents:
    def verify(self, settings: Settings, headers: Mapping[str, str], body: bytes) -> bool:
        etsy = get_etsy_settings()
        return verify(etsy.webhook_secret, headers, body, tolerance_seconds=etsy.webhook_tolerance_seconds)

    def open(self, headers: Mapping[str, str], body: bytes) -> WebhookDelivery:
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise InvalidDelivery("Etsy's notification is not readable JSON.") from None
        if not isinstance(payload, dict):
            raise InvalidDelivery("Etsy's notification is not a JSON object.")
        shop_id, topic = payload.get("shop_id"), payload.get("event_type")
        if not (isinstance(shop_id, int) or (isinstance(shop_id, str) and shop_id.isdigit())):
            raise InvalidDelivery("Etsy's notification names no shop.")
        if not isinstance(topic, str) or not topic:
            raise InvalidDelivery("Etsy's notification names no event.")
        key = {name.lower(): value for name, value in headers.items()}.get("webhook-id") or None
        return WebhookDelivery(account=str(int(shop_id)), topic=topic, key=key, payload=payload)

    def translate(self, topic: str, payload: dict) -> list[StoreEvent]:
        if topic not in CHANGED and topic not in DELETED:
            return []  # order.* are Etsy's own sales; anything new is found by polling
        listing_id = _listing_id(payload)
        if listing_id is None:
            raise PermanentError("Etsy's listing notification names no listing; it cannot be processed.")
        if topic in DELETED:
            return [StoreEvent(base.PRODUCT_DELETED, listing_id)]
        return [StoreEvent(base.PRODUCT_CHANGED, listing_id, {"updated_at": None})]


EVENTS = EtsyEvents()
