"""One signed request to the TikTok Shop Open API, and its answer turned into data or an error.

Every request: the rate limiter is asked first (never waited on), `app_key` and `timestamp` go
in the query, the JSON body is serialised once and those exact bytes are both signed and sent,
the access token travels in the `x-tts-access-token` header, and a timeout applies. Logs carry
the path, outcome and TikTok's `request_id`; never a token, secret or signature.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from tokbridge.channels.tiktok.errors import (
    RateLimited,
    RetryableError,
    TikTokError,
    ValidationError,
    error_from_response,
)
from tokbridge.channels.tiktok.settings import TikTokAppSettings
from tokbridge.channels.tiktok.signing import sign
from tokbridge.kit import metrics
from tokbridge.kit.ratelimit import RateLimiter, make_rate_limiter

logger = logging.getLogger("tokbridge.tiktok")
PLATFORM = "tiktok"  # this client's name in the metrics

QueryValue = str | int | bool | list[str] | None


@dataclass(frozen=True)
class Endpoint:
    """An API operation: method, path template and whether it takes `shop_cipher`."""

    method: str
    path: str  # e.g. "/product/202309/products/{product_id}"
    shop_scoped: bool = True

    def format(self, **path_params: str) -> str:
        return self.path.format(**{key: _path_segment(value) for key, value in path_params.items()})

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _path_segment(value: str) -> str:
    value = str(value)
    # Ids are digits or short tokens; refuse anything that could change the path, or that TikTok would
    # refuse anyway, before sending (a validation error: a page answers 422, a job fails for good).
    if not _ID.fullmatch(value):
        shown = value if len(value) <= 40 and value.isprintable() else value[:40].encode("unicode_escape").decode()
        raise ValidationError(f"“{shown}” is not a TikTok id: ids are letters, digits, - and _ only.")
    return value


def encode_query_value(value: QueryValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(item) for item in value)  # TikTok takes lists comma-joined
    return str(value)


def encode_body(body: Mapping[str, Any]) -> bytes:
    """The one serialisation of a JSON body: compact, UTF-8, signed and sent as is."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


class SignedTransport:
    def __init__(
        self,
        app: TikTokAppSettings,
        base_url: str,
        *,
        limiter: RateLimiter | None = None,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.app = app
        self.base_url = base_url.rstrip("/")
        self.limiter = limiter
        self.clock = clock
        self.http = http or httpx.Client(
            timeout=httpx.Timeout(app.timeout_seconds, connect=app.connect_timeout_seconds)
        )

    def close(self) -> None:
        self.http.close()

    def call(
        self,
        endpoint: Endpoint,
        *,
        access_token: str,
        shop_id: str | None = None,
        shop_cipher: str | None = None,
        path_params: Mapping[str, str] | None = None,
        query: Mapping[str, QueryValue] | None = None,
        body: Mapping[str, Any] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        form: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Send one request; return the envelope's `data` (a dict, maybe empty) or raise TikTokError."""
        path = endpoint.format(**(path_params or {}))  # an id TikTok would refuse costs no token
        self._ask_limiter(endpoint, shop_id)

        params = {key: encode_query_value(value) for key, value in (query or {}).items() if value is not None}
        params["app_key"] = self.app.app_key
        params["timestamp"] = str(int(self.clock()))
        if endpoint.shop_scoped:
            if not shop_cipher:
                raise ValueError(f"{endpoint.name} needs the shop's cipher")
            params["shop_cipher"] = shop_cipher

        headers = {"x-tts-access-token": access_token}
        content: bytes | None = None
        if files is not None:
            # Multipart: httpx writes the form; the signature leaves the body out, as TikTok says.
            signed_body = b""
        else:
            content = encode_body(body) if body is not None else None
            signed_body = content or b""
            headers["content-type"] = "application/json"
        params["sign"] = sign(self.app.app_secret.get_secret_value(), path, params, signed_body)

        started = time.monotonic()
        try:
            response = self.http.request(
                endpoint.method,
                self.base_url + path,
                params=params,
                headers=headers,
                content=content,
                files=files,
                data=form,
            )
        except httpx.TimeoutException as exc:
            metrics.platform_call(PLATFORM, endpoint.name, metrics.TIMEOUT, time.monotonic() - started)
            logger.warning("tiktok %s timed out after %.1fs", endpoint.name, time.monotonic() - started)
            raise RetryableError(f"timeout calling {endpoint.name}") from exc
        except httpx.TransportError as exc:
            metrics.platform_call(PLATFORM, endpoint.name, metrics.UNREACHABLE)
            logger.warning("tiktok %s connection error: %s", endpoint.name, type(exc).__name__)
            raise RetryableError(f"connection error calling {endpoint.name}: {type(exc).__name__}") from exc
        return self._unwrap(endpoint, shop_id, response, time.monotonic() - started)

    def _ask_limiter(self, endpoint: Endpoint, shop_id: str | None) -> None:
        if self.limiter is None:
            return
        shop_key = shop_id or "-"
        admission = self.limiter.try_acquire(
            self.app.app_key, shop_key, endpoint.name, cool_down_scope=(self.app.app_key, shop_key)
        )
        if not admission.allowed:
            metrics.rate_limit_wait(PLATFORM, metrics.LOCAL, admission.retry_after)
            raise RateLimited(f"local rate limit for {endpoint.name}", retry_after=admission.retry_after)

    def _unwrap(
        self, endpoint: Endpoint, shop_id: str | None, response: httpx.Response, elapsed: float
    ) -> dict[str, Any]:
        envelope = decode_envelope(response)
        code = envelope.get("code") if envelope else None
        request_id = envelope.get("request_id") if envelope else None
        logger.info(
            "tiktok %s -> %s code=%s request_id=%s %.0fms",
            endpoint.name,
            response.status_code,
            code,
            request_id,
            elapsed * 1000,
        )
        if response.status_code == 200 and envelope is not None and code == 0:
            metrics.platform_call(PLATFORM, endpoint.name, metrics.OK, elapsed)
            data = envelope.get("data")
            return data if isinstance(data, dict) else {}
        error = error_from_response(
            response.status_code,
            envelope,
            retry_after_header=response.headers.get("retry-after"),
            default_retry_after=self.app.default_retry_after_seconds,
        )
        if isinstance(error, RateLimited):
            metrics.platform_call(PLATFORM, endpoint.name, metrics.RATE_LIMITED, elapsed)
            metrics.rate_limit_wait(PLATFORM, metrics.PLATFORM, error.retry_after)
        elif isinstance(error, RetryableError):  # TikTok's passing trouble, whatever the HTTP status
            metrics.platform_call(PLATFORM, endpoint.name, metrics.SERVER_ERROR, elapsed)
        else:  # refused as sent (an error code in a 200 envelope too)
            status = response.status_code if response.status_code >= 400 else 400
            metrics.platform_call(PLATFORM, endpoint.name, metrics.outcome_of_status(status), elapsed)
        if isinstance(error, RateLimited) and self.limiter is not None:
            # TikTok counts per app and shop: hold the whole shop, not just this endpoint.
            self.limiter.cool_down((self.app.app_key, shop_id or "-"), error.retry_after or 0)
        if envelope is None and not isinstance(error, RetryableError):
            error = TikTokError(
                f"unexpected non-JSON answer (HTTP {response.status_code})", http_status=response.status_code
            )
        raise error


def make_limiter(app: TikTokAppSettings, settings: Any) -> RateLimiter:
    """The limiter every worker shares: Redis when `settings.redis_url` is set, else a SQLite file
    in the data directory (shared by the processes of this host). `settings` is `tokbridge.config.Settings`."""
    if settings.redis_url:
        return make_rate_limiter(
            app.rate_limit_per_second,
            burst=app.rate_limit_burst,
            redis_url=settings.redis_url,
            prefix=settings.queue_name,
        )
    return make_rate_limiter(
        app.rate_limit_per_second, burst=app.rate_limit_burst, sqlite_path=settings.data_dir / "ratelimit.sqlite"
    )


def decode_envelope(response: httpx.Response) -> dict[str, Any] | None:
    try:
        envelope = response.json()
    except ValueError:
        return None
    return envelope if isinstance(envelope, dict) else None


# httpx logs every request line at INFO, query string included. The auth endpoints carry the app
# secret, codes and refresh tokens in the query (TikTok's design), so scrub those values.
_SECRET_QUERY_VALUE = re.compile(r"((?:app_secret|refresh_token|auth_code|access_token|sign)=)[^&\s\"']+")


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(_redact(arg) for arg in record.args) if isinstance(record.args, tuple) else record.args
        record.msg = _redact(record.msg)
        return True


def _redact(value: Any) -> Any:
    text = str(value) if isinstance(value, httpx.URL) else value
    if isinstance(text, str):
        return _SECRET_QUERY_VALUE.sub(r"\1[redacted]", text)
    return value


def install_log_redaction() -> None:
    for name in ("httpx", "httpcore"):
        target = logging.getLogger(name)
        if not any(isinstance(existing, RedactSecretsFilter) for existing in target.filters):
            target.addFilter(RedactSecretsFilter())


install_log_redaction()
