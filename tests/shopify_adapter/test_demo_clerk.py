"""The demo's clerk fulfils open store orders in the Shopify sandbox once they are old enough."""

from datetime import UTC, datetime, timedelta

import httpx

from tests.shopify_adapter.conftest import SHOP
from tests.shopify_adapter.test_contract_orders import a_tracked_variant, tiktok_order
from tokbridge.demo_clerk import DemoClerk


def test_clerk_fulfils_orders_older_than_its_delay_and_leaves_the_rest(live_shop):
    shop = live_shop()
    store = shop.store(wait_when_throttled=True)
    variant, _ = a_tracked_variant(shop)
    first = store.create_order(tiktok_order(variant, "576461413038785001"))
    second = store.create_order(tiktok_order(variant, "576461413038785002"))
    cancelled = store.create_order(tiktok_order(variant, "576461413038785003"))
    cancelled_id = int(cancelled.external_id.rsplit("/", 1)[-1])
    shop.control("POST", f"/sandbox/shops/{{shop}}/orders/{cancelled_id}/cancel", json={"reason": "customer"})

    clerk = DemoClerk(shop.base_url, SHOP, fulfil_after_seconds=60)
    with httpx.Client(timeout=10) as http:
        assert clerk.fulfil_due(http) == []  # just placed: too early
        later = datetime.now(UTC) + timedelta(minutes=5)
        done = clerk.fulfil_due(http, now=later)
        assert clerk.fulfil_due(http, now=later) == []  # fulfilled once

    ids = {int(o.external_id.rsplit("/", 1)[-1]) for o in (first, second)}
    assert set(done) == ids
    for order_id in ids:
        order = shop.control("GET", f"/sandbox/shops/{{shop}}/orders/{order_id}").json()
        assert order["fulfillment_status"] == "fulfilled"
        (fulfillment,) = order["fulfillments"]
        assert fulfillment["tracking_company"] in ("USPS", "UPS", "FedEx")
        assert fulfillment["tracking_number"] == f"DEMO{order_id:012d}"
    assert shop.control("GET", f"/sandbox/shops/{{shop}}/orders/{cancelled_id}").json()["fulfillments"] == []
