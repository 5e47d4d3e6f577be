"""The whole sandbox: shops, the app's credentials and tokens, buckets, webhooks, bulk runs, faults."""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import secrets
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from urllib.parse import urlencode

from . import billing, payloads
from .bulk import BulkRunner
from .catalog import Catalog
from .clock import SandboxClock, iso
from .config import SandboxConfig
from .cost import LeakyBucket
from .graphql_api import build_admin_schema
from .models import BulkOperation
from .store import ShopStore
from .webhooks import WebhookDispatcher

AUTHORIZATION_CODE_TTL = 600


def sign_query(params: dict[str, str], secret: str) -> str:
    """Shopify's OAuth `hmac`: hex HMAC-SHA256 of the sorted, form-encoded query without `hmac`/`signature`."""
    message = urlencode(sorted((k, v) for k, v in params.items() if k not in {"hmac", "signature"}))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


@dataclass
class Grant:
    """An access token the sandbox issued."""

    token: str
    shop: str
    scopes: frozenset[str]
    expires_at: float | None = None
    refresh_token: str | None = None
    refresh_expires_at: float | None = None
    # The refresh token this grant replaced; it stays valid until this grant's token is first used.
    replaced_refresh_token: str | None = None


@dataclass
class AuthorizationCode:
    shop: str
    scopes: frozenset[str]
    expires_at: float


# Writes whose lost answer tempts a caller to repeat them: an order, stock changes.
ANSWER_FAULT_FIELDS = ("orderCreate", "inventorySetQuantities", "inventoryAdjustQuantities")
ANSWER_FAULT_KINDS = ("drop_answer", "delay_answer", "timeout_answer")


@dataclass
class Faults:
    """Failures injected into Admin API calls: a script of the next answers, then random rates."""

    script: list[str] = field(default_factory=list)  # "500", "502", "503", "429", "timeout"
    error_rate: float = 0.0
    error_status: int = 503
    throttle_rate: float = 0.0
    retry_after: str = "1.0"
    timeout_rate: float = 0.0
    timeout_seconds: float = 10.0
    # Answer faults strike after a mutation of `answer_fault_fields` ran: it took effect, but its answer
    # is lost (502), never comes (timeout_seconds, then 504) or comes late (delay_seconds).
    answer_script: list[str] = field(default_factory=list)  # "drop_answer", "delay_answer", "timeout_answer", "ok"
    drop_answer_rate: float = 0.0
    delay_answer_rate: float = 0.0
    timeout_answer_rate: float = 0.0
    delay_seconds: float = 2.0
    answer_fault_fields: list[str] = field(default_factory=lambda: list(ANSWER_FAULT_FIELDS))
    seed: int | None = None  # given: the random faults start again from this seed


class Sandbox:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.clock = SandboxClock(frozen=config.frozen_clock)
        self.schema = build_admin_schema()
        self.webhooks = WebhookDispatcher(config, self.clock)
        self._results = tempfile.mkdtemp(prefix="shopify-sandbox-bulk-") if not config.bulk_results_dir else None
        self.bulk = BulkRunner(
            self.schema, config.bulk_results_dir or self._results, self._bulk_finished, config.bulk_parallel_from
        )
        self.shops: dict[str, ShopStore] = {}
        self.buckets: dict[str, LeakyBucket] = {}
        self.grants: dict[str, Grant] = {}
        self.refresh_tokens: dict[str, Grant] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.faults = Faults()
        self.fault_random = random.Random(config.catalog_seed)
        self.lock = threading.RLock()
        self.shop(config.default_shop)
        if config.preinstalled_token:
            self.grants[config.preinstalled_token] = Grant(
                token=config.preinstalled_token, shop=config.default_shop, scopes=frozenset(config.available_scopes)
            )

    # ---- shops -------------------------------------------------------------------------------
    def shop(self, domain: str, catalog_size: int | None = None, seed: int | None = None) -> ShopStore:
        with self.lock:
            store = self.shops.get(domain)
            if store is None:
                store = self.seed_shop(domain, catalog_size, seed)
            return store

    def seed_shop(
        self, domain: str, catalog_size: int | None = None, seed: int | None = None, currency: str | None = None
    ) -> ShopStore:
        """(Re)create a shop with a fresh generated catalog, priced in `currency` (the configured one by
        default); its subscriptions and orders start empty."""
        catalog = Catalog(
            seed if seed is not None else self.config.catalog_seed,
            catalog_size if catalog_size is not None else self.config.catalog_size,
        )
        store = ShopStore(domain, catalog, self.clock, currency or self.config.currency, self._emit)
        with self.lock:
            self.shops[domain] = store
            self.buckets[domain] = LeakyBucket(self.config.bucket_size, self.config.restore_rate, self.clock)
        return store

    def _emit(self, domain: str, topic: str, payload: dict) -> None:
        self.webhooks.emit(self.shops[domain], topic, payload)

    def _bulk_finished(self, store: ShopStore, operation: BulkOperation) -> None:
        self.webhooks.emit(
            store,
            "bulk_operations/finish",
            {
                "admin_graphql_api_id": operation.gid,
                "completed_at": iso(operation.completed_at) if operation.completed_at else None,
                "created_at": iso(operation.created_at),
                "error_code": operation.error_code.lower() if operation.error_code else None,
                "status": operation.status.lower(),
                "type": operation.type.lower(),
            },
        )

    # ---- OAuth -------------------------------------------------------------------------------
    def issue_code(self, shop: str, scopes: frozenset[str]) -> str:
        code = secrets.token_hex(16)
        self.codes[code] = AuthorizationCode(
            shop=shop, scopes=scopes, expires_at=self.clock.now() + AUTHORIZATION_CODE_TTL
        )
        return code

    def redeem_code(self, shop: str, code: str) -> AuthorizationCode | None:
        with self.lock:
            found = self.codes.pop(code, None)
        if found is None or found.shop != shop or found.expires_at < self.clock.now():
            return None
        return found

    def issue_grant(
        self,
        shop: str,
        scopes: frozenset[str],
        expiring: bool,
        lifetime: float | None = None,
        replaced: str | None = None,
    ) -> Grant:
        now = self.clock.now()
        grant = Grant(token="shpua_" + secrets.token_hex(16), shop=shop, scopes=scopes)
        if expiring:
            grant.expires_at = now + (lifetime or self.config.access_token_ttl_seconds)
            if lifetime is None:
                grant.refresh_token = "shprt_" + secrets.token_hex(16)
                grant.refresh_expires_at = now + self.config.refresh_token_ttl_seconds
                grant.replaced_refresh_token = replaced
        with self.lock:
            self.grants[grant.token] = grant
            if grant.refresh_token:
                self.refresh_tokens[grant.refresh_token] = grant
        return grant

    def refresh(self, refresh_token: str) -> Grant | None:
        with self.lock:
            old = self.refresh_tokens.get(refresh_token)
            if old is None or (old.refresh_expires_at or 0) < self.clock.now():
                return None
            return self.issue_grant(old.shop, old.scopes, expiring=True, replaced=refresh_token)

    def authenticate(self, token: str | None, shop: str) -> Grant | None:
        if not token:
            return None
        with self.lock:
            grant = self.grants.get(token)
            if grant is None or not hmac.compare_digest(grant.shop, shop):
                return None
            if grant.expires_at is not None and grant.expires_at <= self.clock.now():
                return None
            if grant.replaced_refresh_token:
                # The app now uses the new pair: the old refresh token stops working.
                self.refresh_tokens.pop(grant.replaced_refresh_token, None)
                grant.replaced_refresh_token = None
            return grant

    def uninstall(self, shop: str) -> None:
        store = self.shop(shop)
        with self.lock:
            for token in [t for t, g in self.grants.items() if g.shop == shop]:
                grant = self.grants.pop(token)
                if grant.refresh_token:
                    self.refresh_tokens.pop(grant.refresh_token, None)
        billing.cancel_all(store)
        self.webhooks.emit(store, "app/uninstalled", payloads.shop_payload(store))
        with store.lock:
            store.webhook_subscriptions.clear()

    def install_request_url(self, shop: str, app_url: str) -> str:
        """The signed GET Shopify sends to the App URL when a merchant installs or opens the app."""
        params = {"shop": shop, "timestamp": str(int(self.clock.now())), "host": host_param(shop)}
        params["hmac"] = sign_query(params, self.config.client_secret)
        separator = "&" if "?" in app_url else "?"
        return f"{app_url}{separator}{urlencode(params)}"

    def close(self) -> None:
        self.webhooks.close()
        if self._results:
            shutil.rmtree(self._results, ignore_errors=True)


def host_param(shop: str) -> str:
    """Shopify's `host`: base64 of the shop's admin address, without padding."""
    handle = shop.split(".", 1)[0]
    return base64.urlsafe_b64encode(f"admin.shopify.com/store/{handle}".encode()).decode().rstrip("=")
