"""Webhook delivery with Shopify's headers, signature and semantics.

At least once: a delivery that fails is retried; some deliveries are sent twice (same event id,
`X-Shopify-Event-Id`) and some overtake the one before them, at the configured rates.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import itertools
import json
import random
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field

import httpx

from .clock import SandboxClock, iso
from .config import SandboxConfig

TOPIC_ENUMS = {
    "app/uninstalled": "APP_UNINSTALLED",
    "bulk_operations/finish": "BULK_OPERATIONS_FINISH",
    "products/create": "PRODUCTS_CREATE",
    "products/update": "PRODUCTS_UPDATE",
    "products/delete": "PRODUCTS_DELETE",
    "inventory_levels/update": "INVENTORY_LEVELS_UPDATE",
    "orders/create": "ORDERS_CREATE",
    "orders/cancelled": "ORDERS_CANCELLED",
    "fulfillments/create": "FULFILLMENTS_CREATE",
    "fulfillments/update": "FULFILLMENTS_UPDATE",
    "app_subscriptions/update": "APP_SUBSCRIPTIONS_UPDATE",
}
# Mandatory privacy topics: configured with the app, never subscribed through the API.
REORDER_HOLD_SECONDS = 0.05
LOG_SIZE = 10_000
COMPLIANCE_TOPICS = {"customers/data_request", "customers/redact", "shop/redact"}


def sign_body(secret: str, body: bytes) -> str:
    """Shopify's `X-Shopify-Hmac-Sha256`: base64 HMAC-SHA256 of the raw body with the app secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass
class Delivery:
    uri: str
    topic: str
    shop: str
    api_version: str
    body: bytes
    event_id: str
    triggered_at: str
    webhook_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    attempts: int = 0
    status: int | None = None
    delivered: bool = False
    duplicate: bool = False

    def record(self) -> dict:
        return {
            "webhook_id": self.webhook_id,
            "event_id": self.event_id,
            "topic": self.topic,
            "shop": self.shop,
            "uri": self.uri,
            "attempts": self.attempts,
            "status": self.status,
            "delivered": self.delivered,
            "duplicate": self.duplicate,
            "triggered_at": self.triggered_at,
            "payload": json.loads(self.body),
        }


class WebhookDispatcher:
    def __init__(self, config: SandboxConfig, clock: SandboxClock) -> None:
        self.config = config
        self.clock = clock
        self.app_webhook_uri = config.app_webhook_uri
        self.duplicate_rate = config.webhook_duplicate_rate
        self.reorder_rate = config.webhook_reorder_rate
        self._random = random.Random(config.catalog_seed)
        # Deliveries by due time: retries wait their turn without holding up the others.
        self._schedule: list[tuple[float, int, Delivery]] = []
        self._order = itertools.count()
        self._pending = 0  # deliveries not yet delivered nor given up
        self._closing = False
        self._ready = threading.Condition()
        self.log: deque[Delivery] = deque(maxlen=LOG_SIZE)  # the latest deliveries, for the control API
        self._client = httpx.Client(timeout=config.webhook_timeout_seconds)
        self._thread = threading.Thread(target=self._run, name="shopify-sandbox-webhooks", daemon=True)
        self._thread.start()

    def targets(self, store, topic: str) -> list[tuple[str, str]]:
        """(uri, api version) of every subscription to `topic` at this shop, app-level ones included."""
        found: list[tuple[str, str]] = []
        if topic not in COMPLIANCE_TOPICS:
            enum = TOPIC_ENUMS.get(topic)
            with store.lock:
                found += [(s.uri, s.api_version) for s in store.webhook_subscriptions.values() if s.topic == enum]
        if self.app_webhook_uri:
            # App-level subscriptions are serialised with the app's configured version: the newest stable one here.
            stable = [v for v in self.config.api_versions if v != "unstable"] or self.config.api_versions
            found.append((self.app_webhook_uri, max(stable)))
        return found

    def emit(self, store, topic: str, payload: dict) -> None:
        targets = self.targets(store, topic)
        if not targets:
            return
        event_id = str(uuid.uuid4())
        triggered_at = iso(self.clock.now())
        with store.lock:
            subscriptions = {
                s.uri: s for s in store.webhook_subscriptions.values() if s.topic == TOPIC_ENUMS.get(topic)
            }
        for uri, version in targets:
            sent = payload
            subscription = subscriptions.get(uri)
            if subscription is not None and subscription.include_fields:
                sent = {k: v for k, v in payload.items() if k in subscription.include_fields}
            body = json.dumps(sent, separators=(",", ":")).encode()
            copies = 2 if self._random.random() < self.duplicate_rate else 1
            for copy in range(copies):
                self._enqueue(
                    Delivery(
                        uri=uri,
                        topic=topic,
                        shop=store.domain,
                        api_version=version,
                        body=body,
                        event_id=event_id,
                        triggered_at=triggered_at,
                        duplicate=copy > 0,
                    )
                )

    def _enqueue(self, delivery: Delivery, due: float | None = None) -> None:
        with self._ready:
            if due is None:  # a new delivery, not a retry
                self._pending += 1
                self.log.append(delivery)
            heapq.heappush(self._schedule, (due or time.monotonic(), next(self._order), delivery))
            self._ready.notify_all()

    def _next_due(self, hold: float | None = None) -> Delivery | None:
        """The next delivery whose time has come; waits for one (at most `hold` seconds if given)."""
        deadline = None if hold is None else time.monotonic() + hold
        with self._ready:
            while not self._closing:
                now = time.monotonic()
                if self._schedule and self._schedule[0][0] <= now:
                    return heapq.heappop(self._schedule)[2]
                wake = self._schedule[0][0] - now if self._schedule else None
                if deadline is not None:
                    if now >= deadline:
                        return None
                    wake = min(wake, deadline - now) if wake is not None else deadline - now
                self._ready.wait(wake)
            return None

    def _run(self) -> None:
        while True:
            delivery = self._next_due()
            if delivery is None:
                return
            if self._random.random() < self.reorder_rate:
                # Let the next delivery (if one comes soon) overtake this one.
                overtaking = self._next_due(hold=REORDER_HOLD_SECONDS)
                if overtaking is not None:
                    self._attempt(overtaking)
            self._attempt(delivery)

    def _attempt(self, delivery: Delivery) -> None:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Shopify-Captain-Hook",
            "X-Shopify-Topic": delivery.topic,
            "X-Shopify-Hmac-Sha256": sign_body(self.config.client_secret, delivery.body),
            "X-Shopify-Shop-Domain": delivery.shop,
            "X-Shopify-API-Version": delivery.api_version,
            "X-Shopify-Webhook-Id": delivery.webhook_id,
            "X-Shopify-Event-Id": delivery.event_id,
            "X-Shopify-Triggered-At": delivery.triggered_at,
        }
        delivery.attempts += 1
        try:
            response = self._client.post(delivery.uri, content=delivery.body, headers=headers)
            delivery.status = response.status_code
            delivery.delivered = 200 <= response.status_code < 300
        except httpx.HTTPError:
            delivery.status = None
        if not delivery.delivered and delivery.attempts < self.config.webhook_max_attempts:
            # Retry later with the original payload, backing off exponentially (Shopify spreads
            # 8 attempts over 4 hours; we compress it). Other deliveries go on meanwhile.
            backoff = self.config.webhook_retry_seconds * 2 ** (delivery.attempts - 1)
            self._enqueue(delivery, due=time.monotonic() + backoff)
            return
        with self._ready:
            self._pending -= 1
            self._ready.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Block until every delivery has succeeded or run out of attempts; False on timeout."""
        with self._ready:
            return self._ready.wait_for(lambda: self._pending == 0, timeout=timeout)

    def close(self) -> None:
        with self._ready:
            self._closing = True
            self._ready.notify_all()
        self._thread.join(timeout=5)
        self._client.close()
