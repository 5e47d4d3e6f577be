"""The demo's PrestaShop clerk ships open orders in the PrestaShop sandbox once it has known them long enough:
a tracking number, then Shipped, as the back office does; cancelled and shipped orders are left alone."""

from datetime import UTC, datetime, timedelta

import httpx

from prestashop_sandbox.conftest import Shop, serve
from prestashop_sandbox.test_orders import place_order
from tokbridge_sandboxes.demo_clerk import PrestaShopClerk

PS_OS_SHIPPING, PS_OS_CANCELED = 4, 6


def test_the_clerk_ships_orders_it_has_known_long_enough_and_leaves_the_rest():
    app, server = serve()
    with server as url:
        shop = Shop(url, app.state.sandbox)
        first, second, cancelled = (int(place_order(shop, quantity=1)[0]["id"]) for _ in range(3))
        orders_url = f"{url}/sandbox/orders"
        assert httpx.post(f"{orders_url}/{cancelled}/state", json={"id_order_state": PS_OS_CANCELED}).status_code < 400

        clerk = PrestaShopClerk(url, fulfil_after_seconds=60)
        now = datetime.now(UTC)
        with httpx.Client(timeout=10) as http:
            assert clerk.fulfil_due(http, now=now) == []  # just seen: too early
            later = now + timedelta(minutes=5)
            done = clerk.fulfil_due(http, now=later)
            assert clerk.fulfil_due(http, now=later) == []  # shipped once

        assert sorted(done) == sorted([first, second])
        for order_id in (first, second):
            order = httpx.get(f"{orders_url}/{order_id}").json()
            assert (int(order["current_state"]), order["tracking_number"]) == (PS_OS_SHIPPING, f"DEMO{order_id:012d}")
        left = httpx.get(f"{orders_url}/{cancelled}").json()
        assert int(left["current_state"]) == PS_OS_CANCELED and not left["tracking_number"]
