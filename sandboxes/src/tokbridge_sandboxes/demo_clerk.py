"""The demo's warehouse clerk: fulfils store orders in the Shopify sandbox as a merchant would.

Real merchants fulfil in the Shopify admin; in `make demo` nobody is there, so this thread does it
through the sandbox's control API (the same call a merchant's click makes), a while after each order
arrives, with a carrier and a tracking number. The connector then sees `fulfillments/create` and
sends the tracking to TikTok like in production. The clerk is part of the demo, not of the connector.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import httpx

log = logging.getLogger(__name__)

CARRIERS = ("USPS", "UPS", "FedEx")


class DemoClerk:
    def __init__(self, shopify_url: str, shop: str, fulfil_after_seconds: float = 90.0,
                 interval_seconds: float = 10.0) -> None:
        self.orders_url = f"{shopify_url}/sandbox/shops/{shop}/orders"
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
                    log.warning("demo clerk: the Shopify sandbox did not answer (%s)", exc)

    def fulfil_due(self, http: httpx.Client, now: datetime | None = None) -> list[int]:
        """Fulfil every open order older than `fulfil_after`; -> the ids fulfilled."""
        now = now or datetime.now(UTC)
        fulfilled = []
        for order in http.get(self.orders_url).raise_for_status().json()["orders"]:
            created = datetime.fromisoformat(order["created_at"])
            if order["cancelled_at"] or order["fulfillment_status"] or now - created < self.fulfil_after:
                continue
            carrier = CARRIERS[order["id"] % len(CARRIERS)]
            response = http.post(f"{self.orders_url}/{order['id']}/fulfill",
                                 json={"company": carrier, "number": f"DEMO{order['id']:012d}"})
            if response.status_code == 201:
                fulfilled.append(order["id"])
            else:
                log.info("demo clerk: order %s not fulfilled: %s", order["id"], response.text)
        return fulfilled
