"""The GraphQL Admin API client: one pinned version, httpx, cost-aware throttling, typed errors.

Shopify rate-limits GraphQL with a leaky bucket of cost points per app and shop. Every answer
reports the bucket (`extensions.cost.throttleStatus`); the client remembers it and the cost of
each query, so before a call it can tell whether the bucket holds enough points. If not, it
raises `Throttled(retry_after=...)` for a job layer to reschedule, or, in CLI/bench contexts
created with `wait_when_throttled=True`, waits itself. The same happens when Shopify answers
THROTTLED (HTTP 200) or 429 with a `Retry-After` (which may be fractional).

5xx answers and timeouts are retried a bounded number of times with short backoff, but only for
calls that are safe to repeat: queries, and mutations the caller marks idempotent.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from tokbridge.channels.shopify.errors import (
    AuthenticationError,
    GraphQLError,
    NotFound,
    ShopifyUnavailable,
    ShopifyUnreachable,
    ShopifyValidationError,
    Throttled,
    UserError,
)
from tokbridge.channels.shopify.settings import API_VERSION, get_shopify_settings
from tokbridge.channels.shopify.urls import graphql_url
from tokbridge.kit import metrics

log = logging.getLogger(__name__)
PLATFORM = "shopify"  # this client's name in the metrics
_OPERATION = re.compile(r"^\s*(query|mutation)\b\s*(\w*)")

USER_AGENT = "TokBridge/0.1 (+https://github.com/tokbridge)"
# Shopify's header on an answer to a request that used a deprecated field or argument.
DEPRECATED_HEADER = "X-Shopify-API-Deprecated-Reason"


@dataclass(slots=True)
class CostBucket:
    """Our view of a shop's leaky bucket, refilled at `restore_rate` points per second."""

    maximum: float = 2000.0
    available: float = 2000.0
    restore_rate: float = 100.0
    observed_at: float = 0.0

    def estimate(self, now: float) -> float:
        return min(self.maximum, self.available + max(0.0, now - self.observed_at) * self.restore_rate)

    def wait_for(self, cost: float, now: float) -> float:
        """Seconds until `cost` points are available (0 when they are now)."""
        missing = min(cost, self.maximum) - self.estimate(now)
        # Under a hundredth of a point is float noise. Otherwise wait for one point more than
        # missing: Shopify reports whole points, so the bucket may hold a fraction less than shown.
        return 0.0 if missing <= 0.01 else (missing + 1.0) / self.restore_rate

    def observe(self, status: Mapping[str, Any], now: float) -> None:
        self.maximum = float(status.get("maximumAvailable") or self.maximum)
        self.available = float(status.get("currentlyAvailable", self.available))
        self.restore_rate = float(status.get("restoreRate") or self.restore_rate)
        self.observed_at = now

    def spend(self, cost: float, now: float) -> None:
        self.available = self.estimate(now) - cost
        self.observed_at = now


class ShopifyClient:
    """Calls one shop's GraphQL Admin API with its access token."""

    def __init__(
        self,
        shop: str,
        access_token: str,
        *,
        api_version: str = API_VERSION,
        base_url: str | None = None,
        http: httpx.Client | None = None,
        timeout: float = 30.0,
        max_attempts: int = 5,
        wait_when_throttled: bool = False,
        bucket: CostBucket | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.shop = shop
        self.api_version = api_version
        self.url = graphql_url(shop, api_version, base_url)
        self._token = access_token
        self._owns_http = http is None
        self.http = http or httpx.Client()
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.wait_when_throttled = wait_when_throttled
        self.bucket = bucket or CostBucket()
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        # Requested cost of each query text seen so far: the plan for its next call.
        self._known_costs: dict[str, float] = {}
        self._version_warned = False

    @classmethod
    def from_settings(cls, shop: str, access_token: str, **options) -> ShopifyClient:
        """A client tuned by `SHOPIFY_*` settings (API version, timeout, attempts)."""
        settings = get_shopify_settings()
        options.setdefault("api_version", settings.api_version)
        options.setdefault("timeout", settings.request_timeout_seconds)
        options.setdefault("max_attempts", settings.max_attempts)
        return cls(shop, access_token, **options)

    def close(self) -> None:
        if self._owns_http:
            self.http.close()

    def __enter__(self) -> ShopifyClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- public calls ---------------------------------------------------------------------------

    def query(self, document: str, variables: Mapping[str, Any] | None = None) -> dict:
        """Run a query; returns its `data`."""
        return self._call(document, variables, safe_to_repeat=True)

    def mutate(
        self,
        document: str,
        variables: Mapping[str, Any] | None,
        field: str,
        *,
        idempotent: bool = False,
        user_errors_key: str = "userErrors",
    ) -> dict:
        """Run a mutation; returns `data[field]`, or raises ShopifyValidationError on userErrors."""
        data = self._call(document, variables, safe_to_repeat=idempotent)
        payload = data.get(field)
        if payload is None:
            raise GraphQLError(f"{field} returned nothing")
        errors = payload.get(user_errors_key) or []
        if errors:
            raise ShopifyValidationError(
                field,
                [UserError(field=e.get("field"), message=e.get("message", ""), code=e.get("code")) for e in errors],
            )
        return payload

    def retry_after(self, document: str) -> float:
        """Seconds before `document` can run without being throttled, by our estimate."""
        with self._lock:
            return self.bucket.wait_for(self._known_costs.get(document, 0.0), self._clock())

    # --- the loop -------------------------------------------------------------------------------

    def _call(self, document: str, variables: Mapping[str, Any] | None, *, safe_to_repeat: bool) -> dict:
        attempt = 0
        while True:
            attempt += 1
            try:
                self._plan(document)
                return self._send(document, variables)
            except Throttled as exc:
                # Throttled calls did not run, so they can always be repeated.
                if not self.wait_when_throttled or attempt >= self.max_attempts * 4:
                    raise
                self._sleep(exc.retry_after if exc.retry_after is not None else 1.0)
            except ShopifyUnavailable as exc:
                # A request that never reached Shopify can be repeated even if it is a mutation.
                repeatable = safe_to_repeat or isinstance(exc, ShopifyUnreachable)
                if not repeatable or attempt >= self.max_attempts:
                    raise
                self._sleep(min(0.1 * 2 ** (attempt - 1), 2.0))

    def _plan(self, document: str) -> None:
        wait = self.retry_after(document)
        if wait > 0:
            metrics.rate_limit_wait(PLATFORM, metrics.LOCAL, wait)
            raise Throttled(f"cost bucket of {self.shop} needs {wait:.2f}s to refill", retry_after=wait)

    def _send(self, document: str, variables: Mapping[str, Any] | None) -> dict:
        headers = {
            "X-Shopify-Access-Token": self._token,
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        body = {"query": document, "variables": dict(variables or {})}
        operation = operation_name(document)
        started = time.monotonic()
        try:
            response = self.http.post(self.url, json=body, headers=headers, timeout=self.timeout)
        except httpx.ConnectError as exc:
            metrics.platform_call(PLATFORM, operation, metrics.UNREACHABLE)
            raise ShopifyUnreachable(f"cannot connect to {self.shop}: {exc}", retry_after=5.0) from None
        except httpx.TimeoutException:
            metrics.platform_call(PLATFORM, operation, metrics.TIMEOUT, time.monotonic() - started)
            raise ShopifyUnavailable(f"{self.shop} did not answer within {self.timeout}s", retry_after=5.0) from None
        except httpx.TransportError as exc:
            metrics.platform_call(PLATFORM, operation, metrics.UNREACHABLE)
            raise ShopifyUnavailable(f"transport error talking to {self.shop}: {type(exc).__name__}") from None
        elapsed = time.monotonic() - started
        try:
            data = self._read(document, response)
        except Throttled as exc:  # a 429, or THROTTLED in a 200
            metrics.platform_call(PLATFORM, operation, metrics.RATE_LIMITED, elapsed)
            metrics.rate_limit_wait(PLATFORM, metrics.PLATFORM, exc.retry_after)
            raise
        except Exception:
            status = response.status_code if response.status_code >= 400 else 400  # GraphQL errors in a 200
            metrics.platform_call(PLATFORM, operation, metrics.outcome_of_status(status), elapsed)
            raise
        metrics.platform_call(PLATFORM, operation, metrics.OK, elapsed)
        return data

    def _read(self, document: str, response: httpx.Response) -> dict:
        status = response.status_code
        if status == 429:
            raise Throttled(f"{self.shop} answered 429", retry_after=parse_retry_after(response.headers))
        if status in (401, 403):
            raise AuthenticationError(f"{self.shop} refused the access token ({status})")
        if status == 404:
            raise NotFound(f"{self.url} not found (unknown shop or API version)")
        if status >= 500:
            raise ShopifyUnavailable(
                f"{self.shop} answered {status}", retry_after=parse_retry_after(response.headers, default=5.0)
            )
        try:
            payload = response.json()
        except ValueError:
            raise GraphQLError(f"{self.shop} answered {status} with a body that is not JSON") from None
        if status != 200:
            raise GraphQLError(f"{self.shop} answered {status}", _errors_of(payload))
        served = response.headers.get("X-Shopify-API-Version")
        if served and served != self.api_version and not self._version_warned:
            # Shopify answers an unsupported version with its oldest supported one, silently.
            self._version_warned = True
            log.warning("Shopify served API version %s instead of %s for %s", served, self.api_version, self.shop)
        if response.headers.get(DEPRECATED_HEADER):
            # Still answered, but the field or argument goes away in a later version: worth fixing now.
            log.warning(
                "Shopify says a request to %s used something deprecated (%s): %s",
                self.shop,
                response.headers[DEPRECATED_HEADER],
                " ".join(document.split())[:200],
            )
        cost = (payload.get("extensions") or {}).get("cost") or {}
        self._observe(document, cost)
        errors = _errors_of(payload)
        if any((e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors):
            raise Throttled(f"{self.shop} answered THROTTLED", retry_after=self._throttled_wait(cost))
        if errors:
            messages = "; ".join(str(e.get("message", "")) for e in errors)[:500]
            raise GraphQLError(f"GraphQL errors: {messages}", errors)
        data = payload.get("data")
        if not isinstance(data, dict):
            raise GraphQLError("answer has no data")
        return data

    def _observe(self, document: str, cost: Mapping[str, Any]) -> None:
        now = self._clock()
        with self._lock:
            requested = cost.get("requestedQueryCost")
            if requested is not None:
                self._known_costs[document] = float(requested)
            throttle = cost.get("throttleStatus")
            if throttle:
                self.bucket.observe(throttle, now)
            elif requested is not None:
                self.bucket.spend(float(cost.get("actualQueryCost") or requested), now)

    def _throttled_wait(self, cost: Mapping[str, Any]) -> float:
        status = cost.get("throttleStatus") or {}
        requested = float(cost.get("requestedQueryCost") or 0.0)
        available = float(status.get("currentlyAvailable", 0.0))
        rate = float(status.get("restoreRate") or self.bucket.restore_rate)
        return max(requested - available, 0.0) / rate + 1.0 / rate


def operation_name(document: str) -> str:
    """`query ProductsPage(...)` -> "query ProductsPage": the endpoint of a GraphQL call, for the metrics."""
    found = _OPERATION.match(document)
    if found is None:
        return "query"  # GraphQL's shorthand `{ ... }`
    return " ".join(part for part in found.groups() if part)


def parse_retry_after(headers: Mapping[str, str], default: float = 1.0) -> float:
    """`Retry-After` in seconds; Shopify sends fractional values such as "2.0" or "0.1"."""
    raw = headers.get("Retry-After")
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        return default
    return value if value >= 0 else default


def _errors_of(payload: Any) -> list[dict]:
    if not isinstance(payload, dict):
        return []
    errors = payload.get("errors")
    if isinstance(errors, list):
        return [e if isinstance(e, dict) else {"message": str(e)} for e in errors]
    if isinstance(errors, (str, dict)):
        return [{"message": str(errors)}]
    return []
