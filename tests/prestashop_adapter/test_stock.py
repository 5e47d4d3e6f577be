"""Stock writes: read, compare the expected quantity, then PATCH the quantity alone on PrestaShop 8 and
newer, or PUT the whole row as read on 1.7 (which has no PATCH), never losing its other fields."""

from __future__ import annotations

import pytest

from tokbridge.channels.base import InventoryChange, InventoryQuantity
from tokbridge.kit import errors


def _stocked(live, store) -> tuple[str, int]:
    """A simple product's stock item (id_product-0) and its quantity."""
    product = next(p for p in live.products() if not p["combinations"])
    item = f"{product['id_product']}-0"
    quantity = live.control(
        "GET", "/sandbox/stock", params={"id_product": product["id_product"], "id_product_attribute": 0}
    )["quantity"]
    return item, quantity


def _writes(live) -> list[str]:
    return [
        r["method"]
        for r in live.requests()
        if r["path"].startswith("/api/stock_availables/") and r["method"] in ("PUT", "PATCH")
    ]


@pytest.mark.parametrize("version", ["8.1.7", "9.0.2"])
def test_prestashop_8_and_newer_get_a_patch_of_the_quantity(live_prestashop, sqlite_engine, version):
    live = live_prestashop(version=version)
    store = live.store(sqlite_engine)
    item, quantity = _stocked(live, store)
    live.control("DELETE", "/sandbox/requests")

    store.set_inventory(
        [InventoryQuantity(item, "1", quantity + 4, change_from_quantity=quantity)], idempotency_key="k"
    )

    assert live.control("GET", "/sandbox/stock", params={"id_product": item.split("-")[0]})["quantity"] == quantity + 4
    assert _writes(live) == ["PATCH"]


def test_prestashop_1_7_gets_the_whole_row_back_with_only_the_quantity_changed(live_prestashop, sqlite_engine):
    live = live_prestashop(version="1.7.8.11")
    store = live.store(sqlite_engine)
    item, quantity = _stocked(live, store)
    product_id = item.split("-")[0]
    before = store.client.rows(
        "stock_availables",
        {"display": "full", "filter[id_product]": f"[{product_id}]", "filter[id_product_attribute]": "[0]"},
        what="test",
    )[0]
    live.control("DELETE", "/sandbox/requests")

    store.adjust_inventory([InventoryChange(item, "1", -1)], reason="correction", idempotency_key="k")

    after = store.client.rows(
        "stock_availables",
        {"display": "full", "filter[id_product]": f"[{product_id}]", "filter[id_product_attribute]": "[0]"},
        what="test",
    )[0]
    assert _writes(live) == ["PUT"]
    assert int(after["quantity"]) == max(quantity - 1, 0)
    assert {k: v for k, v in after.items() if k != "quantity"} == {k: v for k, v in before.items() if k != "quantity"}


def test_a_stale_expected_quantity_writes_nothing(live_prestashop, sqlite_engine):
    live = live_prestashop()
    store = live.store(sqlite_engine)
    item, quantity = _stocked(live, store)
    live.control("DELETE", "/sandbox/requests")

    with pytest.raises(errors.RefusedWithFix, match=f"now has {quantity} in stock"):
        store.set_inventory([InventoryQuantity(item, "1", 3, change_from_quantity=quantity + 1)], idempotency_key="k")
    assert _writes(live) == []


def test_a_combination_is_stocked_on_its_own_row(live_prestashop, sqlite_engine):
    live = live_prestashop()
    store = live.store(sqlite_engine)
    product = next(p for p in live.products() if p["combinations"])
    attribute = product["combinations"][-1]["id_product_attribute"]

    store.set_inventory([InventoryQuantity(f"{product['id_product']}-{attribute}", "1", 17)], idempotency_key="k")

    assert (
        live.control(
            "GET", "/sandbox/stock", params={"id_product": product["id_product"], "id_product_attribute": attribute}
        )["quantity"]
        == 17
    )


def test_a_multistore_shop_reads_and_writes_its_own_stock_rows(live_prestashop, sqlite_engine):
    live = live_prestashop(shops=2)
    store = live.store(sqlite_engine, shop_id="2")
    product = next(p for p in live.products() if not p["combinations"])
    item = f"{product['id_product']}-0"
    for shop, quantity in (("1", 5), ("2", 9)):
        live.control(
            "PUT",
            "/sandbox/stock",
            json={
                "id_product": product["id_product"],
                "id_product_attribute": 0,
                "quantity": quantity,
                "id_shop": int(shop),
            },
        )

    assert store.locations() == [{"id": "2", "name": store.locations()[0]["name"], "isActive": True}]
    [variant] = store.product(str(product["id_product"])).variants
    assert [(level.location_external_id, level.available) for level in variant.inventory_levels] == [("2", 9)]
    store.set_inventory([InventoryQuantity(item, "2", 4, change_from_quantity=9)], idempotency_key="k")

    def stock(shop: int) -> int:
        return live.control("GET", "/sandbox/stock", params={"id_product": product["id_product"], "id_shop": shop})[
            "quantity"
        ]

    assert (stock(1), stock(2)) == (5, 4)
