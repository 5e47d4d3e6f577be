"""TikTok Shop webhook signatures: the `Authorization` header is the lowercase hex
HMAC-SHA256 of `app_key + raw body`, keyed with the app secret."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from tokbridge.kit import strict_json


def compute_signature(app_key: str, app_secret: str, body: bytes) -> str:
    return hmac.new(app_secret.encode(), app_key.encode() + body, hashlib.sha256).hexdigest()


def verify_signature(app_key: str, app_secret: str, body: bytes, authorization: str) -> bool:
    """True when `authorization` signs `body`; compared in constant time."""
    if not authorization:
        return False
    return hmac.compare_digest(compute_signature(app_key, app_secret, body), authorization.strip())


# --- typed envelopes --------------------------------------------------------------------------
# {"type": 1, "tts_notification_id": "...", "shop_id": "...", "timestamp": 1644412885, "data": {...}}
# Verify the signature on the raw bytes first, then parse. Ids stay strings even when a sample
# sends them as numbers; parse_event reads integers exactly, so nothing is lost to a double.

ORDER_STATUS_CHANGE = 1
PRODUCT_STATUS_CHANGE = 5
SELLER_DEAUTHORIZATION = 6
UPCOMING_AUTHORIZATION_EXPIRATION = 7
CANCELLATION_STATUS_CHANGE = 11
RETURN_STATUS_CHANGE = 12
PRODUCT_AUDIT_STATUS_CHANGE = 37


MAX_ID_LENGTH = 128  # TikTok's ids are about 19 digits; ours end up in keys of a few hundred characters


class _Payload(BaseModel):
    model_config = ConfigDict(extra="allow")

    @field_validator("*", mode="before")
    @classmethod
    def _numbers_as_strings(cls, value: Any, info) -> Any:
        name = info.field_name or ""
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and (name.endswith("_id") or name == "expiration_time")
        ):
            return str(value)
        return value

    @field_validator("*")
    @classmethod
    def _storable_ids(cls, value: Any, info) -> Any:
        # Ids are stored and looked up as text: one the database cannot take would fail later, for good.
        if isinstance(value, str) and (info.field_name or "").endswith("_id"):
            if len(value) > MAX_ID_LENGTH:
                raise ValueError(f"longer than {MAX_ID_LENGTH} characters")
            if not value.isprintable():
                raise ValueError("contains control characters")
        return value


class OrderStatusChange(_Payload):
    order_id: str
    order_status: str  # the docs list CANCEL here where the Order API says CANCELLED: accept both
    is_on_hold_order: bool | None = None
    update_time: int | None = None


class ProductStatusChange(_Payload):
    product_id: str
    status: str  # PRODUCT_FIRST_PASS_REVIEW, PRODUCT_STATUS_CHANGED, PRODUCT_AUDIT_FAILURE
    suspended_reason: str | None = None
    update_time: int | None = None


class SellerDeauthorization(_Payload):
    message: str = ""


class UpcomingAuthorizationExpiration(_Payload):
    message: str = ""
    expiration_time: str | None = None  # a Unix timestamp, sent as a string

    @property
    def expires_at(self) -> int | None:
        return int(self.expiration_time) if self.expiration_time and self.expiration_time.isdigit() else None


class CancellationStatusChange(_Payload):
    order_id: str
    cancel_id: str | None = None
    cancellations_role: str | None = None
    cancel_status: str | None = None
    create_time: int | None = None


class ReturnStatusChange(_Payload):
    order_id: str
    return_id: str | None = None
    return_role: str | None = None
    return_type: str | None = None
    return_status: str | None = None
    create_time: int | None = None
    update_time: int | None = None


class ProductAuditStatusChange(_Payload):
    product_id: str
    audit: dict[str, Any] = {}
    update_time: int | None = None

    @property
    def audit_status(self) -> str | None:
        return self.audit.get("status")


DATA_MODELS: dict[int, type[_Payload]] = {
    ORDER_STATUS_CHANGE: OrderStatusChange,
    PRODUCT_STATUS_CHANGE: ProductStatusChange,
    SELLER_DEAUTHORIZATION: SellerDeauthorization,
    UPCOMING_AUTHORIZATION_EXPIRATION: UpcomingAuthorizationExpiration,
    CANCELLATION_STATUS_CHANGE: CancellationStatusChange,
    RETURN_STATUS_CHANGE: ReturnStatusChange,
    PRODUCT_AUDIT_STATUS_CHANGE: ProductAuditStatusChange,
}


class WebhookEvent(_Payload):
    type: int
    tts_notification_id: str | None = None  # deduplicate on it: delivery is at least once
    shop_id: str | None = None  # the shop id (not the cipher)
    timestamp: int | None = None
    data: Any = None

    @property
    def payload(self) -> _Payload | None:
        """`data` as the typed model of this event type, or None for types we do not model."""
        model = DATA_MODELS.get(self.type)
        return model.model_validate(self.data or {}) if model else None


class InvalidWebhook(ValueError):
    """The body is not a TikTok webhook envelope."""


def parse_event(body: bytes) -> WebhookEvent:
    try:
        raw = strict_json.loads(body)
    except strict_json.InvalidJSON as exc:
        raise InvalidWebhook(str(exc)) from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), int):
        raise InvalidWebhook("missing integer `type`")
    try:
        event = WebhookEvent.model_validate(raw)
        event.payload  # validate the data now, so a bad payload fails here and not later
    except ValidationError as exc:
        raise InvalidWebhook(_first_problem(exc)) from exc
    return event


def _first_problem(error: ValidationError) -> str:
    """One line for the log and the answer, instead of pydantic's multi-line report."""
    problems = error.errors(include_url=False, include_input=False)
    first = problems[0] if problems else {"loc": (), "msg": "invalid"}
    where = ".".join(str(part) for part in first["loc"]) or "body"
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{where}: {first['msg']}{more}"
