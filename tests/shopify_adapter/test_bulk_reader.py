"""The JSONL reader: chunk boundaries, and the catalog stream built from Shopify-shaped lines."""

import json

from tokbridge.channels.base import ImageOf, LevelOf, Product, VariantOf
from tokbridge.channels.shopify.bulk import parse_jsonl, read_catalog

LINES = [
    {
        "__typename": "Product",
        "id": "gid://shopify/Product/1",
        "title": "Café crème – 250 g",
        "status": "DRAFT",
        "tags": ["coffee"],
        "options": [{"id": "gid://shopify/ProductOption/1", "name": "Size", "optionValues": [{"name": "250 g"}]}],
    },
    {"__typename": "Product", "id": "gid://shopify/Product/2", "title": "Mug", "status": "ACTIVE", "tags": []},
    {
        "__typename": "ProductVariant",
        "id": "gid://shopify/ProductVariant/10",
        "position": 1,
        "price": "9.50",
        "compareAtPrice": "12.00",
        "sku": "",
        "selectedOptions": [{"name": "Size", "value": "250 g"}],
        "inventoryItem": {
            "id": "gid://shopify/InventoryItem/100",
            "tracked": False,
            "measurement": {"weight": {"value": 250.0, "unit": "GRAMS"}},
            "level_0": {
                "location": {"id": "gid://shopify/Location/1"},
                "quantities": [{"name": "available", "quantity": 7}],
            },
            "level_1": None,
        },
        "__parentId": "gid://shopify/Product/1",
    },
    {
        "__typename": "MediaImage",
        "id": "gid://shopify/MediaImage/5",
        "image": {"url": "https://cdn/x.png", "altText": "x"},
        "__parentId": "gid://shopify/Product/2",
    },
    {"__typename": "Video", "id": "gid://shopify/Video/6", "__parentId": "gid://shopify/Product/2"},
    {
        "__typename": "MediaImage",
        "id": "gid://shopify/MediaImage/7",
        "image": {"url": "https://cdn/y.png"},
        "__parentId": "gid://shopify/Product/1",
    },
]


def as_file() -> bytes:
    return "\n".join(json.dumps(line, ensure_ascii=False) for line in LINES).encode() + b"\n"


def test_lines_survive_any_chunking_even_inside_a_utf8_character():
    data = as_file()
    for size in (1, 2, 3, 7, 64, len(data)):
        chunks = [data[i : i + size] for i in range(0, len(data), size)]
        assert list(parse_jsonl(chunks)) == LINES
    assert list(parse_jsonl([data.rstrip(b"\n")])) == LINES  # no final newline
    assert list(parse_jsonl([b"\n\n", data, b"\n"])) == LINES  # blank lines


def test_catalog_stream_from_interleaved_lines():
    items = list(read_catalog(parse_jsonl([as_file()])))
    products = [i for i in items if isinstance(i, Product)]
    assert [(p.external_id, p.status, p.title) for p in products] == [
        ("gid://shopify/Product/1", "draft", "Café crème – 250 g"),
        ("gid://shopify/Product/2", "active", "Mug"),
    ]
    assert products[0].options[0].values == ["250 g"]
    (variant,) = [i for i in items if isinstance(i, VariantOf)]
    assert variant.product_external_id == "gid://shopify/Product/1"
    v = variant.variant
    assert (v.price, v.compare_at_price, v.sku, v.weight_grams, v.inventory_tracked) == (
        "9.50",
        "12.00",
        None,
        "250",
        False,
    )
    assert v.option_values == {"Size": "250 g"}
    levels = [i for i in items if isinstance(i, LevelOf)]
    assert [(l.variant_external_id, l.level.location_external_id, l.level.available) for l in levels] == [
        ("gid://shopify/ProductVariant/10", "gid://shopify/Location/1", 7)
    ]
    images = [(i.product_external_id, i.image.external_id, i.image.position) for i in items if isinstance(i, ImageOf)]
    # The video takes a media position but is not an image.
    assert images == [
        ("gid://shopify/Product/2", "gid://shopify/MediaImage/5", 1),
        ("gid://shopify/Product/1", "gid://shopify/MediaImage/7", 1),
    ]
