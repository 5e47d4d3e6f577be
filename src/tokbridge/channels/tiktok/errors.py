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


class TikTokError(Exception):
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


class RetryableError(TikTokError):
    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class RateLimited(RetryableError):
    """Too many requests: the job layer reschedules after `retry_after` seconds; nobody sleeps."""

    def __init__(self, message: str = "rate limited", *, retry_after: float, **kwargs: Any):
        super().__init__(message, retry_after=retry_after, **kwargs)


class AuthorizationError(TikTokError):
    pass


class TokenExpiredError(AuthorizationError):
    pass


class InvalidTokenError(AuthorizationError):
    pass


class SignatureError(AuthorizationError):
    pass


class ScopeError(AuthorizationError):
    pass


class ValidationError(TikTokError):
    """TikTok refused the request's content. `field` is TikTok's field path when it names one."""

    def __init__(self, message: str, *, field: str | None = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.field = field


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


def field_from(message: str, data: Any) -> str | None:
    """The field an error is about: `data.field` when TikTok sends one, else named in the message."""
    if isinstance(data, dict):
        for key in ("field", "param", "field_name"):
            if isinstance(data.get(key), str) and data[key]:
                return data[key]
    for pattern in (_DOTTED_FIELD, _QUOTED_FIELD):
        match = pattern.search(message or "")
        if match:
            return match.group(1)
    return None


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
    common = {"code": code, "request_id": envelope.get("request_id"), "http_status": http_status, "data": envelope.get("data")}

    if http_status == 429 or code == TOO_MANY_REQUESTS:
        retry_after = parse_retry_after(retry_after_header)
        return RateLimited(message, retry_after=retry_after if retry_after is not None else default_retry_after, **common)
    if http_status >= 500 or code in RETRYABLE_CODES:
        return RetryableError(message, retry_after=parse_retry_after(retry_after_header), **common)
    if code in _AUTH_CLASSES:
        return _AUTH_CLASSES[code](message, **common)
    if http_status in (401, 403):
        return AuthorizationError(message, **common)
    return ValidationError(message, field=field_from(message, envelope.get("data")), **common)
