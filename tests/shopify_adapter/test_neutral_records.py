"""The Shopify plugin's mapping gives neutral records: weights in grams whatever unit the merchant chose,
and no "Title: Default Title" stand-in option on products without variants."""

from __future__ import annotations

import pytest

from tokbridge.channels.shopify import mapping


def variant_node(weight: dict | None, options: list[dict]) -> dict:
    return {
        "id": "gid://shopify/ProductVariant/1",
        "title": "v",
        "price": "5.00",
        "selectedOptions": options,
        "inventoryItem": {
            "id": "gid://shopify/InventoryItem/1",
            "tracked": True,
            "measurement": {"weight": weight} if weight else None,
        },
    }


@pytest.mark.parametrize(
    ("value", "unit", "grams"),
    [
        (250.0, "GRAMS", "250"),
        (1.2, "KILOGRAMS", "1200"),
        (0.5, "POUNDS", "226.796185"),
        (2, "OUNCES", "56.69904625"),
        (0, "GRAMS", "0"),
    ],
)
def test_weights_arrive_in_grams(value, unit, grams):
    assert mapping.variant(variant_node({"value": value, "unit": unit}, []), 1).weight_grams == grams


def test_unknown_weight_stays_unknown():
    assert mapping.variant(variant_node(None, []), 1).weight_grams is None
    assert mapping.variant(variant_node({"value": None, "unit": "GRAMS"}, []), 1).weight_grams is None


def test_the_default_title_stand_in_is_dropped_and_real_options_kept():
    placeholder = {
        "id": "gid://shopify/Product/1",
        "title": "Mug",
        "updatedAt": "2026-01-01T00:00:00Z",
        "options": [{"id": "o1", "name": "Title", "optionValues": [{"name": "Default Title"}]}],
        "variants": {
            "nodes": [variant_node(None, [{"name": "Title", "value": "Default Title"}])],
            "pageInfo": {"hasNextPage": False},
        },
    }
    product = mapping.product(placeholder)
    assert product.options == [] and product.variants[0].option_values == {}

    # A real option that happens to be called "Title" (a book's edition, say) stays.
    real = {
        **placeholder,
        "options": [{"id": "o1", "name": "Title", "optionValues": [{"name": "First"}, {"name": "Second"}]}],
        "variants": {
            "nodes": [variant_node(None, [{"name": "Title", "value": "First"}])],
            "pageInfo": {"hasNextPage": False},
        },
    }
    product = mapping.product(real)
    assert [o.values for o in product.options] == [["First", "Second"]]
    assert product.variants[0].option_values == {"Title": "First"}
