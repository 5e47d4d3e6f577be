"""TikTok's `{code, message, request_id, data}` error envelope as exceptions.

TikTokError                      every failure; carries `code`, `message`, `request_id`, `http_status`
├── RetryableError               try again later (`retry_after` seconds, None = caller's backoff)
│   ├── RateLimited              our own limiter or TikTok's 429 / 36009002
│   └── (5xx, 36009003, 36009007, timeouts, connection errors)
├── AuthorizationError           the seller or the app must act
│   ├── TokenExpiredError        105002: refresh the token, then repeat once
│   ├── InvalidTokenError        101000, 36004001/36004005 on the auth host
│   ├── SignatureError           106001: wrong app secret or a body changed after signing
│   └── ScopeError               105005: the app lacks the API package
└── ValidationError              TikTok rejected the request itself; keeps the field and message
"""

from __future__ import annotations

import re
from typing import Any

from tokbridge.kit import errors as kit_errors

# Codes from TikTok's common-errors page and the endpoint specs.
TOO_MANY_REQUESTS = 36009002
INTERNAL_ERROR = 36009003
REQUEST_TIMEOUT = 36009007
TOKEN_EXPIRED = 105002
INVALID_TOKEN = 101000
MISSING_SCOPE = 105005
INVALID_SIGNATURE = 106001
AUTH_RECORD_NOT_FOUND = 36004005
REFRESH_TOKEN_EXPIRED = 36004001

RETRYABLE_CODES = frozenset({TOO_MANY_REQUESTS, INTERNAL_ERROR, REQUEST_TIMEOUT})


class TikTokError(kit_errors.ChannelError):
    platform = "TikTok"
    account = "shop"

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        request_id: str | None = None,
        http_status: int | None = None,
        data: Any = None,
    ):
        super().__init__(message)
        self.message = message
        self.code = code
        self.request_id = request_id
        self.http_status = http_status
        self.data = data

    def __str__(self) -> str:
        parts = [self.message]
        if self.code is not None:
            parts.append(f"code={self.code}")
        if self.request_id:
            parts.append(f"request_id={self.request_id}")
        return " ".join(parts)


class RetryableError(TikTokError, kit_errors.RetryableError):
    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class RateLimited(RetryableError):
    """Too many requests: the job layer reschedules after `retry_after` seconds; nobody sleeps."""

    consumes_attempt = False  # waiting our turn is not a failure
    waiting_for = "its turn under the rate limit"

    def __init__(self, message: str = "rate limited", *, retry_after: float, **kwargs: Any):
        super().__init__(message, retry_after=retry_after, **kwargs)


class AuthorizationError(TikTokError, kit_errors.NeedsReconnect):
    """The shop's authorization is not usable (after the client's own one refresh): reconnect."""


class TokenExpiredError(AuthorizationError):
    pass


class InvalidTokenError(AuthorizationError):
    pass


class SignatureError(AuthorizationError):
    pass


class ScopeError(AuthorizationError):
    pass


class ValidationError(TikTokError, kit_errors.RefusedWithFix):
    """TikTok refused the request's content. `field` is TikTok's field path when it names one."""

    def __init__(self, message: str, *, field: str | None = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.field = field

    @property
    def reasons(self) -> list[str]:
        return [self.message]


_AUTH_CLASSES: dict[int, type[AuthorizationError]] = {
    TOKEN_EXPIRED: TokenExpiredError,
    INVALID_TOKEN: InvalidTokenError,
    AUTH_RECORD_NOT_FOUND: InvalidTokenError,
    REFRESH_TOKEN_EXPIRED: InvalidTokenError,
    INVALID_SIGNATURE: SignatureError,
    MISSING_SCOPE: ScopeError,
}

# TikTok names fields in messages such as "param body.address is missing" or
# "`pre_sale.fulfillment_type` is missing or empty".
_DOTTED_FIELD = re.compile(r"\b((?:body|query|path)\.[\w.\[\]]+)")
_QUOTED_FIELD = re.compile(r"`([\w.\[\]]+)`")


# Product errors do not name a field, but each code is about exactly one (its docs message says
# which): the connector can point the merchant at the right input.
FIELD_OF_CODE: dict[int, str] = {
    12052261: "title",
    12052051: "title",
    12052931: "title",
    12052015: "description",
    12052013: "description",
    12052932: "description",
    12052002: "category_id",
    12052023: "category_id",
    12052024: "category_id",
    12052230: "category_id",
    12052217: "category_version",
    12052026: "brand_id",
    12052201: "brand_id",
    12052028: "main_images",
    12052300: "main_images",
    12052306: "main_images",
    12052722: "main_images",
    12019011: "package_weight",
    12052181: "package_weight",
    12052915: "package_weight.unit",
    12052116: "package_dimensions",
    12052104: "product_attributes",
    12052241: "product_attributes",
    12052248: "product_attributes",
    12052254: "product_attributes",
    12052529: "product_attributes",
    12052247: "product_attributes",
    12052105: "certifications",
    12052650: "certifications",
    12052655: "certifications",
    12052670: "size_chart",
    12052902: "skus",
    12052050: "skus",
    12052054: "skus.seller_sku",
    12052012: "skus.price",
    12052073: "skus.price",
    12052570: "skus.price",
    12052092: "skus.price.sale_price",
    12052084: "skus.price.currency",
    12052055: "skus.inventory.quantity",
    12019024: "skus.inventory.quantity",
    12019022: "skus.inventory.warehouse_id",
    12052097: "skus.inventory.warehouse_id",
    12052531: "skus.inventory.warehouse_id",
    12052532: "skus.inventory.warehouse_id",
    12052525: "skus.sales_attributes",
    12052527: "skus.sales_attributes",
    12052550: "skus.sales_attributes",
    12052560: "skus.sales_attributes",
    12052520: "skus.sales_attributes.sku_img",
    12052996: "external_product_id",
}


def field_from(message: str, data: Any, code: int | None = None) -> str | None:
    """The field an error is about: `data.field` when TikTok sends one, else named in the message,
    else the one field the error code is about."""
    if isinstance(data, dict):
        for key in ("field", "param", "field_name"):
            if isinstance(data.get(key), str) and data[key]:
                return data[key]
    for pattern in (_DOTTED_FIELD, _QUOTED_FIELD):
        match = pattern.search(message or "")
        if match:
            return match.group(1)
    return FIELD_OF_CODE.get(code) if code is not None else None


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None  # an HTTP-date: TikTok sends seconds; let the caller's backoff decide
    return max(0.0, seconds)


def error_from_response(
    http_status: int,
    envelope: dict[str, Any] | None,
    *,
    retry_after_header: str | None = None,
    default_retry_after: float = 1.0,
) -> TikTokError:
    """Map one failed response (HTTP status + decoded envelope, if any) to the right exception."""
    envelope = envelope or {}
    raw_code = envelope.get("code")
    code = raw_code if isinstance(raw_code, int) else None
    message = str(envelope.get("message") or f"HTTP {http_status}")
    common = {
        "code": code,
        "request_id": envelope.get("request_id"),
        "http_status": http_status,
        "data": envelope.get("data"),
    }

    if http_status == 429 or code == TOO_MANY_REQUESTS:
        retry_after = parse_retry_after(retry_after_header)
        return RateLimited(
            message, retry_after=retry_after if retry_after is not None else default_retry_after, **common
        )
    if http_status >= 500 or code in RETRYABLE_CODES:
        return RetryableError(message, retry_after=parse_retry_after(retry_after_header), **common)
    if code in _AUTH_CLASSES or http_status in (401, 403):
        authorization = _AUTH_CLASSES.get(code, AuthorizationError) if code is not None else AuthorizationError
        return authorization(
            message,
            code=code,
            request_id=envelope.get("request_id"),
            http_status=http_status,
            data=envelope.get("data"),
        )
    return ValidationError(message, field=field_from(message, envelope.get("data"), code), **common)
