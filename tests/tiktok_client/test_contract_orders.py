"""Contract: orders, logistics, fulfillment, cancellations, returns and shop webhooks over HTTP."""

from __future__ import annotations

import pytest

from tests.support.live_server import serve
from tokbridge.channels.tiktok import models as m
from tokbridge.channels.tiktok.errors import ValidationError
from tokbridge.channels.tiktok.webhooks import parse_event, verify_signature
from tokbridge_sandboxes.tiktok.receiver import Receiver

from .builders import default_warehouse, tshirt
from .conftest import APP_KEY, APP_SECRET

ON_HOLD_AND_PAYMENT = 3700  # sandbox seconds from a placed order to AWAITING_SHIPMENT


def live_sku(tiktok, **product) -> str:
    created = tiktok.client.create_product(tshirt(tiktok.client, sku_count=1, **product))
    tiktok.sandbox_control("POST", f"/sandbox/products/{created.product_id}/review", {"outcome": "APPROVED"})
    return created.skus[0].id


def place_orders(tiktok, sku_id: str, count: int, quantity: int = 1) -> list[str]:
    return [
        tiktok.sandbox_control("POST", "/sandbox/orders", {"items": [{"sku_id": sku_id, "quantity": quantity}]})["id"]
        for _ in range(count)
    ]


def test_logistics_reference(tiktok):
    client = tiktok.client
    warehouse = default_warehouse(client)
    options = client.get_delivery_options(warehouse.id)
    assert options and all(o.id.isdigit() for o in options)
    providers = client.get_shipping_providers(options[0].id)
    assert providers and all(p.name for p in providers)


def test_search_orders_pages_and_details_chunk_by_fifty(tiktok):
    client = tiktok.client
    sku_id = live_sku(tiktok)
    ids = place_orders(tiktok, sku_id, 3, quantity=2) + place_orders(tiktok, sku_id, 49)
    assert len(ids) == 52

    page = client.search_orders(page_size=10)
    assert len(page.orders) == 10 and page.total_count == 52 and page.next_page_token
    assert {o.id for o in client.iter_orders(page_size=10)} == set(ids)

    details = client.get_orders(ids)  # 52 ids: two calls
    assert [o.id for o in details] == ids or {o.id for o in details} == set(ids)
    two_units = next(o for o in details if o.id == ids[0])
    # One line item per unit: two of a SKU are two line items with the same sku_id.
    assert [item.sku_id for item in two_units.line_items] == [sku_id, sku_id]
    assert all(isinstance(item.id, str) for item in two_units.line_items)

    awaiting = m.OrderSearch(order_status="AWAITING_SHIPMENT")
    assert client.search_orders(awaiting).orders == []
    tiktok.sandbox_control("POST", "/sandbox/clock/advance", {"seconds": ON_HOLD_AND_PAYMENT})
    assert len(list(client.iter_orders(awaiting, page_size=50))) == 52


def test_ship_track_and_correct_tracking(tiktok):
    client = tiktok.client
    sku_id = live_sku(tiktok)
    order_id = place_orders(tiktok, sku_id, 1, quantity=2)[0]
    tiktok.sandbox_control("POST", "/sandbox/clock/advance", {"seconds": ON_HOLD_AND_PAYMENT})
    order = client.get_orders([order_id])[0]
    assert order.status == "AWAITING_SHIPMENT"
    provider = client.get_shipping_providers(order.delivery_option_id)[0]

    first_unit = order.line_items[0].id
    shipped = client.mark_package_shipped(
        order_id,
        tracking_number="1Z999AA10123456784",
        shipping_provider_id=provider.id,
        order_line_item_ids=[first_unit],
    )
    assert shipped.order_line_item_ids == [first_unit] and shipped.package_id
    package = client.get_package(shipped.package_id)
    assert package.tracking_number == "1Z999AA10123456784" and package.order_line_item_ids == [first_unit]
    assert client.get_orders([order_id])[0].status == "PARTIALLY_SHIPPING"

    client.update_package_shipping_info(
        shipped.package_id, tracking_number="1Z999AA10123456785", shipping_provider_id=provider.id
    )
    assert client.get_package(shipped.package_id).tracking_number == "1Z999AA10123456785"

    rest = client.mark_package_shipped(order_id, tracking_number="1Z999AA10123456786", shipping_provider_id=provider.id)
    assert rest.order_line_item_ids == [order.line_items[1].id]
    assert client.get_orders([order_id])[0].status == "IN_TRANSIT"
    client.update_order_shipping_info(order_id, tracking_number="1Z999AA10123456787", shipping_provider_id=provider.id)
    assert client.get_orders([order_id])[0].tracking_number == "1Z999AA10123456787"

    with pytest.raises(ValidationError) as bad_tracking:
        client.update_order_shipping_info(
            order_id, tracking_number="no spaces allowed!", shipping_provider_id=provider.id
        )
    assert bad_tracking.value.code == 21004012


def test_ship_package_with_self_shipment(connect):
    # Ship Package is the SEA/LATAM flow; there packages exist before shipping.
    tiktok = connect(shop_regions=["SG"])
    client = tiktok.client
    order_id = place_orders(tiktok, live_sku(tiktok, category_version="v1", currency="SGD"), 1)[0]
    tiktok.sandbox_control("POST", "/sandbox/clock/advance", {"seconds": ON_HOLD_AND_PAYMENT})
    order = client.get_orders([order_id])[0]
    package_id = order.packages[0]["id"]
    provider = client.get_shipping_providers(order.delivery_option_id)[0]
    client.ship_package(package_id, tracking_number="9400111899223197428490", shipping_provider_id=provider.id)
    assert client.get_package(package_id).package_status == "FULFILLING"


def test_seller_cancel_and_buyer_cancellation_requests(tiktok):
    client = tiktok.client
    sku_id = live_sku(tiktok)
    first, second, third = place_orders(tiktok, sku_id, 3)
    tiktok.sandbox_control("POST", "/sandbox/clock/advance", {"seconds": ON_HOLD_AND_PAYMENT})

    with pytest.raises(ValidationError) as wrong_reason:  # an UNPAID reason on a paid order
        client.cancel_order(
            m.CancelOrderInput(order_id=first, cancel_reason="seller_cancel_unpaid_reason_out_of_stock")
        )
    assert wrong_reason.value.code == 25001021
    cancelled = client.cancel_order(
        m.CancelOrderInput(order_id=first, cancel_reason="seller_cancel_reason_out_of_stock")
    )
    assert cancelled.cancel_id and cancelled.cancel_status
    assert client.get_orders([first])[0].status == "CANCELLED"

    # Buyers ask to cancel released orders; the seller approves one and rejects the other.
    requests = {
        oid: tiktok.sandbox_control("POST", f"/sandbox/orders/{oid}/buyer_cancel")["cancel_id"]
        for oid in (second, third)
    }
    pending = client.search_cancellations(m.CancellationSearch(cancel_status=["CANCELLATION_REQUEST_PENDING"]))
    assert {c.cancel_id for c in pending.cancellations} == set(requests.values())
    client.approve_cancellation(requests[second], idempotency_key="approve-1")
    client.reject_cancellation(
        requests[third],
        reject_reason="order_manage_list_action_respond_popup_reject_reason_invalid_cancellation_reason",
    )
    statuses = {
        c.order_id: c.cancel_status for c in client.iter_cancellations(m.CancellationSearch(order_ids=[second, third]))
    }
    assert statuses[second] != "CANCELLATION_REQUEST_PENDING" and statuses[third] != "CANCELLATION_REQUEST_PENDING"
    assert client.get_orders([second])[0].status == "CANCELLED"
    assert client.get_orders([third])[0].status == "AWAITING_SHIPMENT"


def test_search_returns(tiktok):
    client = tiktok.client
    order_id = place_orders(tiktok, live_sku(tiktok), 1)[0]
    tiktok.sandbox_control("POST", "/sandbox/clock/advance", {"seconds": ON_HOLD_AND_PAYMENT})
    order = client.get_orders([order_id])[0]
    provider = client.get_shipping_providers(order.delivery_option_id)[0]
    client.mark_package_shipped(order_id, tracking_number="1Z999AA10123456790", shipping_provider_id=provider.id)
    tiktok.sandbox_control("POST", "/sandbox/clock/advance", {"seconds": 3 * 86400})
    assert client.get_orders([order_id])[0].status == "DELIVERED"
    return_id = tiktok.sandbox_control("POST", f"/sandbox/orders/{order_id}/return")["return_id"]
    found = list(client.iter_returns(m.ReturnSearch(order_ids=[order_id])))
    assert [r.return_id for r in found] == [return_id] and found[0].order_id == order_id
    assert client.search_returns(m.ReturnSearch(order_ids=["1"])).return_orders == []


def test_shop_webhooks_and_signed_delivery(tiktok):
    client = tiktok.client
    hook = Receiver()
    with serve(hook.app) as hook_base:
        client.update_shop_webhook("ORDER_STATUS_CHANGE", hook_base + "/hook")
        subscribed = client.get_shop_webhooks()
        assert [(w.event_type, w.address) for w in subscribed.webhooks] == [
            ("ORDER_STATUS_CHANGE", hook_base + "/hook")
        ]
        assert subscribed.total_count == 1
        order_id = place_orders(tiktok, live_sku(tiktok), 1)[0]
        hook.wait_for(lambda bodies: any(b["type"] == 1 for b in bodies))
        raw = hook.received[0]
        # The sandbox signs as TikTok does; our verifier accepts it and our parser reads it.
        assert verify_signature(APP_KEY, APP_SECRET, raw["body"], raw["authorization"])
        assert not verify_signature(APP_KEY, "not-the-secret", raw["body"], raw["authorization"])
        event = parse_event(raw["body"])
        assert event.shop_id == tiktok.shop.id and event.payload.order_id == order_id

    client.delete_shop_webhook("ORDER_STATUS_CHANGE")
    assert client.get_shop_webhooks().webhooks == []
    with pytest.raises(ValidationError) as missing:
        client.update_shop_webhook("ORDER_STATUS_CHANGE", "")
    assert missing.value.field == "body.address"


def _delivered_orders(tiktok, count: int) -> list[str]:
    client = tiktok.client
    ids = place_orders(tiktok, live_sku(tiktok), count)
    tiktok.sandbox_control("POST", "/sandbox/clock/advance", {"seconds": ON_HOLD_AND_PAYMENT})
    for order_id in ids:
        order = client.get_orders([order_id])[0]
        provider = client.get_shipping_providers(order.delivery_option_id)[0]
        client.mark_package_shipped(
            order_id, tracking_number=f"1Z999AA1012345{order_id[-4:]}", shipping_provider_id=provider.id
        )
    tiktok.sandbox_control("POST", "/sandbox/clock/advance", {"seconds": 3 * 86400})
    return ids


def _status(client, return_id: str) -> tuple[str, list[str]]:
    [found] = client.search_returns(m.ReturnSearch(return_ids=[return_id])).return_orders
    return found.return_status, [a["action"] for a in found.seller_next_action_response]


def _refused(call, **kwargs) -> int:
    with pytest.raises(ValidationError) as refused:
        call(**kwargs)
    return refused.value.code


def test_approve_and_reject_returns_as_documented(tiktok):
    client = tiktok.client
    returned, refund_only, rejected = _delivered_orders(tiktok, 3)
    control = tiktok.sandbox_control
    ret = control("POST", f"/sandbox/orders/{returned}/return")["return_id"]
    refund = control("POST", f"/sandbox/orders/{refund_only}/return", {"return_type": "REFUND"})["return_id"]
    other = control("POST", f"/sandbox/orders/{rejected}/return")["return_id"]
    assert _status(client, ret) == ("RETURN_OR_REFUND_REQUEST_PENDING", ["SELLER_RESPOND_RETURN"])
    assert _status(client, refund) == ("RETURN_OR_REFUND_REQUEST_PENDING", ["SELLER_RESPOND_REFUND"])

    # A decision for another return type, a package decision before any package, an unknown return.
    assert _refused(client.approve_return, return_id=ret, decision="APPROVE_REFUND") == 25020004
    assert _refused(client.approve_return, return_id=ret, decision="APPROVE_RECEIVED_PACKAGE") == 25011013
    assert _refused(client.approve_return, return_id="1", decision="APPROVE_RETURN") == 25007006
    assert _refused(client.approve_return, return_id=ret, decision="MAYBE") == 25001001

    # Approved: the buyer ships the items back; the seller then approves the package and TikTok refunds.
    client.approve_return(ret, decision="APPROVE_RETURN", idempotency_key="approve-ret")
    client.approve_return(ret, decision="APPROVE_RETURN", idempotency_key="approve-ret")  # a replay: same answer
    assert _status(client, ret) == ("AWAITING_BUYER_SHIP", [])
    assert _refused(client.approve_return, return_id=ret, decision="APPROVE_RETURN") == 25011012
    assert (
        _refused(
            client.reject_return,
            return_id=ret,
            decision="REJECT_RETURN",
            reject_reason="reverse_reject_request_reason_1",
        )
        == 25020010
    )
    control("POST", f"/sandbox/returns/{ret}/status", {"status": "BUYER_SHIPPED_ITEM"})
    assert _status(client, ret) == ("BUYER_SHIPPED_ITEM", ["SELLER_RESPOND_RECEIVE_PACKAGE"])
    assert (
        _refused(
            client.reject_return,
            return_id=ret,
            decision="REJECT_RECEIVED_PACKAGE",
            reject_reason="reverse_reject_request_reason_1",
        )
        == 25001016
    )  # a request reason, not a package one
    client.approve_return(ret, decision="APPROVE_RECEIVED_PACKAGE")
    assert _status(client, ret) == ("RETURN_OR_REFUND_REQUEST_SUCCESS", [])

    # A refund only is refunded on approval.
    client.approve_return(refund, decision="APPROVE_REFUND")
    assert _status(client, refund) == ("RETURN_OR_REFUND_REQUEST_SUCCESS", [])

    # Rejecting needs a reason TikTok lists for the step (Get Reject Reasons).
    reasons = client.get_reject_reasons(other)
    assert ("reverse_reject_request_reason_5", "You have reached an agreement with the buyer") in reasons
    assert _refused(client.reject_return, return_id=other, decision="REJECT_RETURN", reject_reason="") == 25001001
    assert (
        _refused(client.reject_return, return_id=other, decision="REJECT_RETURN", reject_reason="because_i_say_so")
        == 25001014
    )
    assert (
        _refused(
            client.reject_return,
            return_id=other,
            decision="REJECT_RECEIVED_PACKAGE",
            reject_reason="reverse_reject_return_parcel_reason_1",
        )
        == 25020012
    )
    client.reject_return(
        other, decision="REJECT_RETURN", reject_reason="reverse_reject_request_reason_5", comment="Agreed by chat"
    )
    assert _status(client, other) == ("REFUND_OR_RETURN_REQUEST_REJECT", [])

    # Cancelled by the buyer: nothing left to decide.
    control("POST", f"/sandbox/returns/{other}/status", {"status": "RETURN_OR_REFUND_REQUEST_CANCEL"})
    assert _refused(client.approve_return, return_id=other, decision="APPROVE_RETURN") == 25020009
