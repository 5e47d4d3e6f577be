"""One Etsy Open API v3 request: the app's `x-api-key` (keystring:shared_secret) on every request, the
merchant's bearer token, the shared rate limiter asked first (never waited on), the quota headers read
back, and every failure as a kit error kind.

Etsy counts requests per second and per rolling day for the app. Both are token buckets of
`kit.ratelimit` shared by every worker (Redis when configured, else a SQLite file in the data directory):
a request without a token raises `RateLimited` with when to come back, and the job is queued again
without sleeping. Etsy's own word wins: a 429's `retry-after` holds every request of the app for that long,
and a quota header at zero (`x-remaining-this-second`, `x-remaining-today`) holds them before Etsy has to
refuse one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any, Self

import httpx

from tokbridge.channels.etsy.errors import (
    AuthenticationError,
    EtsyUnavailable,
    NotFound,
    RateLimited,
    Refused,
)
from tokbridge.channels.etsy.settings import EtsySettings
from tokbridge.kit import metrics
from tokbridge.kit.ratelimit import RateLimiter, make_rate_limiter

log = logging.getLogger(__name__)
PLATFORM = "etsy"  # this client's name in the metrics

API_PREFIX = "/v3/application"
# After `x-remaining-today` reached zero: Etsy's day is a sliding window of buckets, so some quota comes
# back within the hour; ask again then.
DAY_EXHAUSTED_WAIT = 15 * 60.0
DEFAULT_RETRY_AFTER = 1.0

QueryValue = str | int | bool | Sequence[str | int] | None


class Limits:
    """The app's two Etsy quotas as shared token buckets: per second (evenly spaced) and per day (a bucket
    of a day's requests, refilled over the day)."""

    def __init__(self, per_second: RateLimiter, per_day: RateLimiter, app: str):
        self.per_second, self.per_day, self.app = per_second, per_day, app

    @property
    def scope(self) -> tuple[str, ...]:
        return ("etsy-app", self.app)

    def admit(self, *, pace_up_to: float = 0.0) -> None:
        """Spend a token of both quotas, or raise `RateLimited` with when to come back. A wait of at most
        `pace_up_to` seconds (the spacing between two requests of the same second) is waited here
        instead: a page of the catalog is several requests, and handing the job back between each of
        them would cost more than the wait."""
        # Etsy's holds (a 429, a quota at zero) are kept as `per_second`'s cool-downs and asked first.
        for name, limiter, scope in (("second", self.per_second, self.scope), ("day", self.per_day, None)):
            admission = limiter.try_acquire(*self.scope, name, cool_down_scope=scope)
            for _ in range(3):
                if admission.allowed or admission.retry_after > pace_up_to:
                    break
                time.sleep(admission.retry_after)
                admission = limiter.try_acquire(*self.scope, name, cool_down_scope=scope)
            if not admission.allowed:
                metrics.rate_limit_wait(PLATFORM, metrics.LOCAL, admission.retry_after)
                raise RateLimited(f"local Etsy rate limit ({name})", retry_after=admission.retry_after)

    def hold(self, seconds: float) -> None:
        self.per_second.cool_down(self.scope, seconds)


_limits: dict[tuple, Limits] = {}
_limits_lock = threading.Lock()


def shared_limits(etsy: EtsySettings, *, redis_url: str | None, sqlite_path: str | None, prefix: str) -> Limits:
    """One `Limits` per process and configuration (the buckets' state lives in Redis or SQLite)."""
    key = (etsy.keystring, etsy.rate_limit_per_second, etsy.rate_limit_per_day, redis_url, sqlite_path, prefix)
    with _limits_lock:
        if key not in _limits:
            per_second = make_rate_limiter(
                etsy.rate_limit_per_second, redis_url=redis_url, sqlite_path=sqlite_path, prefix=prefix
            )
            # A day's requests may go in a burst; the bucket refills at the daily rate.
            per_day = make_rate_limiter(
                etsy.rate_limit_per_day,
                redis_url=redis_url,
                sqlite_path=sqlite_path,
                prefix=prefix,
                burst=etsy.rate_limit_per_day,
                period_seconds=86_400,
            )
            _limits[key] = Limits(per_second, per_day, etsy.keystring or "-")
        return _limits[key]


class EtsyClient:
    """Requests for one connection (its access token) or for the app alone (no token)."""

    def __init__(
        self,
        etsy: EtsySettings,
        access_token: str | None,
        *,
        limits: Limits | None = None,
        http: httpx.Client | None = None,
    ):
        self.etsy = etsy
        self.access_token = access_token
        self.limits = limits
        self.base_url = etsy.api_base_url.rstrip("/")
        self.http = http or httpx.Client(timeout=etsy.request_timeout_seconds)
        self._owns_http = http is None
        # The last quota headers Etsy sent: {"x-limit-per-second": 10, "x-remaining-today": 9990, ...}.
        self.quota: dict[str, int] = {}

    def close(self) -> None:
        if self._owns_http:
            self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def headers(self) -> dict[str, str]:
        headers = {"x-api-key": self.etsy.api_key, "accept": "application/json"}
        if self.access_token:
            headers["authorization"] = f"Bearer {self.access_token}"
        return headers

    def get(self, path: str, query: Mapping[str, QueryValue] | None = None, *, what: str) -> Any:
        return self.request("GET", path, query=query, what=what)

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, QueryValue] | None = None,
        json: Any = None,
        form: Mapping[str, str] | None = None,
        what: str,
        prefix: str = API_PREFIX,
    ) -> Any:
        """Send one request and return its JSON answer; `what` names it in words for errors and logs."""
        if self.limits is not None:
            # Pacing within a second is waited (never more than a second); longer holds go back to the queue.
            self.limits.admit(pace_up_to=min(1.0, 2.0 / max(self.etsy.rate_limit_per_second, 1)))
        params = _params(query or {})
        endpoint = f"{method} {metrics.path_template(prefix + path)}"
        started = time.monotonic()
        try:
            response = self.http.request(
                method, self.base_url + prefix + path, params=params, json=json, data=form, headers=self.headers()
            )
        except httpx.TimeoutException:
            metrics.platform_call(PLATFORM, endpoint, metrics.TIMEOUT, time.monotonic() - started)
            log.warning("etsy %s timed out", what)
            raise EtsyUnavailable(f"Etsy did not answer in time ({what}).", retry_after=5.0) from None
        except httpx.TransportError as exc:
            metrics.platform_call(PLATFORM, endpoint, metrics.UNREACHABLE)
            log.warning("etsy %s connection error: %s", what, type(exc).__name__)
            raise EtsyUnavailable(f"Etsy could not be reached ({what}).", retry_after=5.0) from None
        metrics.platform_call(
            PLATFORM, endpoint, metrics.outcome_of_status(response.status_code), time.monotonic() - started
        )
        self._read_quota(response)
        log.info("etsy %s %s -> %s", method, path, response.status_code)
        if response.status_code < 300:
            return response.json() if response.content else None
        raise self._error(response, what)

    def _read_quota(self, response: httpx.Response) -> None:
        for name in ("x-limit-per-second", "x-remaining-this-second", "x-limit-per-day", "x-remaining-today"):
            value = response.headers.get(name)
            if value is not None and value.strip().lstrip("-").isdigit():
                self.quota[name] = int(value)
        if self.limits is None:
            return
        if response.headers.get("x-remaining-today", "").strip() == "0":
            self.limits.hold(DAY_EXHAUSTED_WAIT)
        elif response.headers.get("x-remaining-this-second", "").strip() == "0":
            self.limits.hold(1.0)

    def _error(self, response: httpx.Response, what: str) -> Exception:
        status = response.status_code
        message = _error_text(response)
        if status == 429:
            retry_after = _seconds(response.headers.get("retry-after"))
            if self.limits is not None:
                self.limits.hold(retry_after)
            metrics.rate_limit_wait(PLATFORM, metrics.PLATFORM, retry_after)
            return RateLimited(f"Etsy asked to slow down ({what}).", retry_after=retry_after)
        if status >= 500:
            return EtsyUnavailable(f"Etsy answered with an error ({what}); it will be tried again.", retry_after=5.0)
        if status == 401:
            return AuthenticationError(
                "Etsy no longer accepts TokBridge's access to this shop; connect the shop again."
            )
        if status == 403:
            return AuthenticationError(
                f"Etsy refused access ({what}): {message}. Connect the shop again "
                "and approve every permission TokBridge asks for."
            )
        if status == 404:
            return NotFound(f"Etsy has no such record ({what}).")
        return Refused(f"Etsy refused this ({what}): {message}", [message])


def _params(query: Mapping[str, QueryValue]) -> tuple[tuple[str, str], ...]:
    """Query parameters as the document's default style spells them (arrays: the name repeated)."""
    params: list[tuple[str, str]] = []
    for name, value in query.items():
        if value is None:
            continue
        if isinstance(value, bool):
            params.append((name, "true" if value else "false"))
        elif isinstance(value, (list, tuple)):
            params.extend((name, str(item)) for item in value)
        else:
            params.append((name, str(value)))
    return tuple(params)  # a tuple, which httpx's types take (they take a list of more kinds of value only)


def _seconds(value: str | None) -> float:
    try:
        return max(float(value), 0.0) if value else DEFAULT_RETRY_AFTER
    except ValueError:
        return DEFAULT_RETRY_AFTER


def _error_text(response: httpx.Response) -> str:
    """Etsy's `error` text (the document's ErrorSchema), short; never the request we sent."""
    try:
        data = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])[:300]
    return f"HTTP {response.status_code}"
