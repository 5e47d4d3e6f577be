"""Tracking from the store to TikTok: a changed tracking number reaches TikTok's package, and shops in
regions where TikTok creates the packages (South-East Asia, Latin America) ship them by package id."""

from __future__ import annotations

from tests.orders.helpers import (
    advance,
    http,
    live_skus,
    live_world,
    ok,
    order_lines,
    orders,
    place,
    poll,
    run_jobs,
    shipments,
    tiktok_orders,
)
from tests.support.world import SHOP
from tokbridge.db.engine import session_scope
from tokbridge.jobs.service import enqueue
from tokbridge.orders import service
from tokbridge.tenancy.scoping import bind_merchant


def _in_the_store(world, items: list[dict]):
    """An order placed on TikTok, paid, past the remorse window and brought into the store."""
    placed = place(world, items)
    advance(world, 120)
    advance(world, 3600)
    poll(world)
    [order] = orders(world)
    assert order.store_sync == "created", order.failure_reason
    return placed, order


def _fulfil_in_store(world, order, number: str) -> dict:
    store_order_id = order.store_order_id.rsplit("/", 1)[-1]
    return ok(
        http(world.shopify_url).post(
            f"/sandbox/shops/{SHOP}/orders/{store_order_id}/fulfill", json={"company": "USPS", "number": number}
        )
    )


def _ship(world, order) -> None:
    with session_scope(world.engine) as session:
        enqueue(
            bind_merchant(session, world.merchant_id),
            service.SHIP_JOB,
            merchant_id=world.merchant_id,
            payload={"order_id": order.id},
        )
    run_jobs(world)


def test_a_tracking_number_changed_in_the_store_is_updated_on_tiktok(world_factory):
    world = live_world(world_factory)
    sku = live_skus(world)[0]
    placed, order = _in_the_store(world, [{"sku_id": sku["sku_id"], "quantity": 1}])
    fulfilment = _fulfil_in_store(world, order, "9400111899223197428501")
    _ship(world, order)
    shipped = tiktok_orders(world)[placed["id"]]
    assert shipped["tracking_number"] == "9400111899223197428501"

    # The merchant corrects the tracking number in Shopify (fulfillments/update).
    ok(
        http(world.shopify_url).post(
            f"/sandbox/shops/{SHOP}/fulfillments/{fulfilment['id']}/tracking",
            json={"company": "USPS", "number": "9400111899223197428502"},
        )
    )
    _ship(world, order)
    corrected = tiktok_orders(world)[placed["id"]]
    assert corrected["tracking_number"] == "9400111899223197428502"
    assert {line["tracking_number"] for line in corrected["line_items"]} == {"9400111899223197428502"}
    [shipment] = shipments(world)
    assert (shipment.state, shipment.tracking_number) == ("sent", "9400111899223197428502")

    _ship(world, order)  # nothing changed since: nothing is sent again
    assert tiktok_orders(world)[placed["id"]]["tracking_number"] == "9400111899223197428502"


def test_a_malaysian_shop_ships_the_package_tiktok_created(world_factory):
    # A Malaysian merchant's store, selling in ringgit like the shop (another currency would need a rate).
    world = live_world(
        world_factory,
        tiktok={"shop_regions": ["MY"]},
        shopify={"currency": "MYR"},
        template={
            "category": {"id": "601302", "version": "v1", "name_path": ["Womenswear & Underwear", "T-shirts"]},
            "listing": {
                "package_weight": {"value": "0.5", "unit": "KILOGRAM"},
                "title_template": "{vendor} {title}, {product_type} for every day",
            },
        },
    )
    sku = live_skus(world)[0]
    placed, order = _in_the_store(world, [{"sku_id": sku["sku_id"], "quantity": 1}])
    [package] = {line.package_id for line in order_lines(world, order.id)}
    assert package  # TikTok made the package when the order was paid
    _fulfil_in_store(world, order, "EF123456789MY")
    _ship(world, order)
    shipped = tiktok_orders(world)[placed["id"]]
    assert shipped["tracking_number"] == "EF123456789MY"
    assert [p["id"] for p in shipped["packages"]] == [package]  # shipped as it was, not split into a new one
    [shipment] = shipments(world)
    assert (shipment.state, shipment.tiktok_package_id) == ("sent", package)


def _store_lines(world, order) -> list[dict]:
    store_order_id = order.store_order_id.rsplit("/", 1)[-1]
    return ok(http(world.shopify_url).get(f"/sandbox/shops/{SHOP}/orders/{store_order_id}"))["line_items"]


def _fulfil_lines(world, order, company: str, number: str, lines: list[dict]) -> dict:
    store_order_id = order.store_order_id.rsplit("/", 1)[-1]
    return ok(
        http(world.shopify_url).post(
            f"/sandbox/shops/{SHOP}/orders/{store_order_id}/fulfill",
            json={
                "company": company,
                "number": number,
                "line_items": [{"id": line["id"], "quantity": line["quantity"]} for line in lines],
            },
        )
    )


def test_an_order_fulfilled_in_two_packages_is_in_transit_once_both_are_shipped(world_factory):
    world = live_world(world_factory)
    first_sku, second_sku = live_skus(world)[:2]
    placed, order = _in_the_store(
        world, [{"sku_id": first_sku["sku_id"], "quantity": 1}, {"sku_id": second_sku["sku_id"], "quantity": 2}]
    )
    first_line, second_line = sorted(_store_lines(world, order), key=lambda line: line["quantity"])

    # The first package: only the single item. TikTok marks that item shipped; the order is partly shipped.
    _fulfil_lines(world, order, "USPS", "9400111899223197428601", [first_line])
    _ship(world, order)
    tiktok = tiktok_orders(world)[placed["id"]]
    assert tiktok["status"] == "PARTIALLY_SHIPPING"
    by_sku = {}
    for item in tiktok["line_items"]:
        by_sku.setdefault(item["sku_id"], set()).add(item["display_status"])
    assert by_sku == {first_sku["sku_id"]: {"IN_TRANSIT"}, second_sku["sku_id"]: {"AWAITING_SHIPMENT"}}
    [order] = orders(world)
    assert order.status == "awaiting_shipment"

    # The second package: the other two units, with another carrier. Now the whole order is in transit.
    _fulfil_lines(world, order, "UPS", "1Z999AA10123456602", [second_line])
    _ship(world, order)
    tiktok = tiktok_orders(world)[placed["id"]]
    assert tiktok["status"] == "IN_TRANSIT"
    assert {item["display_status"] for item in tiktok["line_items"]} == {"IN_TRANSIT"}
    assert len({p["id"] for p in tiktok["packages"]}) == 2
    sent = shipments(world)
    assert [(s.state, s.tracking_number, len(s.tiktok_line_ids)) for s in sent] == [
        ("sent", "9400111899223197428601", 1),
        ("sent", "1Z999AA10123456602", 2),
    ]
    by_line = {line.tiktok_sku_id: set() for line in order_lines(world, order.id)}
    for line in order_lines(world, order.id):
        by_line[line.tiktok_sku_id].add(line.tracking_number)
    assert by_line == {first_sku["sku_id"]: {"9400111899223197428601"}, second_sku["sku_id"]: {"1Z999AA10123456602"}}

    _ship(world, order)  # seen again: nothing is shipped twice
    assert [s.state for s in shipments(world)] == ["sent", "sent"]
    poll(world)
    assert orders(world)[0].status == "in_transit"


def test_fedex_and_the_merchants_own_carrier_reach_tiktok(world_factory):
    """A tester saw an order stuck on "FedEx" although Order settings say FedEx is matched by name."""
    import re

    from fastapi.testclient import TestClient

    from tests.conftest import add_user, sign_in
    from tokbridge.web.app import create_app

    world = live_world(world_factory)
    skus = live_skus(world)
    fedex_placed, fedex_order = _in_the_store(world, [{"sku_id": skus[0]["sku_id"], "quantity": 1}])
    _fulfil_lines(world, fedex_order, "FedEx", "794698457393", _store_lines(world, fedex_order))
    _ship(world, fedex_order)
    shipped = tiktok_orders(world)[fedex_placed["id"]]
    [fedex_shipment] = shipments(world)
    assert fedex_shipment.state == "sent", fedex_shipment.last_error
    assert shipped["status"] == "IN_TRANSIT"
    assert {i["shipping_provider_name"] for i in shipped["line_items"]} == {"FedEx"}

    # The merchant's own courier is not a TikTok provider: the order says so in plain words, the merchant maps
    # it in Order settings and presses Retry on the order page, and the package goes out with the mapped one.
    own_placed = place(world, [{"sku_id": skus[1]["sku_id"], "quantity": 1}])
    advance(world, 120)
    advance(world, 3600)
    poll(world)
    own_order = next(o for o in orders(world) if o.tiktok_order_id == own_placed["id"])
    _fulfil_lines(world, own_order, "Speedy Couriers", "SPD123456789", _store_lines(world, own_order))
    _ship(world, own_order)
    failed = next(s for s in shipments(world) if s.order_id == own_order.id)
    assert failed.state == "failed"
    assert "'Speedy Couriers'" in failed.last_error and "Order settings" in failed.last_error

    add_user(world.settings, world.merchant_id, "carriers@pages.test")
    with TestClient(create_app(world.settings), base_url="http://127.0.0.1") as client:
        sign_in(client, "carriers@pages.test")
        settings = client.get("/settings/orders")
        token = re.search(r'name="csrf_token" value="([^"]+)"', settings.text).group(1)
        saved = client.post(
            "/settings/orders",
            data={
                "csrf_token": token,
                "restock_on_cancel": "1",
                "restock_on_return": "1",
                "unknown_sku": "fail",
                "carrier_map": "Speedy Couriers = UPS",
            },
        )
        assert "Order settings saved" in saved.text
        retried = client.post(f"/orders/{own_order.id}/retry", data={"csrf_token": token})
        assert "Trying again" in retried.text
        run_jobs(world)
        page = client.get(f"/orders/{own_order.id}")
    sent = next(s for s in shipments(world) if s.order_id == own_order.id)
    assert sent.state == "sent", sent.last_error
    own_shipped = tiktok_orders(world)[own_placed["id"]]
    assert own_shipped["status"] == "IN_TRANSIT"
    assert {i["shipping_provider_name"] for i in own_shipped["line_items"]} == {"UPS"}
    assert "Speedy Couriers = UPS" not in page.text and "No TikTok shipping provider" not in page.text
