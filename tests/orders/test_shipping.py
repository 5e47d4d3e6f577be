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
    return ok(http(world.shopify_url).post(f"/sandbox/shops/{SHOP}/orders/{store_order_id}/fulfill",
                                           json={"company": "USPS", "number": number}))


def _ship(world, order) -> None:
    with session_scope(world.engine) as session:
        enqueue(bind_merchant(session, world.merchant_id), service.SHIP_JOB, merchant_id=world.merchant_id,
                payload={"order_id": order.id})
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
    ok(http(world.shopify_url).post(f"/sandbox/shops/{SHOP}/fulfillments/{fulfilment['id']}/tracking",
                                    json={"company": "USPS", "number": "9400111899223197428502"}))
    _ship(world, order)
    corrected = tiktok_orders(world)[placed["id"]]
    assert corrected["tracking_number"] == "9400111899223197428502"
    assert {line["tracking_number"] for line in corrected["line_items"]} == {"9400111899223197428502"}
    [shipment] = shipments(world)
    assert (shipment.state, shipment.tracking_number) == ("sent", "9400111899223197428502")

    _ship(world, order)  # nothing changed since: nothing is sent again
    assert tiktok_orders(world)[placed["id"]]["tracking_number"] == "9400111899223197428502"


def test_a_malaysian_shop_ships_the_package_tiktok_created(world_factory):
    world = live_world(world_factory, tiktok={"shop_regions": ["MY"]}, template={
        "category": {"id": "601302", "version": "v1", "name_path": ["Womenswear & Underwear", "T-shirts"]},
        "listing": {"package_weight": {"value": "0.5", "unit": "KILOGRAM"},
                    "title_template": "{vendor} {title}, {product_type} for every day"}})
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
