"""The catalog generator: deterministic from its seed, realistic, and messy like real shops."""

from __future__ import annotations

import struct
from collections import Counter

import httpx

from tokbridge_sandboxes.shopify.catalog import Catalog

from .conftest import SHOP


def test_same_seed_same_catalog_other_seed_other_catalog():
    first, again, other = Catalog(7, 300), Catalog(7, 300), Catalog(8, 300)
    assert [first.product(i) for i in range(0, 300, 7)] == [again.product(i) for i in range(0, 300, 7)]
    assert [first.product(i).title for i in range(20)] != [other.product(i).title for i in range(20)]
    # Reading out of order gives the same product: nothing depends on what was generated before.
    assert first.product(250) == Catalog(7, 300).product(250)


def test_catalog_has_the_shape_and_the_flaws_of_a_real_one():
    catalog = Catalog(3, 3000)
    products = [catalog.product(i) for i in range(3000)]
    variant_counts = [len(p.variants) for p in products]
    assert min(variant_counts) == 1 and max(variant_counts) <= 50 and 2.5 < sum(variant_counts) / len(products) < 3.5
    assert max(len(p.options) for p in products) == 3
    assert all(len(v.option_values) == len(p.options) for p in products for v in p.variants)
    statuses = Counter(p.status for p in products)
    assert statuses["ACTIVE"] > statuses["DRAFT"] > 0 and statuses["ARCHIVED"] > 0
    variants = [v for p in products for v in p.variants]
    assert any(not v.tracked for v in variants) and any(v.compare_at_price for v in variants)
    assert any(not v.sku for v in variants)
    assert any(len(p.title) > 255 for p in products)  # over TikTok Shop's title limit
    assert any(not p.images for p in products)
    assert any("FDA approved" in p.description_html or "Cures" in p.description_html for p in products)
    assert {len(p.location_ids) for p in products} == {1, 2, 3}
    assert all(len({v.id for v in p.variants}) == len(p.variants) for p in products)


def test_images_are_real_png_files_of_the_advertised_size(live_sandbox):
    live = live_sandbox(catalog_size=30)
    answer = live.graphql("{ products(first: 30) { nodes { images(first: 1) { nodes { url width height } } } } }")
    images = [n for p in answer["data"]["products"]["nodes"] for n in p["images"]["nodes"]]
    sizes = set()
    for image in images[:4]:
        response = httpx.get(image["url"])
        assert response.status_code == 200 and response.headers["content-type"] == "image/png"
        assert response.content[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", response.content[16:24])
        assert (width, height) == (image["width"], image["height"])
        sizes.add(len(response.content))
    assert len(sizes) > 1
    assert httpx.get(f"{live.base_url}/cdn/shop/files/{SHOP}/123.png").status_code == 404
