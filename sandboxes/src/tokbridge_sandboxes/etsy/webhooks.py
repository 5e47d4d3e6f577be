"""Etsy's webhooks as Standard Webhooks: thin JSON payloads, signed, delivered at least once.

Headers `webhook-id`, `webhook-timestamp` (unix seconds) and `webhook-signature`
(`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, keyed with the base64-decoded part of the
`whsec_` secret). A body names the event and the resource to fetch, nothing more:
`{"event_type": "listing.updated", "resource_url": ".../v3/application/listings/<id>", "shop_id": <id>}`.
A failed delivery is retried; at `duplicate_rate` a delivery is sent twice with the same id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field

import httpx

from tokbridge_sandboxes.clock import SandboxClock

from .config import SandboxConfig

EVENT_TYPES = (
    "listing.created",
    "listing.updated",
    "listing.deleted",
    "inventory.created",
    "inventory.updated",
    "inventory.deleted",
    "inventory.out_of_stock",
    "order.paid",
    "order.canceled",
    "order.shipped",
    "order.delivered",
)
LOG_SIZE = 10_000


def secret_key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix("whsec_"))


def sign(secret: str, webhook_id: str, timestamp: int | str, body: bytes) -> str:
    """The `webhook-signature` value for one body."""
    message = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(secret_key(secret), message, hashlib.sha256).digest()).decode()


@dataclass
class Delivery:
    url: str
    event_type: str
    body: bytes
    webhook_id: str
    timestamp: int
    signature: str
    duplicate: bool = False
    attempts: int = 0
    status: int | None = None
    delivered: bool = False
    error: str | None = None
    due: float = field(default=0.0)

    def record(self) -> dict:
        return {
            "webhook_id": self.webhook_id,
            "event_type": self.event_type,
            "url": self.url,
            "timestamp": self.timestamp,
            "signature": self.signature,
            "attempts": self.attempts,
            "status": self.status,
            "delivered": self.delivered,
            "duplicate": self.duplicate,
            "error": self.error,
            "payload": json.loads(self.body),
        }


class WebhookDispatcher:
    def __init__(self, config: SandboxConfig, clock: SandboxClock) -> None:
        self.config = config
        self.clock = clock
        self.url = config.webhook_url
        self.secret = config.webhook_secret
        self.duplicate_rate = config.webhook_duplicate_rate
        self._random = random.Random(config.catalog_seed)
        self._queue: deque[Delivery] = deque()
        self._log: deque[Delivery] = deque(maxlen=LOG_SIZE)
        self._pending = 0
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closing = False

    def settings(self) -> dict:
        return {"url": self.url, "secret": self.secret, "duplicate_rate": self.duplicate_rate}

    def configure(self, url: str | None = None, secret: str | None = None, duplicate_rate: float | None = None) -> None:
        with self._cond:
            if url is not None:
                self.url = url
            if secret is not None:
                secret_key(secret)  # must decode
                if not secret.startswith("whsec_"):
                    raise ValueError("the secret must start with whsec_")
                self.secret = secret
            if duplicate_rate is not None:
                if not 0 <= duplicate_rate <= 1:
                    raise ValueError("duplicate_rate must be between 0 and 1")
                self.duplicate_rate = duplicate_rate

    def emit(self, event_type: str, resource_path: str, shop_id: int) -> list[str]:
        """Queue one event for the configured URL; returns the webhook ids sent (none when off)."""
        if not self.url:
            return []
        body = json.dumps(
            {
                "event_type": event_type,
                "resource_url": self.config.resource_base_url.rstrip("/") + resource_path,
                "shop_id": shop_id,
            }
        ).encode()
        webhook_id = f"msg_{uuid.uuid4().hex}"
        timestamp = int(self.clock.now())
        signature = sign(self.secret, webhook_id, timestamp, body)
        with self._cond:
            copies = [Delivery(self.url, event_type, body, webhook_id, timestamp, signature)]
            if self._random.random() < self.duplicate_rate:
                copies.append(Delivery(self.url, event_type, body, webhook_id, timestamp, signature, duplicate=True))
            for delivery in copies:
                self._queue.append(delivery)
                self._log.append(delivery)
                self._pending += 1
            self._ensure_thread()
            self._cond.notify_all()
        return [webhook_id]

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="etsy-sandbox-webhooks", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        with httpx.Client(timeout=self.config.webhook_timeout_seconds) as client:
            while True:
                with self._cond:
                    while not self._closing and not self._queue:
                        self._cond.wait()
                    if self._closing:
                        return
                    delivery = self._queue.popleft()
                wait = delivery.due - time.monotonic()
                if wait > 0:
                    with self._cond:
                        self._cond.wait(wait)
                self._attempt(client, delivery)

    def _attempt(self, client: httpx.Client, delivery: Delivery) -> None:
        delivery.attempts += 1
        headers = {
            "content-type": "application/json",
            "webhook-id": delivery.webhook_id,
            "webhook-timestamp": str(delivery.timestamp),
            "webhook-signature": delivery.signature,
        }
        try:
            response = client.post(delivery.url, content=delivery.body, headers=headers)
            delivery.status = response.status_code
            delivery.delivered = 200 <= response.status_code < 300
            delivery.error = None
        except httpx.HTTPError as exc:
            delivery.error = type(exc).__name__
        with self._cond:
            if delivery.delivered or delivery.attempts >= self.config.webhook_max_attempts:
                self._pending -= 1
            else:
                delivery.due = time.monotonic() + self.config.webhook_retry_seconds * delivery.attempts
                self._queue.append(delivery)
            self._cond.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def deliveries(self) -> list[dict]:
        with self._cond:
            return [d.record() for d in self._log]

    def clear(self) -> None:
        with self._cond:
            self._log.clear()

    def close(self) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(5)
