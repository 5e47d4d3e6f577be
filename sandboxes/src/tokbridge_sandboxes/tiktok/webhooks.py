"""Outgoing webhooks: queued under the state lock, delivered by a background step.

Each notification is POSTed to the shop's subscribed address for its event type, signed as TikTok
signs them (`Authorization` = HMAC-SHA256 of app_key + body with the app secret). An answer other
than HTTP 200 (or none within the timeout) is retried +2 min, +30 min, +3 h and +12 h later on the
sandbox clock; after the fourth retry the notification is given up.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

import httpx

from .signing import webhook_signature
from .state import SandboxState, Shop

RETRY_DELAYS = (120, 1800, 3 * 3600, 12 * 3600)
# Finished deliveries kept for the control API's log; older ones are dropped.
KEEP_FINISHED = 1000

EVENT_TYPES = {
    1: "ORDER_STATUS_CHANGE",
    3: "RECIPIENT_ADDRESS_UPDATE",
    4: "PACKAGE_UPDATE",
    5: "PRODUCT_STATUS_CHANGE",
    6: "SELLER_DEAUTHORIZATION",
    7: "UPCOMING_AUTHORIZATION_EXPIRATION",
    11: "CANCELLATION_STATUS_CHANGE",
    12: "RETURN_STATUS_CHANGE",
    15: "PRODUCT_INFORMATION_CHANGE",
    16: "PRODUCT_CREATION",
    18: "PRODUCT_CATEGORY_CHANGE",
    37: "PRODUCT_AUDIT_STATUS_CHANGE",
}
SUBSCRIBABLE = set(EVENT_TYPES.values()) | {
    "NEW_CONVERSATION",
    "NEW_MESSAGE",
    "NEW_MESSAGE_LISTENER",
    "INVOICE_STATUS_CHANGE",
    "REVERSE_STATUS_UPDATE",
}


@dataclass
class Delivery:
    id: str
    shop_id: str
    type: int
    address: str
    body: bytes
    next_attempt_at: float
    attempts: list[dict[str, Any]] = field(default_factory=list)
    state: str = "PENDING"  # PENDING | IN_FLIGHT | DELIVERED | FAILED

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "shop_id": self.shop_id,
            "type": self.type,
            "address": self.address,
            "state": self.state,
            "attempts": self.attempts,
            "next_attempt_at": self.next_attempt_at,
            "body": json.loads(self.body),
        }


class WebhookOutbox:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.deliveries: list[Delivery] = []
        self._send_lock = threading.Lock()  # one delivery pass at a time, so nothing is sent twice
        self.wake = threading.Event()
        self._client: httpx.Client | None = None
        state.emit = self.emit

    def emit(self, shop: Shop, event_type: int, data: dict[str, Any]) -> None:
        """Queue a notification (caller holds the state lock)."""
        name = EVENT_TYPES[event_type]
        subscription = shop.subscriptions.get(name)
        if subscription is None:
            return
        notification_id = self.state.new_id()
        payload = {
            "type": event_type,
            "tts_notification_id": notification_id,
            "shop_id": shop.id,
            "timestamp": self.state.clock.now_int(),
            "data": data,
        }
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        self.deliveries.append(
            Delivery(notification_id, shop.id, event_type, subscription.address, body, self.state.clock.now())
        )
        self.wake.set()

    def deliver_due(self) -> int:
        """Send every notification whose attempt is due; returns how many were attempted."""
        with self._send_lock:
            with self.state.lock:
                now = self.state.clock.now()
                due = [d for d in self.deliveries if d.state == "PENDING" and d.next_attempt_at <= now]
                for delivery in due:
                    delivery.state = "IN_FLIGHT"
            for delivery in due:
                status, error = self._post(delivery)
                with self.state.lock:
                    self._record(delivery, status, error)
            with self.state.lock:
                self._prune()
            return len(due)

    def _prune(self) -> None:
        finished = [d for d in self.deliveries if d.state in ("DELIVERED", "FAILED")]
        if len(finished) > KEEP_FINISHED:
            drop = {id(d) for d in finished[: len(finished) - KEEP_FINISHED]}
            self.deliveries = [d for d in self.deliveries if id(d) not in drop]

    def _post(self, delivery: Delivery) -> tuple[int | None, str | None]:
        cfg = self.state.config
        headers = {
            "content-type": "application/json",
            "authorization": webhook_signature(cfg.app_key, cfg.app_secret, delivery.body),
        }
        try:
            response = self._http().post(delivery.address, content=delivery.body, headers=headers)
            return response.status_code, None
        except httpx.HTTPError as exc:
            return None, type(exc).__name__

    def _http(self) -> httpx.Client:
        # One client for every delivery (keep-alive, and no TLS context built per notification);
        # only the delivery pass uses it, under `_send_lock`.
        if self._client is None:
            self._client = httpx.Client(timeout=self.state.config.webhook_timeout_seconds)
        return self._client

    def _record(self, delivery: Delivery, status: int | None, error: str | None) -> None:
        now = self.state.clock.now()
        delivery.attempts.append({"at": int(now), "status": status, "error": error})
        if status == 200:
            delivery.state = "DELIVERED"
            return
        retries_done = len(delivery.attempts) - 1
        if retries_done >= len(RETRY_DELAYS):
            delivery.state = "FAILED"
            return
        delivery.state = "PENDING"
        delivery.next_attempt_at = now + RETRY_DELAYS[retries_done]

    def pending_count(self) -> int:
        with self.state.lock:
            return sum(1 for d in self.deliveries if d.state in ("PENDING", "IN_FLIGHT"))
