"""Receiving Shopify webhooks: signature, headers, the envelope and what each topic means.

Shopify signs the raw body (base64 HMAC-SHA256 with the app's client secret). Classic webhooks
send `X-Shopify-*` headers; the newer Events delivery sends the same names without the prefix,
in lower case. Both are accepted. Delivery is at least once and unordered: callers deduplicate on
`WebhookEnvelope.dedup_key` (the event id, or the webhook id when there is none).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from tokbridge.kit import strict_json

# The three privacy topics every public app must answer.
COMPLIANCE_TOPICS = frozenset({"customers/data_request", "customers/redact", "shop/redact"})

TOPICS = frozenset(
    {
        "products/create",
        "products/update",
        "products/delete",
        "inventory_levels/update",
        "orders/cancelled",
        "fulfillments/create",
        "fulfillments/update",
        "app/uninstalled",
        "bulk_operations/finish",
        "app_subscriptions/update",
    }
    | COMPLIANCE_TOPICS
)

_REQUIRED = ("hmac-sha256", "topic", "shop-domain")


class InvalidWebhook(ValueError):
    """Missing or malformed headers or body: answer 400."""

    status_code = 400


class BadSignature(InvalidWebhook):
    """The HMAC does not match: answer 401 (Shopify requires it for the privacy topics)."""

    status_code = 401


def compute_hmac(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify_hmac(body: bytes, secret: str, header: str) -> bool:
    """True when `header` is the base64 HMAC-SHA256 of the raw `body` under `secret`."""
    if not header or not secret:
        return False
    return hmac.compare_digest(compute_hmac(body, secret), header.strip())


def shopify_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Shopify's headers by bare lower-case name: `X-Shopify-Topic` and `shopify-topic` both give `topic`."""
    found: dict[str, str] = {}
    for name, value in headers.items():
        lower = name.lower()
        for prefix in ("x-shopify-", "shopify-"):
            if lower.startswith(prefix):
                found.setdefault(lower[len(prefix) :], value)
                break
    return found


@dataclass(frozen=True, slots=True)
class WebhookEnvelope:
    topic: str
    shop_domain: str
    webhook_id: str | None
    event_id: str | None
    triggered_at: datetime | None
    api_version: str | None
    payload: dict

    @property
    def dedup_key(self) -> str:
        """Same event, same key, across retries and subscriptions (event id, else delivery id)."""
        return self.event_id or self.webhook_id or ""

    @property
    def is_compliance(self) -> bool:
        return self.topic in COMPLIANCE_TOPICS


def verify_request(body: bytes, headers: Mapping[str, str], secrets: list[str]) -> bool:
    """Verify against the current secret and, during a rotation, the previous one."""
    header = shopify_headers(headers).get("hmac-sha256", "")
    return any(verify_hmac(body, secret, header) for secret in secrets if secret)


def parse(body: bytes, headers: Mapping[str, str]) -> WebhookEnvelope:
    """Build the envelope of a delivery whose signature was already verified."""
    found = shopify_headers(headers)
    missing = [name for name in _REQUIRED if not found.get(name)]
    if missing:
        raise InvalidWebhook("missing header(s): " + ", ".join(missing))
    try:
        payload = strict_json.loads(body) if body else {}
    except strict_json.InvalidJSON as exc:
        raise InvalidWebhook(str(exc)) from exc
    if not isinstance(payload, dict):
        raise InvalidWebhook("body is not a JSON object")
    return WebhookEnvelope(
        topic=found["topic"].strip().lower(),
        shop_domain=found["shop-domain"].strip().lower(),
        webhook_id=found.get("webhook-id") or None,
        event_id=found.get("event-id") or None,
        triggered_at=_parse_time(found.get("triggered-at")),
        api_version=found.get("api-version") or None,
        payload=payload,
    )


def receive(body: bytes, headers: Mapping[str, str], secrets: list[str]) -> WebhookEnvelope:
    """Everything an endpoint does before enqueueing: signature, then headers and body.

    Raises BadSignature (401) or InvalidWebhook (400); the caller answers `exc.status_code`, and
    200 quickly otherwise (Shopify waits 5 seconds at most), deduplicating on `dedup_key`.
    """
    if not shopify_headers(headers).get("hmac-sha256"):
        raise InvalidWebhook("missing header: hmac-sha256")
    if not verify_request(body, headers, secrets):
        raise BadSignature("HMAC does not match")
    return parse(body, headers)


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None
