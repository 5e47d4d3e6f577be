"""The demo's warehouse clerks: they ship store orders in the Shopify and PrestaShop sandboxes as a
merchant would.

Real merchants ship from their store's admin; in `make demo` nobody is there, so a thread does it
through the sandbox's control API (the same call a merchant's click makes), a while after each order
arrives, with a carrier and a tracking number. The connector then sees the shipment (Shopify's
`fulfillments/create` webhook, PrestaShop's order polled) and sends the tracking to TikTok like in
production. The clerks are part of the demo, not of the connector.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import httpx

log = logging.getLogger(__name__)

CARRIERS = ("USPS", "UPS", "FedEx")


class _Clerk:
    """A thread that ships what is due every `interval_seconds`, until stopped."""

    store = "store"

    def __init__(self, orders_url: str, fulfil_after_seconds: float = 90.0, interval_seconds: float = 10.0) -> None:
        self.orders_url = orders_url
        self.fulfil_after = timedelta(seconds=fulfil_after_seconds)
        self.interval = interval_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="demo-clerk", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        with httpx.Client(timeout=10) as http:
            # Event.wait is the clerk's pause between rounds; it is a demo thread, not a job worker.
            while not self._stop.wait(self.interval):
                try:
                    self.fulfil_due(http)
                except httpx.HTTPError as exc:
                    log.warning("demo clerk: the %s sandbox did not answer (%s)", self.store, exc)

    def fulfil_due(self, http: httpx.Client, now: datetime | None = None) -> list[int]:
        raise NotImplementedError


class DemoClerk(_Clerk):
    """Fulfils Shopify orders older than `fulfil_after`."""

    store = "Shopify"

    def __init__(
        self, shopify_url: str, shop: str, fulfil_after_seconds: float = 90.0, interval_seconds: float = 10.0
    ) -> None:
        super().__init__(f"{shopify_url}/sandbox/shops/{shop}/orders", fulfil_after_seconds, interval_seconds)

    def fulfil_due(self, http: httpx.Client, now: datetime | None = None) -> list[int]:
        """Fulfil every open order older than `fulfil_after`; -> the ids fulfilled."""
        now = now or datetime.now(UTC)
        fulfilled = []
        for order in http.get(self.orders_url).raise_for_status().json()["orders"]:
            created = datetime.fromisoformat(order["created_at"])
            if order["cancelled_at"] or order["fulfillment_status"] or now - created < self.fulfil_after:
                continue
            carrier = CARRIERS[order["id"] % len(CARRIERS)]
            response = http.post(
                f"{self.orders_url}/{order['id']}/fulfill",
                json={"company": carrier, "number": f"DEMO{order['id']:012d}"},
            )
            if response.status_code == 201:
                fulfilled.append(order["id"])
            else:
                log.info("demo clerk: order %s not fulfilled: %s", order["id"], response.text)
        return fulfilled


# PrestaShop's states an order is shipped from: not yet shipped, delivered, cancelled, refunded or in
# "Payment error" (PS_OS_SHIPPING 4, PS_OS_DELIVERED 5, PS_OS_CANCELED 6, PS_OS_REFUND 7, PS_OS_ERROR 8).
PRESTASHOP_DONE_STATES = frozenset({4, 5, 6, 7, 8})


class PrestaShopClerk(_Clerk):
    """Ships PrestaShop orders in the back office (tracking number, state Shipped) once `fulfil_after` has
    passed since the clerk first saw them: the sandbox's order list carries no creation time."""

    store = "PrestaShop"

    def __init__(self, prestashop_url: str, fulfil_after_seconds: float = 90.0, interval_seconds: float = 10.0) -> None:
        super().__init__(f"{prestashop_url}/sandbox/orders", fulfil_after_seconds, interval_seconds)
        self._first_seen: dict[int, datetime] = {}

    def fulfil_due(self, http: httpx.Client, now: datetime | None = None) -> list[int]:
        now = now or datetime.now(UTC)
        shipped = []
        for order in http.get(self.orders_url).raise_for_status().json()["orders"]:
            order_id = int(order["id_order"])
            seen = self._first_seen.setdefault(order_id, now)
            if order.get("tracking_number") or int(order["current_state"]) in PRESTASHOP_DONE_STATES:
                continue
            if now - seen < self.fulfil_after:
                continue
            response = http.post(f"{self.orders_url}/{order_id}/ship", json={"tracking_number": f"DEMO{order_id:012d}"})
            if response.status_code < 300:
                shipped.append(order_id)
            else:
                log.info("demo clerk: PrestaShop order %s not shipped: %s", order_id, response.text)
        return shipped
