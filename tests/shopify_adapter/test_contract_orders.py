"""Writes against the sandbox over HTTP: orders, fulfilments, cancellation, inventory."""

import logging

import pytest

from tests.support.waiting import wait_for
from tokbridge.channels.base import Address, InventoryQuantity, NewOrder, OrderLine, ShippingLine, TaxLine
from tokbridge.channels.shopify import bulk
from tokbridge.channels.shopify.errors import ShopifyValidationError
from tokbridge.orders.mapper import ResolvedLine, to_new_order


def a_tracked_variant(shop) -> tuple[dict, dict]:
    """A variant with stock at some location, and that stock entry."""
    for product in shop.control("GET", "/sandbox/shops/{shop}/products", params={"limit": 100}).json()["products"]:
        if product["status"] != "active":
            continue
        for variant in product["variants"]:
            for stock in product["stock"]:
                if (
                    stock["inventory_item_id"] == variant["inventory_item_id"]
                    and stock["tracked"]
                    and stock["available"] >= 5
                ):
                    return variant, stock
    raise AssertionError("the catalog has no stocked variant")


def tiktok_order(variant: dict, order_id: str = "576461413038785752") -> NewOrder:
    return NewOrder(
        source_name="tiktok",
        source_order_id=order_id,
        currency="USD",
        email="buyer@example.com",
        lines=[
            OrderLine(
                variant_external_id=variant["admin_graphql_api_id"],
                quantity=2,
                unit_price="10.00",
                tax_lines=[TaxLine(title="Sales tax", amount="1.60", rate="0.08")],
            )
        ],
        shipping_lines=[ShippingLine(title="TikTok Standard", price="4.99", code="STANDARD")],
        tax_lines=[TaxLine(title="State tax", amount="1.60", rate="0.08")],
        discount_amount="3.00",
        discount_title="TIKTOK-SELLER",
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


def stock_of(shop, stock: dict) -> int:
    product = shop.control("GET", "/sandbox/shops/{shop}/products", params={"limit": 100}).json()["products"]
    for p in product:
        for s in p["stock"]:
            if s["inventory_item_id"] == stock["inventory_item_id"] and s["location_id"] == stock["location_id"]:
                return s["available"]
    raise AssertionError("stock entry vanished")


def test_create_order_carries_source_shipping_taxes_discount_and_takes_stock(live_shop):
    shop = live_shop()
    store = shop.store(wait_when_throttled=True)
    variant, stock = a_tracked_variant(shop)
    total_before = sum(
        s["available"]
        for p in shop.control("GET", "/sandbox/shops/{shop}/products", params={"limit": 100}).json()["products"]
        for s in p["stock"]
        if s["inventory_item_id"] == variant["inventory_item_id"]
    )

    created = store.create_order(tiktok_order(variant))
    state = shop.control("GET", f"/sandbox/shops/{{shop}}/orders/{created.external_id.rsplit('/', 1)[-1]}").json()
    assert state["admin_graphql_api_id"] == created.external_id and state["name"] == created.name
    assert (state["source_name"], state["source_identifier"]) == ("tiktok", "576461413038785752")
    assert state["line_items"][0]["quantity"] == 2 and state["line_items"][0]["price"] == "10.00"
    assert state["shipping_lines"] == [{"title": "TikTok Standard", "code": "STANDARD", "price": "4.99"}]
    assert state["total_discounts"] == "3.00"
    assert [(t["title"], t["price"]) for t in state["tax_lines"]] == [("State tax", "1.60")]
    assert "tiktok" in state["tags"]
    assert state["financial_status"] == "paid"
    total_after = sum(
        s["available"]
        for p in shop.control("GET", "/sandbox/shops/{shop}/products", params={"limit": 100}).json()["products"]
        for s in p["stock"]
        if s["inventory_item_id"] == variant["inventory_item_id"]
    )
    assert total_after == total_before - 2

    # The same TikTok order again (a retried job): the existing Shopify order, no second one.
    assert store.create_order(tiktok_order(variant)) == created
    orders = shop.control("GET", "/sandbox/shops/{shop}/orders").json()["orders"]
    assert [o["source_identifier"] for o in orders] == ["576461413038785752"]


def test_unknown_variant_is_a_validation_error_with_its_field(live_shop):
    shop = live_shop()
    store = shop.store()
    order = tiktok_order({"admin_graphql_api_id": "gid://shopify/ProductVariant/999999999"})
    with pytest.raises(ShopifyValidationError) as raised:
        store.create_order(order)
    error = raised.value.user_errors[0]
    assert error.field == ["order", "lineItems", "0", "variantId"]
    assert error.code == "INVALID" and error.message
    assert shop.control("GET", "/sandbox/shops/{shop}/orders").json()["orders"] == []


def test_fulfilments_and_cancellation(live_shop):
    shop = live_shop()
    store = shop.store(wait_when_throttled=True)
    variant, _ = a_tracked_variant(shop)
    shipped = store.create_order(tiktok_order(variant, "1001"))
    cancelled = store.create_order(tiktok_order(variant, "1002"))

    before = store.order_fulfilments(shipped.external_id)
    assert not before.cancelled and before.fulfilments == []
    assert before.fulfilment_orders and before.fulfilment_orders[0].status == "OPEN"
    assert sum(line.remaining_quantity for fo in before.fulfilment_orders for line in fo.lines) == 2

    # The merchant ships from the Shopify admin, with a carrier and tracking number.
    number = shipped.external_id.rsplit("/", 1)[-1]
    shop.control(
        "POST",
        f"/sandbox/shops/{{shop}}/orders/{number}/fulfill",
        json={"company": "UPS", "number": "1Z999AA10123456784", "url": "https://ups.example/1Z999"},
    )
    after = store.order_fulfilments(shipped.external_id)
    assert len(after.fulfilments) == 1
    fulfilment = after.fulfilments[0]
    assert fulfilment.tracking_company == "UPS"
    assert fulfilment.tracking_numbers == ["1Z999AA10123456784"]
    assert sum(line.quantity for line in fulfilment.lines) == 2
    assert all(line.remaining_quantity == 0 for fo in after.fulfilment_orders for line in fo.lines)

    store.cancel_order(cancelled.external_id, reason="CUSTOMER", restock=True)
    state = store.order_fulfilments(cancelled.external_id)
    assert state.cancelled
    with pytest.raises(ValueError):
        store.cancel_order(cancelled.external_id, reason="BORED")


def test_set_inventory_is_idempotent_and_compare_and_swap(live_shop):
    shop = live_shop()
    store = shop.store(wait_when_throttled=True)
    _, stock = a_tracked_variant(shop)
    current = stock_of(shop, stock)
    item = f"gid://shopify/InventoryItem/{stock['inventory_item_id']}"
    location = f"gid://shopify/Location/{stock['location_id']}"

    store.set_inventory(
        [InventoryQuantity(item, location, current + 7, change_from_quantity=current)], idempotency_key="sync-1"
    )
    assert stock_of(shop, stock) == current + 7
    # A retried job repeats the call with the same key: nothing is applied twice, nothing fails.
    store.set_inventory(
        [InventoryQuantity(item, location, current + 7, change_from_quantity=current)], idempotency_key="sync-1"
    )
    assert stock_of(shop, stock) == current + 7

    # Someone sold one meanwhile: our belief is stale, Shopify refuses rather than overwriting.
    with pytest.raises(ShopifyValidationError) as raised:
        store.set_inventory(
            [InventoryQuantity(item, location, 3, change_from_quantity=current)], idempotency_key="sync-2"
        )
    assert "CHANGE_FROM_QUANTITY_STALE" in raised.value.codes
    assert stock_of(shop, stock) == current + 7
    # Opting out of compare-and-swap sets it regardless.
    store.set_inventory([InventoryQuantity(item, location, 3)], idempotency_key="sync-3")
    assert stock_of(shop, stock) == 3


def a_taxed_tiktok_order(order_id: str, **changes) -> dict:
    """A paid US order as TikTok's Get Order Detail gives it: two T-shirts at 10.00, 5.00 shipping, taxed."""
    return {
        "id": order_id,
        "status": "AWAITING_SHIPMENT",
        "create_time": 1765000000,
        "payment": {
            "currency": "USD",
            "sub_total": "20.00",
            "shipping_fee": "5.00",
            "tax": "2.06",
            "product_tax": "1.65",
            "shipping_fee_tax": "0.41",
            "total_amount": "27.06",
        },
        "recipient_address": {
            "name": "Alex Buyer",
            "first_name": "Alex",
            "last_name": "Buyer",
            "address_line1": "5800 Bristol Pkwy",
            "postal_code": "90230",
            "region_code": "US",
        },
        **changes,
    }


def two_tees(variant: dict) -> list[ResolvedLine]:
    return [
        ResolvedLine(
            tiktok_sku_id="1729",
            seller_sku="TEE-M",
            title="Tee",
            sale_price="10.00",
            original_price="10.00",
            variant_external_id=variant["admin_graphql_api_id"],
        )
    ] * 2


def store_order_state(shop, created) -> dict:
    return shop.control("GET", f"/sandbox/shops/{{shop}}/orders/{created.external_id.rsplit('/', 1)[-1]}").json()


def test_a_taxed_tiktok_order_reaches_the_store_with_its_tax_rates(live_shop):
    """Shopify 2026-10 requires `rate` on every tax line: computed from TikTok's amounts, or TikTok's own."""
    shop = live_shop()
    store = shop.store(wait_when_throttled=True)
    variant, _ = a_tracked_variant(shop)

    created = store.create_order(to_new_order(a_taxed_tiktok_order("5001"), two_tees(variant), "USD"))
    state = store_order_state(shop, created)
    assert [(t["rate"], t["price"]) for t in state["tax_lines"]] == [(0.0825, "1.65"), (0.082, "0.41")]
    assert all(t["title"] for t in state["tax_lines"])
    # Sent again (a retried job): the same store order, nothing refused.
    assert store.create_order(to_new_order(a_taxed_tiktok_order("5001"), two_tees(variant), "USD")) == created

    # TikTok gave the rate on each line: that one is kept, not recomputed from rounded amounts.
    def sales_tax(amount: str) -> list[dict]:
        return [{"tax_type": "SALES_TAX", "tax_amount": amount, "tax_rate": "0.0825"}]

    with_rate = a_taxed_tiktok_order(
        "5002",
        payment={
            "currency": "USD",
            "sub_total": "19.99",
            "shipping_fee": "0.00",
            "tax": "1.65",
            "total_amount": "21.64",
        },
        line_items=[{"id": "1", "item_tax": sales_tax("0.82")}, {"id": "2", "item_tax": sales_tax("0.83")}],
    )
    state = store_order_state(shop, store.create_order(to_new_order(with_rate, two_tees(variant), "USD")))
    assert [(t["rate"], t["price"]) for t in state["tax_lines"]] == [(0.0825, "1.65")]

    # Only the total is known: its rate over what the buyer paid for items and shipping.
    total_only = a_taxed_tiktok_order(
        "5003",
        payment={
            "currency": "USD",
            "sub_total": "20.00",
            "shipping_fee": "5.00",
            "tax": "2.00",
            "total_amount": "27.00",
        },
    )
    state = store_order_state(shop, store.create_order(to_new_order(total_only, two_tees(variant), "USD")))
    assert [(t["rate"], t["price"]) for t in state["tax_lines"]] == [(0.08, "2.00")]


def test_a_buyer_in_the_uk_has_a_gb_address_in_the_store(live_shop):
    shop = live_shop()
    store = shop.store(wait_when_throttled=True)
    variant, _ = a_tracked_variant(shop)
    uk = a_taxed_tiktok_order(
        "5101",
        recipient_address={
            "name": "Sam Buyer",
            "address_line1": "1 Brick Lane",
            "postal_code": "E1 6AN",
            "region_code": "UK",
        },
    )
    created = store.create_order(to_new_order(uk, two_tees(variant), "USD"))
    assert store_order_state(shop, created)["shipping_address"]["country_code"] == "GB"


def test_the_adapter_uses_nothing_shopify_deprecated(live_shop, caplog):
    """Shopify flags a request using a deprecated field or argument with a header; the client logs it.
    The catalog export's current operation and a cancellation must not be flagged."""
    shop = live_shop()
    store = shop.store(wait_when_throttled=True)
    variant, _ = a_tracked_variant(shop)
    caplog.set_level(logging.WARNING, logger="tokbridge.channels.shopify.client")

    assert bulk.current(store.client) is None
    started = store.start_catalog_export()
    assert bulk.current(store.client).id == started.id
    wait_for(lambda: bulk.status(store.client, started.id).finished, timeout=20, what="catalog export")
    assert bulk.current(store.client).status == "COMPLETED"
    created = store.create_order(tiktok_order(variant, "5201"))
    store.cancel_order(created.external_id, reason="CUSTOMER", restock=True)
    assert store.order_fulfilments(created.external_id).cancelled
    assert [r.getMessage() for r in caplog.records if "deprecated" in r.getMessage()] == []

    # What the client says when Shopify does flag a request.
    store.client.query("{ currentBulkOperation(type: QUERY) { id } }")
    assert any("deprecated" in r.getMessage() for r in caplog.records)


REFUNDS = """
query Refunds($id: ID!) {
  order(id: $id) {
    refunds { id note refundLineItems(first: 10) { nodes { quantity restockType lineItem { id currentQuantity } } } }
  }
}
"""


def test_refund_create_records_refunded_items_once(live_shop):
    from tokbridge.channels.base import RefundItem
    from tokbridge.channels.shopify import queries
    from tokbridge.channels.shopify.client import GraphQLError

    shop = live_shop()
    store = shop.store(wait_when_throttled=True)
    client = shop.client()
    variant, stock = a_tracked_variant(shop)
    created = store.create_order(tiktok_order(variant, "2001"))
    number = created.external_id.rsplit("/", 1)[-1]
    shop.control("POST", f"/sandbox/shops/{{shop}}/orders/{number}/fulfill", json={"company": "UPS", "number": "1Z1"})
    available = stock_of(shop, stock)

    item = RefundItem(quantity=1, variant_external_id=variant["admin_graphql_api_id"])
    note = "Refunded by TikTok Shop"
    refund_id = store.refund_order(created.external_id, [item], note=note, idempotency_key="r-1")
    # A retried job sends the same request with the same key: the same refund, nothing refunded twice.
    assert store.refund_order(created.external_id, [item], note=note, idempotency_key="r-1") == refund_id
    [refund] = client.query(REFUNDS, {"id": created.external_id})["order"]["refunds"]
    assert refund["id"] == refund_id and refund["note"] == "Refunded by TikTok Shop"
    [line] = refund["refundLineItems"]["nodes"]
    assert (line["quantity"], line["restockType"], line["lineItem"]["currentQuantity"]) == (1, "NO_RESTOCK", 1)
    assert stock_of(shop, stock) == available  # no restock asked: the stock is the connector's business

    # Refunding more than was bought is refused with its field; so is a refund without the @idempotent key.
    with pytest.raises(ShopifyValidationError) as too_many:
        two = RefundItem(quantity=2, variant_external_id=variant["admin_graphql_api_id"])
        store.refund_order(created.external_id, [two], note="again", idempotency_key="r-2")
    assert too_many.value.user_errors[0].field == ["refundLineItems", "0", "quantity"]
    no_key = queries.REFUND_CREATE.replace("@idempotent(key: $key)", "").replace(", $key: String!", "")
    with pytest.raises(GraphQLError) as refused:
        client.mutate(
            no_key,
            {
                "input": {
                    "orderId": created.external_id,
                    "refundLineItems": [
                        {"lineItemId": line["lineItem"]["id"], "quantity": 1, "restockType": "NO_RESTOCK"}
                    ],
                }
            },
            "refundCreate",
        )
    assert "@idempotent" in str(refused.value)


def test_orders_changed_since_pages_through_shipments_and_cancellations(live_shop):
    """The polling baseline: orders from a channel that changed since a point, page after page (more than
    one page's worth), with their fulfilments and a neutral cancel reason; other orders are left out."""
    from datetime import timedelta

    from tokbridge.channels.base import CANCELLED_BY_BUYER
    from tokbridge.channels.shopify.store import ORDERS_PAGE

    shop = live_shop()
    store = shop.store(wait_when_throttled=True)
    variant, _ = a_tracked_variant(shop)
    created = [store.create_order(tiktok_order(variant, f"20{index:02d}")) for index in range(ORDERS_PAGE + 2)]
    other = tiktok_order(variant, "3001")
    other.source_name = "web"
    store.create_order(other)

    def everything(since=None) -> list:
        found, cursor = [], None
        while True:
            page = store.orders_changed_since(since, cursor, source_name="tiktok")
            found += page.orders
            if page.next_cursor is None:
                return found
            cursor = page.next_cursor

    first = everything()
    assert sorted(o.order_external_id for o in first) == sorted(c.external_id for c in created)
    # Whole seconds, as Shopify's search compares: the first second after the newest change.
    newest = max(o.updated_at for o in first).replace(microsecond=0) + timedelta(seconds=1)

    shipped, cancelled = created[0], created[1]
    shop.control("POST", "/sandbox/clock", json={"seconds": 5})  # the changes come later than `newest`
    shop.control(
        "POST",
        f"/sandbox/shops/{{shop}}/orders/{shipped.external_id.rsplit('/', 1)[-1]}/fulfill",
        json={"company": "UPS", "number": "1Z999AA10123456999"},
    )
    store.cancel_order(cancelled.external_id, reason=CANCELLED_BY_BUYER, restock=True)
    changed = {o.order_external_id: o for o in everything(newest)}
    assert set(changed) == {shipped.external_id, cancelled.external_id}
    assert changed[shipped.external_id].fulfilments[0].tracking_numbers == ["1Z999AA10123456999"]
    assert not changed[shipped.external_id].cancelled
    assert (changed[cancelled.external_id].cancelled, changed[cancelled.external_id].cancel_reason) == (
        True,
        CANCELLED_BY_BUYER,
    )
