"""Orders: the buyer's order walks its statuses on the sandbox clock; the seller ships, cancels
and answers cancellation requests; webhooks 1, 11 and 12 follow."""

from __future__ import annotations

import pytest

from .builders import sales_warehouse, tshirt

HOUR = 3600


@pytest.fixture
def live(sandbox_factory, receiver):
    """A live two-SKU product, webhooks of types 1, 11 and 12 subscribed (tokens outlive the test's weeks)."""
    app, _, client = sandbox_factory(access_token_lifetime_seconds=90 * 24 * HOUR)
    hook, url = receiver
    for event in ("ORDER_STATUS_CHANGE", "CANCELLATION_STATUS_CHANGE", "RETURN_STATUS_CHANGE"):
        client.ok("PUT", "/event/202309/webhooks", body={"address": url, "event_type": event})
    warehouse = sales_warehouse(client)
    created = client.ok("POST", "/product/202309/products", body=tshirt(client, warehouse, client.upload()))
    client.control("POST", "/sandbox/clock/advance", {"seconds": 301})
    return client, hook, created, app.state.sandbox


def _order(client, order_id):
    return client.ok("GET", "/order/202309/orders", query={"ids": order_id})["orders"][0]


def _advance(client, seconds):
    client.control("POST", "/sandbox/clock/advance", {"seconds": seconds})


def _statuses(hook, order_id, event_type=1, key="order_status"):
    return [b["data"][key] for b in hook.bodies() if b["type"] == event_type and b["data"]["order_id"] == order_id]


def test_order_walks_to_completed(live):
    client, hook, created, sandbox = live
    red, blue = (s["id"] for s in created["skus"])
    placed = client.control(
        "POST", "/sandbox/orders", {"items": [{"sku_id": red, "quantity": 2}, {"sku_id": blue, "quantity": 1}]}
    )
    order_id = placed["id"]
    order = _order(client, order_id)
    assert order["status"] == "UNPAID" and "recipient_address" not in order
    assert [i["sku_id"] for i in order["line_items"]] == [red, red, blue]  # one line item per unit
    assert order["payment"]["sub_total"] == "61.48"

    _advance(client, 61)
    assert _order(client, order_id)["status"] == "ON_HOLD"
    _advance(client, HOUR)
    order = _order(client, order_id)
    assert order["status"] == "AWAITING_SHIPMENT" and order["recipient_address"]["postal_code"]
    assert "package_id" not in order["line_items"][0]  # US: package ids appear after shipping

    option = order["delivery_option_id"]
    provider = client.ok("GET", f"/logistics/202309/delivery_options/{option}/shipping_providers")[
        "shipping_providers"
    ][0]["id"]
    first_two = [i["id"] for i in order["line_items"][:2]]
    shipped = client.ok(
        "POST",
        f"/fulfillment/202309/orders/{order_id}/packages",
        body={
            "order_line_item_ids": first_two,
            "tracking_number": "9400111899223344556677",
            "shipping_provider_id": provider,
        },
    )
    assert shipped["order_line_item_ids"] == first_two
    assert _order(client, order_id)["status"] == "PARTIALLY_SHIPPING"
    again = client.call(
        "POST",
        f"/fulfillment/202309/orders/{order_id}/packages",
        body={
            "order_line_item_ids": first_two,
            "tracking_number": "9400111899223344556677",
            "shipping_provider_id": provider,
        },
    ).json()
    assert again["code"] == 21011006
    rest = client.ok(
        "POST",
        f"/fulfillment/202309/orders/{order_id}/packages",
        body={"tracking_number": "9400111899223344556688", "shipping_provider_id": provider},
    )
    order = _order(client, order_id)
    assert order["status"] == "IN_TRANSIT" and len(order["packages"]) == 2
    package = client.ok("GET", f"/fulfillment/202309/packages/{rest['package_id']}")
    assert package["tracking_number"] == "9400111899223344556688" and package["package_status"] == "FULFILLING"

    client.ok(
        "POST",
        f"/fulfillment/202309/packages/{rest['package_id']}/shipping_info/update",
        body={"tracking_number": "9400111899223344556699", "shipping_provider_id": provider},
    )
    once = client.call(
        "POST",
        f"/fulfillment/202309/packages/{rest['package_id']}/shipping_info/update",
        body={"tracking_number": "9400111899223344556600", "shipping_provider_id": provider},
    ).json()
    assert once["code"] == 21011051

    _advance(client, 2 * 24 * HOUR)
    assert _order(client, order_id)["status"] == "DELIVERED"
    _advance(client, 14 * 24 * HOUR)
    assert _order(client, order_id)["status"] == "COMPLETED"
    hook.wait_for(lambda b: "COMPLETED" in _statuses(hook, order_id))
    # Webhook 1 documents no PARTIALLY_SHIPPING value: that step is not notified.
    assert _statuses(hook, order_id) == [
        "UNPAID",
        "ON_HOLD",
        "AWAITING_SHIPMENT",
        "IN_TRANSIT",
        "DELIVERED",
        "COMPLETED",
    ]

    found = client.ok(
        "POST", "/order/202309/orders/search", query={"page_size": "10"}, body={"order_status": "COMPLETED"}
    )
    assert [o["id"] for o in found["orders"]] == [order_id]
    stock = client.ok("GET", f"/product/202309/products/{created['product_id']}")["skus"][0]["inventory"][0]
    assert stock["quantity"] == 8


def test_buyer_cancels_in_the_remorse_window(live):
    client, hook, created, _ = live
    order_id = client.control(
        "POST", "/sandbox/orders", {"items": [{"sku_id": created["skus"][0]["id"]}], "buyer_cancels": True}
    )["id"]
    _advance(client, 61)
    _advance(client, HOUR)
    order = _order(client, order_id)
    assert order["status"] == "CANCELLED" and order["cancellation_initiator"] == "BUYER"
    hook.wait_for(lambda b: "CANCEL" in _statuses(hook, order_id))
    assert _statuses(hook, order_id, 11, "cancel_status") == ["CANCELLATION_REQUEST_COMPLETE"]


def test_cancellation_requests_are_approved_or_rejected(live):
    client, hook, created, _ = live
    sku = created["skus"][0]["id"]
    orders = [client.control("POST", "/sandbox/orders", {"items": [{"sku_id": sku}]})["id"] for _ in range(2)]
    _advance(client, 61 + HOUR)
    requests = [client.control("POST", f"/sandbox/orders/{o}/buyer_cancel")["cancel_id"] for o in orders]
    assert _order(client, orders[0])["is_buyer_request_cancel"] is True

    found = client.ok(
        "POST", "/return_refund/202309/cancellations/search", body={"cancel_status": ["CANCELLATION_REQUEST_PENDING"]}
    )
    assert {c["cancel_id"] for c in found["cancellations"]} == set(requests)

    client.ok("POST", f"/return_refund/202309/cancellations/{requests[0]}/approve")
    assert _order(client, orders[0])["status"] == "CANCELLED"
    missing_reason = client.call("POST", f"/return_refund/202309/cancellations/{requests[1]}/reject", body={})
    assert missing_reason.json()["code"] == 25001001
    client.ok(
        "POST",
        f"/return_refund/202309/cancellations/{requests[1]}/reject",
        body={"reject_reason": "seller_reject_apply_product_has_been_packed"},
    )
    assert _order(client, orders[1])["status"] == "AWAITING_SHIPMENT"
    twice = client.call("POST", f"/return_refund/202309/cancellations/{requests[1]}/approve").json()
    assert twice["code"] == 25011012
    hook.wait_for(lambda b: len(_statuses(hook, orders[1], 11, "cancel_status")) == 2)
    assert _statuses(hook, orders[1], 11, "cancel_status") == [
        "CANCELLATION_REQUEST_PENDING",
        "CANCELLATION_REQUEST_CANCELLED",
    ]


def test_seller_cancel_checks_reason_and_status(live):
    client, _, created, _ = live
    order_id = client.control(
        "POST", "/sandbox/orders", {"items": [{"sku_id": created["skus"][0]["id"], "quantity": 2}]}
    )["id"]
    path = "/return_refund/202309/cancellations"
    wrong = client.call(
        "POST", path, body={"order_id": order_id, "cancel_reason": "seller_cancel_reason_out_of_stock"}
    ).json()
    assert wrong["code"] == 25001021  # a paid-order reason for an unpaid order
    unknown = client.call("POST", path, body={"order_id": order_id, "cancel_reason": "because"}).json()
    assert unknown["code"] == 25001014
    _advance(client, 61 + HOUR)
    line = _order(client, order_id)["line_items"][0]["id"]
    partial = client.ok(
        "POST",
        path,
        body={
            "order_id": order_id,
            "order_line_item_ids": [line],
            "cancel_reason": "seller_cancel_reason_out_of_stock",
        },
    )
    assert partial["cancel_status"] == "CANCELLATION_REQUEST_SUCCESS"
    order = _order(client, order_id)
    assert order["status"] == "AWAITING_SHIPMENT"
    assert [i.get("cancel_user") for i in order["line_items"]] == ["SELLER", None]


def test_returns_after_delivery(live):
    client, hook, created, _ = live
    order_id = client.control(
        "POST", "/sandbox/orders", {"items": [{"sku_id": created["skus"][1]["id"]}], "returns": True}
    )["id"]
    _advance(client, 61 + HOUR)
    order = _order(client, order_id)
    option = order["delivery_option_id"]
    provider = client.ok("GET", f"/logistics/202309/delivery_options/{option}/shipping_providers")[
        "shipping_providers"
    ][0]["id"]
    client.ok(
        "POST",
        f"/fulfillment/202309/orders/{order_id}/packages",
        body={"tracking_number": "1Z999AA10123456784", "shipping_provider_id": provider},
    )
    _advance(client, 2 * 24 * HOUR)
    _advance(client, 24 * HOUR)
    returns = client.ok("POST", "/return_refund/202309/returns/search", body={"order_ids": [order_id]})
    assert returns["return_orders"][0]["return_status"] == "RETURN_OR_REFUND_REQUEST_PENDING"
    hook.wait_for(lambda b: _statuses(hook, order_id, 12, "return_status"))


def test_order_detail_limits_and_ownership(live):
    client, _, _, _ = live
    many = ",".join(str(576461413038785752 + n) for n in range(51))
    response = client.call("GET", "/order/202309/orders", query={"ids": many})
    assert (response.status_code, response.json()["code"]) == (400, 36009004)
    assert client.ok("GET", "/order/202507/orders", query={"ids": "576461413038785752"}) == {"orders": []}
    shipping = client.call(
        "POST",
        "/fulfillment/202309/orders/576461413038785752/packages",
        body={"tracking_number": "X", "shipping_provider_id": "1"},
    ).json()
    assert shipping["code"] == 21008111


def test_package_search_and_platform_actions(live):
    client, hook, created, _ = live
    order_id = client.control("POST", "/sandbox/orders", {"items": [{"sku_id": created["skus"][0]["id"]}]})["id"]
    _advance(client, 61 + HOUR)
    found = client.ok(
        "POST", "/fulfillment/202309/packages/search", query={"page_size": "50"}, body={"package_status": "PROCESSING"}
    )
    assert [p["orders"][0]["id"] for p in found["packages"]] == [order_id]
    too_big = client.call("POST", "/fulfillment/202309/packages/search", query={"page_size": "51"}, body={})
    assert too_big.json()["code"] == 21001001

    product_id = created["product_id"]
    client.control("POST", f"/sandbox/products/{product_id}/platform_status", {"status": "PLATFORM_DEACTIVATED"})
    assert client.ok("GET", f"/product/202309/products/{product_id}")["status"] == "PLATFORM_DEACTIVATED"
    response = client.http.post("/sandbox/orders", json={"items": [{"sku_id": created["skus"][0]["id"]}]})
    assert response.status_code == 400  # buyers cannot order a product TikTok took down


def test_mark_package_shipped_is_refused_outside_its_markets(sandbox_factory):
    """Mark Package As Shipped exists in US, UK, ES, IE, IT, DE, FR and JP only; a Malaysian shop is told
    so with TikTok's code, and ships TikTok's package by id instead."""
    _, _, client = sandbox_factory(shop_regions=["MY"])
    answer = client.call(
        "POST",
        "/fulfillment/202309/orders/576461413038785752/packages",
        body={"tracking_number": "EF123456789MY", "shipping_provider_id": "7117858858072016686"},
    )
    assert answer.json()["code"] == 21008106
    assert answer.json()["message"] == "This interface cannot be used in this region."
