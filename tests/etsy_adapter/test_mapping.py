"""Listings and inventories, shaped as Etsy's document gives them, into neutral records: up to three
variations (custom properties included), stable variant ids, variants without SKU, states, images and
prices with their divisor. Plus the inventory body a stock write sends back."""

from __future__ import annotations

from tokbridge.channels.etsy import inventory as inv
from tokbridge.channels.etsy import mapping

SHOP = 40123456


def money(amount: int, divisor: int = 100) -> dict:
    return {"amount": amount, "divisor": divisor, "currency_code": "USD"}


def product(
    product_id: int,
    sku: str | None,
    values: list[tuple[int, str, int | None, str]],
    *,
    quantity: int = 5,
    price: dict | None = None,
    enabled: bool = True,
    readiness: int | None = 777,
) -> dict:
    return {
        "product_id": product_id,
        "sku": sku or "",
        "is_deleted": False,
        "property_values": [
            {
                "property_id": pid,
                "property_name": name,
                "scale_id": None,
                "scale_name": None,
                "value_ids": [vid] if vid else [],
                "values": [value],
            }
            for pid, name, vid, value in values
        ],
        "offerings": [
            {
                "offering_id": product_id * 10,
                "quantity": quantity,
                "is_enabled": enabled,
                "is_deleted": False,
                "price": price or money(1999),
                "readiness_state_id": readiness,
            }
        ],
    }


def listing(state: str = "active", **extra) -> dict:
    return {
        "listing_id": 111,
        "shop_id": SHOP,
        "title": "Mug",
        "description": "A mug.\n\nHand made & glazed.",
        "state": state,
        "updated_timestamp": 1_790_000_000,
        "tags": ["mug"],
        "price": money(1999),
        "item_weight": 12,
        "item_weight_unit": "oz",
        "images": [
            {"listing_image_id": 9, "rank": 2, "url_fullxfull": "https://img/2.jpg", "alt_text": None},
            {"listing_image_id": 8, "rank": 1, "url_fullxfull": "https://img/1.jpg", "alt_text": "Front"},
        ],
        **extra,
    }


THREE = {
    "products": [
        product(
            1,
            "MUG-BL-S",
            [(200, "Primary color", 1, "Blue"), (100, "Size", 11, "Small"), (513, "Glaze", None, "Matte")],
            quantity=3,
            price=money(2450),
        ),
        product(
            2,
            "MUG-BL-L",
            [(200, "Primary color", 1, "Blue"), (100, "Size", 12, "Large"), (513, "Glaze", None, "Matte")],
            quantity=0,
            price=money(2900),
        ),
        product(
            3,
            None,
            [(200, "Primary color", 2, "Red"), (100, "Size", 11, "Small"), (513, "Glaze", None, "Gloss")],
            quantity=4,
            enabled=False,
        ),
    ],
    "price_on_property": [100],
    "quantity_on_property": [200, 100, 513],
    "sku_on_property": [200, 100, 513],
    "readiness_state_on_property": [],
}


def test_three_variations_become_options_and_variants_with_prices_from_the_divisor():
    record = mapping.product(listing(), THREE, SHOP)

    assert record.external_id == "111" and record.status == "active" and record.title == "Mug"
    assert [(o.name, o.values) for o in record.options] == [
        ("Primary color", ["Blue", "Red"]),
        ("Size", ["Small", "Large"]),
        ("Glaze", ["Matte", "Gloss"]),
    ]
    small, large, red = record.variants
    assert small.option_values == {"Primary color": "Blue", "Size": "Small", "Glaze": "Matte"}
    assert (small.price, large.price) == ("24.50", "29.00")
    assert small.sku == "MUG-BL-S" and small.inventory_item_external_id == small.external_id
    assert [level.available for level in small.inventory_levels] == [3]
    assert small.inventory_levels[0].location_external_id == str(SHOP)
    assert red.inventory_levels[0].available == 0, "a disabled offering sells nothing"
    assert small.weight_grams == "340.1942775"


def test_prices_keep_the_divisors_places():
    assert mapping.price(money(1999)) == "19.99"
    assert mapping.price(money(5, 1)) == "5"
    assert mapping.price(money(12345, 1000)) == "12.345"
    assert mapping.price(money(100, 100)) == "1.00"


def test_a_variant_without_sku_is_named_in_words_and_has_no_stock_to_sync():
    record = mapping.product(listing(), THREE, SHOP)
    red = record.variants[2]

    assert red.sku is None and red.inventory_item_external_id is None and not red.inventory_tracked
    reasons = mapping.without_sku(record)
    assert set(reasons) == {red.external_id}
    assert "no SKU" in reasons[red.external_id] and "Red / Small / Gloss" in reasons[red.external_id]
    assert "property" not in reasons[red.external_id] and "{" not in reasons[red.external_id]


def test_variant_ids_survive_etsys_new_product_ids_and_tell_shared_skus_apart():
    renumbered = {**THREE, "products": [{**p, "product_id": p["product_id"] + 1000} for p in THREE["products"]]}
    first = [v.external_id for v in mapping.product(listing(), THREE, SHOP).variants]
    again = [v.external_id for v in mapping.product(listing(), renumbered, SHOP).variants]
    assert first == again and len(set(first)) == 3

    shared = {
        "products": [product(1, "ONE", [(200, "Color", 1, "Blue")]), product(2, "ONE", [(200, "Color", 2, "Red")])],
        "sku_on_property": [],
    }
    ids = [v.external_id for v in mapping.product(listing(), shared, SHOP).variants]
    assert len(set(ids)) == 2
    assert all(mapping.listing_of(i) == 111 for i in ids)


def test_every_state_is_kept_so_the_ui_can_say_it():
    for state in ("active", "inactive", "sold_out", "draft", "expired"):
        assert mapping.product(listing(state), THREE, SHOP).status == state


def test_images_in_ranks_order_and_a_listing_without_variations():
    single = {"products": [product(1, "SOLO", [], quantity=7)], "quantity_on_property": []}
    record = mapping.product(listing(), single, SHOP)

    assert [(i.external_id, i.position, i.url, i.alt_text) for i in record.images] == [
        ("8", 1, "https://img/1.jpg", "Front"),
        ("9", 2, "https://img/2.jpg", None),
    ]
    assert record.options == []
    [only] = record.variants
    assert only.option_values == {} and only.title == "Mug" and only.inventory_levels[0].available == 7
    assert record.description_html == "<p>A mug.</p><p>Hand made &amp; glazed.</p>"


def test_the_inventory_written_back_is_the_one_read_but_for_the_quantities_asked():
    body = inv.writable(THREE, {0: 9})

    assert body["price_on_property"] == [100] and body["quantity_on_property"] == [200, 100, 513]
    assert body["sku_on_property"] == [200, 100, 513] and body["readiness_state_on_property"] == []
    assert [p["sku"] for p in body["products"]] == ["MUG-BL-S", "MUG-BL-L", ""]
    assert [p["offerings"][0]["quantity"] for p in body["products"]] == [9, 0, 4]
    assert [p["offerings"][0]["price"] for p in body["products"]] == [24.5, 29.0, 19.99]
    assert [p["offerings"][0]["is_enabled"] for p in body["products"]] == [True, True, False]
    assert {p["offerings"][0]["readiness_state_id"] for p in body["products"]} == {777}
    assert body["products"][0]["property_values"][2] == {
        "property_id": 513,
        "property_name": "Glaze",
        "value_ids": [],
        "values": ["Matte"],
    }


def test_quantities_not_on_a_property_are_shared_by_the_products_that_differ_only_there():
    by_color = {**THREE, "quantity_on_property": [200]}
    assert inv.group(by_color, 0) == [0, 1]  # blue small and blue large share one quantity
    assert inv.group(by_color, 2) == [2]
    assert inv.group({**THREE, "quantity_on_property": []}, 1) == [0, 1, 2]


def test_the_import_summary_names_the_states_that_are_not_listed():
    from tokbridge.catalog.tasks import import_summary

    title, message = import_summary(10, {"active": 5, "inactive": 2, "sold_out": 2, "expired": 1}, 12, 20)
    assert title == "10 products imported: 5 active, 1 expired, 2 inactive and 2 sold out"
    assert message.startswith("Expired, inactive and sold out products are not listed on TikTok.")
    assert "sold_out" not in title + message
