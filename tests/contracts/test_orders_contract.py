"""Orders through the port: a TikTok order created in the store (or kept by TokBridge, the store's
stock adjusted), its fulfilment read back, cancelled."""

from __future__ import annotations

import pytest

from tests.contracts.pairs import pairs
from tokbridge.channels.base import Address, InventoryChange, NewOrder, OrderLine, ProductVariant, ShippingLine, TaxLine


def tiktok_order(variant: ProductVariant, order_id: str, quantity: int = 2) -> NewOrder:
    return NewOrder(
        source_name="tiktok",
        source_order_id=order_id,
        currency="USD",
        email="buyer@example.com",
        lines=[
            OrderLine(
                variant_external_id=variant.external_id,
                quantity=quantity,
                unit_price="10.00",
                tax_lines=[TaxLine(title="Sales tax", amount="1.60", rate="0.08")],
            )
        ],
        shipping_lines=[ShippingLine(title="Standard shipping", price="4.99", code="STANDARD")],
        shipping_address=Address(
            first_name="Ada",
            last_name="L",
            address1="1 Main St",
            city="Austin",
            province_code="TX",
            zip="73301",
            country_code="US",
        ),
    )


@pytest.mark.parametrize("pair", pairs(), indirect=True)
def test_a_tiktok_order_is_created_once_in_the_store_or_recorded_with_the_stock_taken(pair):
    variant, level = pair.catalog().stocked_variant()
    item, location = variant.inventory_item_external_id, level.location_external_id
    before = pair.admin.stock(item, location)
    store = pair.store()

    if pair.plugin.capabilities.creates_orders:
        created = store.create_order(tiktok_order(variant, "contract-1001"))
        seen = pair.admin.order(created.external_id)
        assert seen.source_order_id == "contract-1001" and seen.line_quantities == [2] and not seen.cancelled
        assert created.name
        again = store.create_order(tiktok_order(variant, "contract-1001"))  # a retry after a lost answer
        assert again.external_id == created.external_id
    else:
        # The store takes no outside orders: TokBridge keeps the order and takes its units from the stock.
        store.adjust_inventory(
            [InventoryChange(item, location, -2)], reason="correction", idempotency_key="contract-order-1001"
        )
    assert pair.admin.stock(item, location) == before - 2


@pytest.mark.parametrize("pair", pairs(lambda capabilities: capabilities.creates_orders), indirect=True)
def test_a_shipment_made_in_the_store_is_read_back_with_its_tracking(pair):
    variant, _ = pair.catalog().stocked_variant()
    store = pair.store()
    created = store.create_order(tiktok_order(variant, "contract-1002"))
    assert store.order_fulfilments(created.external_id).fulfilments == []

    pair.admin.ship(created.external_id, carrier="UPS", tracking_number="1Z999AA10123456784")

    read = store.order_fulfilments(created.external_id)
    assert read.order_external_id == created.external_id and not read.cancelled
    [shipment] = read.fulfilments
    assert shipment.tracking_company == "UPS" and shipment.tracking_numbers == ["1Z999AA10123456784"]
    assert sum(line.quantity for line in shipment.lines) == 2
    assert {line.variant_external_id for line in shipment.lines} == {variant.external_id}


@pytest.mark.parametrize("pair", pairs(lambda capabilities: capabilities.creates_orders), indirect=True)
def test_an_order_cancelled_through_the_port_is_cancelled_in_the_store_and_reads_so(pair):
    variant, _ = pair.catalog().stocked_variant()
    store = pair.store()
    created = store.create_order(tiktok_order(variant, "contract-1003"))

    store.cancel_order(created.external_id, reason="OTHER", restock=True)

    assert pair.admin.order(created.external_id).cancelled
    assert store.order_fulfilments(created.external_id).cancelled


@pytest.mark.parametrize("pair", pairs(lambda capabilities: capabilities.creates_orders), indirect=True)
def test_an_order_cancelled_in_the_store_reads_cancelled(pair):
    variant, _ = pair.catalog().stocked_variant()
    store = pair.store()
    created = store.create_order(tiktok_order(variant, "contract-1004"))

    pair.admin.cancel(created.external_id)

    assert store.order_fulfilments(created.external_id).cancelled
