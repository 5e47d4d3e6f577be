"""Stock through Etsy's full-replace updateListingInventory, against the sandbox over HTTP: only the
quantities asked change, everything else is written back exactly; a change landing while we write is
detected; the rate limits (429 retry-after, quota headers) come back as waits, never as failures."""

from __future__ import annotations

import httpx
import pytest

from tokbridge.channels.base import InventoryChange, InventoryQuantity
from tokbridge.channels.etsy import inventory as inv
from tokbridge.channels.etsy.client import Limits
from tokbridge.channels.etsy.mapping import live_products, variant_ids
from tokbridge.kit import errors
from tokbridge.kit.ratelimit import MemoryBackend, RateLimiter


def without_ids(inventory: dict) -> dict:
    """An inventory as the seller sees it: Etsy's product and offering ids change on every update."""
    return {
        **{
            name: inventory.get(name)
            for name in ("price_on_property", "quantity_on_property", "sku_on_property", "readiness_state_on_property")
        },
        "products": [
            {
                "sku": product["sku"],
                "property_values": product["property_values"],
                "offerings": [
                    {k: v for k, v in offering.items() if k != "offering_id"} for offering in product["offerings"]
                ],
            }
            for product in inventory["products"]
        ],
    }


def varied(listing: dict) -> bool:
    inventory = listing["inventory"]
    products = inventory["products"]
    return (
        listing["state"] == "active"
        and len(products) > 2
        and bool(inventory["quantity_on_property"])
        and bool(inventory["price_on_property"])
        and all(p["sku"] for p in products)
    )


def test_a_stock_write_changes_only_its_quantities_and_writes_everything_else_back(live_etsy):
    etsy = live_etsy()
    listing = etsy.listing_where(varied)
    before = etsy.listing(listing["listing_id"])["inventory"]
    store = etsy.store()
    product = store.product(str(listing["listing_id"]))
    variant = product.variants[1]
    index = variant_ids(listing["listing_id"], live_products(before)).index(variant.external_id)
    shared = inv.group(before, index)
    new = inv.quantity(before, index) + 3

    store.set_inventory(
        [InventoryQuantity(variant.inventory_item_external_id, str(etsy.config.shop_id), new)],
        idempotency_key="etsy-stock-1",
    )

    after = etsy.listing(listing["listing_id"])["inventory"]
    expected = without_ids(before)
    for position in shared:
        for offering in expected["products"][position]["offerings"]:
            offering["quantity"] = new
    assert without_ids(after) == expected
    assert [p["product_id"] for p in after["products"]] != [p["product_id"] for p in before["products"]], (
        "Etsy renumbers products on an update; the variant ids must not depend on them"
    )
    assert [v.external_id for v in store.product(str(listing["listing_id"])).variants] == [
        v.external_id for v in product.variants
    ]

    # Again, the same quantity: nothing else moves. Then undone: the inventory is the one before.
    store.set_inventory(
        [InventoryQuantity(variant.inventory_item_external_id, str(etsy.config.shop_id), new)],
        idempotency_key="etsy-stock-2",
    )
    assert without_ids(etsy.listing(listing["listing_id"])["inventory"]) == expected
    store.adjust_inventory(
        [InventoryChange(variant.inventory_item_external_id, str(etsy.config.shop_id), -3)],
        reason="correction",
        idempotency_key="etsy-stock-3",
    )
    assert without_ids(etsy.listing(listing["listing_id"])["inventory"]) == without_ids(before)


def test_a_sale_landing_while_the_stock_is_written_is_detected(live_etsy):
    etsy = live_etsy()
    listing = etsy.listing_where(varied)
    listing_id = listing["listing_id"]
    reader = etsy.store()
    variant = reader.product(str(listing_id)).variants[0]
    shop = str(etsy.config.shop_id)

    def a_sale_right_after_our_write(response: httpx.Response) -> None:
        request = response.request
        if request.method == "PUT" and request.url.path.endswith(f"/listings/{listing_id}/inventory"):
            written = response.read() and response.json()
            product_id = written["products"][0]["product_id"]
            etsy.control("PUT", f"/sandbox/listings/{listing_id}/stock", json={"quantity": 1, "product_id": product_id})

    http = httpx.Client(timeout=10, event_hooks={"response": [a_sale_right_after_our_write]})
    store = etsy.store(http=http)
    with pytest.raises(errors.RetryableError) as raised:
        store.set_inventory(
            [InventoryQuantity(variant.inventory_item_external_id, shop, 20)], idempotency_key="etsy-meanwhile"
        )
    assert "changed while TokBridge wrote it" in str(raised.value)
    http.close()

    # The sale stays; a retry that still expects the quantity it set is refused and changes nothing.
    assert reader.product(str(listing_id)).variants[0].inventory_levels[0].available == 1
    with pytest.raises(errors.RefusedWithFix):
        reader.set_inventory(
            [InventoryQuantity(variant.inventory_item_external_id, shop, 20, change_from_quantity=20)],
            idempotency_key="etsy-meanwhile",
        )
    assert reader.product(str(listing_id)).variants[0].inventory_levels[0].available == 1


def limits() -> Limits:
    backend = MemoryBackend()
    return Limits(
        RateLimiter(backend, per_second=1000),
        RateLimiter(backend, per_second=100_000, burst=100_000, period_seconds=86_400),
        "app",
    )


def test_etsys_429_becomes_a_wait_of_its_retry_after_and_holds_the_next_requests(live_etsy):
    etsy = live_etsy(frozen_clock=True, rate_limit_per_second=2)  # the sandbox's second never ends
    path = f"/shops/{etsy.config.shop_id}"
    with etsy.client() as other_worker:  # another process of the same app spends this second's quota
        other_worker.get(path, what="the shop")
        other_worker.get(path, what="the shop")
    client = etsy.client(limits=limits())
    used = etsy.control("GET", "/sandbox/quota")["used_today"]

    with pytest.raises(errors.RetryableError) as raised:
        client.get(path, what="the shop")
    assert raised.value.retry_after == 1.0 and raised.value.consumes_attempt is False
    # Etsy said wait: the next request waits here without reaching Etsy.
    with pytest.raises(errors.RetryableError) as held:
        client.get(path, what="the shop")
    assert 0 < held.value.retry_after <= 1.0
    assert "local" in str(held.value)
    assert etsy.control("GET", "/sandbox/quota")["used_today"] == used


def test_the_last_request_of_a_second_holds_the_next_one_here(live_etsy):
    etsy = live_etsy(frozen_clock=True, rate_limit_per_second=2)
    client = etsy.client(limits=limits())
    path = f"/shops/{etsy.config.shop_id}"
    client.get(path, what="the shop")
    client.get(path, what="the shop")
    assert client.quota["x-remaining-this-second"] == 0
    with pytest.raises(errors.RetryableError) as held:
        client.get(path, what="the shop")
    assert "local" in str(held.value) and held.value.consumes_attempt is False
    assert etsy.control("GET", "/sandbox/quota")["used_today"] == 2


def test_quota_headers_are_read_and_an_exhausted_day_holds_requests_before_etsy_refuses(live_etsy):
    etsy = live_etsy(frozen_clock=True, rate_limit_per_day=3)
    shared = limits()
    client = etsy.client(limits=shared)
    path = f"/shops/{etsy.config.shop_id}"
    client.get(path, what="the shop")
    assert client.quota["x-limit-per-day"] == 3 and client.quota["x-remaining-today"] == 2
    assert client.quota["x-limit-per-second"] == etsy.config.rate_limit_per_second
    client.get(path, what="the shop")
    client.get(path, what="the shop")
    assert client.quota["x-remaining-today"] == 0

    with pytest.raises(errors.RetryableError) as held:
        client.get(path, what="the shop")
    assert held.value.retry_after > 60, "the day's quota comes back later than the next second"
    assert etsy.control("GET", "/sandbox/quota")["used_today"] == 3, "the held request never reached Etsy"
