"""The sandbox's state: the seller, the shop and its listings, OAuth grants, the app's quotas.

Everything is in memory behind one lock; `Sandbox` is `app.state.sandbox`.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from tokbridge_sandboxes.clock import SandboxClock

from .catalog import Ids, generate_catalog, generate_listing, processing_profiles, shipping_profiles
from .config import ALL_SCOPES, SandboxConfig
from .model import Listing
from .webhooks import WebhookDispatcher

DAY = 24 * 3600
BUCKET_SECONDS = 3600  # the daily quota is a sliding window of 24 one-hour buckets


@dataclass
class AuthCode:
    code: str
    user_id: int
    scopes: frozenset[str]
    redirect_uri: str
    code_challenge: str
    expires_at: float


@dataclass
class Grant:
    access_token: str
    refresh_token: str
    user_id: int
    scopes: frozenset[str]
    expires_at: float
    refresh_expires_at: float


class RateLimiter:
    """Etsy's per-app limits: requests in the current second, and in a sliding 24 hours."""

    def __init__(self, per_second: int, per_day: int) -> None:
        self.per_second = per_second
        self.per_day = per_day
        self._second = -1
        self._second_count = 0
        self._buckets: dict[int, int] = {}

    def _day_used(self, now: float) -> int:
        oldest = int(now // BUCKET_SECONDS) - (DAY // BUCKET_SECONDS) + 1
        for bucket in [b for b in self._buckets if b < oldest]:
            del self._buckets[bucket]
        return sum(self._buckets.values())

    def take(self, now: float) -> tuple[bool, dict[str, str], int]:
        """(allowed, headers, retry_after seconds)."""
        second = int(now)
        if second != self._second:
            self._second, self._second_count = second, 0
        used_today = self._day_used(now)
        if used_today >= self.per_day:
            oldest = min(self._buckets) if self._buckets else int(now // BUCKET_SECONDS)
            retry = max(1, int((oldest + DAY // BUCKET_SECONDS) * BUCKET_SECONDS - now) + 1)
            return False, {}, retry
        if self._second_count >= self.per_second:
            return False, {}, 1
        self._second_count += 1
        bucket = int(now // BUCKET_SECONDS)
        self._buckets[bucket] = self._buckets.get(bucket, 0) + 1
        headers = {
            "x-limit-per-second": str(self.per_second),
            "x-remaining-this-second": str(self.per_second - self._second_count),
            "x-limit-per-day": str(self.per_day),
            "x-remaining-today": str(max(0, self.per_day - used_today - 1)),
        }
        return True, headers, 0

    def reset_day(self) -> None:
        self._buckets.clear()

    def state(self, now: float) -> dict:
        return {
            "per_second": self.per_second,
            "per_day": self.per_day,
            "used_today": self._day_used(now),
            "remaining_today": max(0, self.per_day - self._day_used(now)),
        }


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class Sandbox:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        # Whole seconds when frozen: Etsy's timestamps are integers, and a frozen clock is compared exactly.
        self.clock = SandboxClock(
            frozen=config.frozen_clock, start=float(int(time.time())) if config.frozen_clock else None
        )
        self.lock = threading.RLock()
        self.profiles = processing_profiles()
        self.shipping = shipping_profiles()
        self.limiter = RateLimiter(config.rate_limit_per_second, config.rate_limit_per_day)
        self.webhooks = WebhookDispatcher(config, self.clock)
        self.codes: dict[str, AuthCode] = {}
        self.grants: dict[str, Grant] = {}  # by access token
        self.refresh: dict[str, Grant] = {}  # by live refresh token
        self.revoked_refresh: set[str] = set()
        # Scripted faults for tests: per "METHOD path template", what the next calls answer ("ok" or a 5xx).
        self.faults: dict[str, list[str]] = {}
        self.seed(config.catalog_size, config.catalog_seed)
        self.bootstrap: Grant | None = None
        if config.bootstrap_token:
            self.bootstrap = self.issue_grant(
                frozenset(ALL_SCOPES),
                access_token=config.bootstrap_access_token,
                refresh_token=config.bootstrap_refresh_token,
            )

    def next_fault(self, operation: str) -> int | None:
        """The status a scripted fault answers this call of `operation` with; None: run it."""
        with self.lock:
            script = self.faults.get(operation)
            if not script:
                return None
            step = script.pop(0)
            return None if step == "ok" else int(step)

    # -- catalog -------------------------------------------------------------------------------------
    def seed(self, size: int, seed: int) -> None:
        with self.lock:
            self.ids = Ids()
            self.catalog_seed = seed
            self.listings: OrderedDict[int, Listing] = OrderedDict(
                (listing.listing_id, listing) for listing in generate_catalog(size, seed, self.ids, self.profiles)
            )

    def add_listing(self, state: str | None = None) -> Listing:
        import random

        with self.lock:
            rng = random.Random(f"{self.catalog_seed}:{len(self.listings)}")
            listing = generate_listing(rng, self.ids, len(self.listings), self.profiles, state=state)
            now = self.clock.now_int()
            listing.created = listing.updated = listing.state_ts = now
            for image in listing.images:
                image.created = now
            self.listings[listing.listing_id] = listing
            return listing

    def readiness_state_ids(self) -> set[int]:
        return {p.readiness_state_id for p in self.profiles}

    def touch(self, listing: Listing) -> None:
        listing.updated = max(listing.updated + 1, self.clock.now_int())

    def settle_state(self, listing: Listing) -> None:
        """Stock decides between active and sold_out; other states stay as they are."""
        quantity = listing.quantity()
        if listing.state == "active" and quantity == 0:
            listing.state, listing.state_ts = "sold_out", self.clock.now_int()
        elif listing.state == "sold_out" and quantity > 0:
            listing.state, listing.state_ts = "active", self.clock.now_int()

    # -- OAuth -----------------------------------------------------------------------------------------
    def issue_code(self, scopes: frozenset[str], redirect_uri: str, challenge: str) -> str:
        with self.lock:
            code = secrets.token_urlsafe(48)
            self.codes[code] = AuthCode(
                code,
                self.config.user_id,
                scopes,
                redirect_uri,
                challenge,
                self.clock.now() + self.config.auth_code_ttl_seconds,
            )
            return code

    def issue_grant(
        self,
        scopes: frozenset[str],
        *,
        access_token: str | None = None,
        refresh_token: str | None = None,
        user_id: int | None = None,
    ) -> Grant:
        with self.lock:
            uid = user_id or self.config.user_id
            now = self.clock.now()
            grant = Grant(
                access_token or f"{uid}.{secrets.token_urlsafe(64)}",
                refresh_token or f"{uid}.{secrets.token_urlsafe(64)}",
                uid,
                scopes,
                now + self.config.access_token_ttl_seconds,
                now + self.config.refresh_token_ttl_seconds,
            )
            self.grants[grant.access_token] = grant
            self.refresh[grant.refresh_token] = grant
            return grant

    def rotate(self, refresh_token: str) -> tuple[Grant | None, str]:
        """A new pair for a live refresh token, which stops working; else (None, Etsy's reason)."""
        with self.lock:
            grant = self.refresh.get(refresh_token)
            if grant is None:
                return (
                    None,
                    "refresh_token is revoked" if refresh_token in self.revoked_refresh else "refresh_token is invalid",
                )
            if self.clock.now() >= grant.refresh_expires_at:
                return None, "refresh_token is expired"
            del self.refresh[refresh_token]
            self.revoked_refresh.add(refresh_token)
            return self.issue_grant(grant.scopes, user_id=grant.user_id), ""

    # -- control -----------------------------------------------------------------------------------------
    def state(self) -> dict:
        with self.lock:
            counts: dict[str, int] = {}
            for listing in self.listings.values():
                counts[listing.state] = counts.get(listing.state, 0) + 1
            boot = self.bootstrap
            return {
                "keystring": self.config.keystring,
                "shared_secret": self.config.shared_secret,
                "x_api_key": f"{self.config.keystring}:{self.config.shared_secret}",
                "application_id": self.config.application_id,
                "user_id": self.config.user_id,
                "shop_id": self.config.shop_id,
                "shop_name": self.config.shop_name,
                "listings": len(self.listings),
                "listings_by_state": counts,
                "catalog_seed": self.catalog_seed,
                "processing_profiles": [p.readiness_state_id for p in self.profiles],
                "shipping_profiles": [p.shipping_profile_id for p in self.shipping],
                "bootstrap": None
                if boot is None
                else {
                    "access_token": boot.access_token,
                    "refresh_token": boot.refresh_token,
                    "scopes": sorted(boot.scopes),
                    "expires_at": int(boot.expires_at),
                },
                "quota": self.limiter.state(self.clock.now()),
                "clock": self.clock.now(),
                "frozen_clock": self.clock.frozen,
                "webhooks": self.webhooks.settings(),
            }

    def close(self) -> None:
        self.webhooks.close()
