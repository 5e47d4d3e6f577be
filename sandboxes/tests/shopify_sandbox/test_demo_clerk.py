"""The demo's clerk fulfils open store orders in the Shopify sandbox once they are old enough."""

from datetime import UTC, datetime, timedelta

import httpx

from tokbridge_sandboxes.demo_clerk import DemoClerk

from .conftest import SHOP
from .test_graphql import ORDER, first_level


def test_clerk_fulfils_orders_older_than_its_delay_and_leaves_the_rest(live_sandbox):
    # The clerk compares order times with the wall clock: the sandbox's clock must run, not stand still.
    live = live_sandbox(frozen_clock=False)
    variant, *_ = first_level(live)
    orders_url = f"{live.base_url}/sandbox/shops/{SHOP}/orders"

    def place_order(tiktok_order_id: str) -> int:
        created = live.graphql(
            ORDER,
            {
                "order": {
                    "sourceName": "tiktok",
                    "sourceIdentifier": tiktok_order_id,
                    "lineItems": [{"variantId": variant, "quantity": 1}],
                }
            },
        )
        payload = created["data"]["orderCreate"]
        assert payload["userErrors"] == []
        return int(payload["order"]["id"].rsplit("/", 1)[1])

    first, second, cancelled = (place_order(f"57646141303878500{n}") for n in (1, 2, 3))
    assert httpx.post(f"{orders_url}/{cancelled}/cancel", json={"reason": "customer"}).status_code < 400

    clerk = DemoClerk(live.base_url, SHOP, fulfil_after_seconds=60)
    with httpx.Client(timeout=10) as http:
        assert clerk.fulfil_due(http) == []  # just placed: too early
        later = datetime.now(UTC) + timedelta(minutes=5)
        done = clerk.fulfil_due(http, now=later)
        assert clerk.fulfil_due(http, now=later) == []  # fulfilled once

    assert set(done) == {first, second}
    for order_id in (first, second):
        order = httpx.get(f"{orders_url}/{order_id}").json()
        assert order["fulfillment_status"] == "fulfilled"
        (fulfillment,) = order["fulfillments"]
        assert fulfillment["tracking_company"] in ("USPS", "UPS", "FedEx")
        assert fulfillment["tracking_number"] == f"DEMO{order_id:012d}"
    assert httpx.get(f"{orders_url}/{cancelled}").json()["fulfillments"] == []
