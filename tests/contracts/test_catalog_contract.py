"""Catalog through the port: the whole stream, resumed from a checkpoint, changes since a cursor, one
product."""

from __future__ import annotations

import pytest

from tests.contracts.catalog import Catalog, gather, stream_from
from tests.contracts.pairs import pairs
from tokbridge.channels.base import Product


@pytest.mark.parametrize("pair", pairs(), indirect=True)
def test_the_catalog_stream_is_complete_and_neutral(pair):
    catalog = pair.catalog()

    assert set(catalog.products) == pair.admin.product_ids()
    assert catalog.variants, "no variant streamed"
    for product in catalog.products.values():
        # Neutral statuses, or a state the store keeps beside them (imported, not listed on TikTok).
        assert product.status in {"active", "draft", "archived", "inactive", "sold_out", "expired"}
        assert product.title
    for variant_id, variant in catalog.variants.items():
        assert variant_id in {v for v, p in catalog.variant_product.items() if p in catalog.products}
        assert _is_decimal(variant.price), variant.price
        assert variant.weight_grams is None or _is_decimal(variant.weight_grams), variant.weight_grams
    for levels in catalog.levels.values():
        assert all(isinstance(level.available, int) for level in levels)


@pytest.mark.parametrize("pair", pairs(), indirect=True)
def test_catalog_records_are_in_neutral_units_without_placeholders(pair):
    catalog = pair.catalog()
    for variant in catalog.variants.values():
        # A product without options has variants without option values, not the store's placeholder.
        assert "Default Title" not in variant.option_values.values(), variant.option_values
        assert not hasattr(variant, "weight_unit"), "weights are grams, whatever unit the store keeps"


# --- resuming ------------------------------------------------------------------------------------


@pytest.mark.parametrize("pair", pairs(), indirect=True)
def test_the_catalog_stream_resumes_from_a_checkpoint(pair):
    complete = pair.catalog()

    interrupted = Catalog()
    checkpoint, seen = None, 0
    for item, checkpoint in stream_from(pair.store(), None):
        gather([item], into=interrupted)
        seen += isinstance(item, Product)
        if seen == len(complete.products) // 2:
            break  # the worker died here; its last saved checkpoint is `checkpoint`
    assert 0 < len(interrupted.products) < len(complete.products)
    assert checkpoint is not None, "no checkpoint before half of the catalog: a killed read would start over"

    resumed = Catalog(products=dict(interrupted.products))
    for item, _ in stream_from(pair.store(), checkpoint):
        if not (isinstance(item, Product) and item.external_id in resumed.products):
            gather([item], into=resumed)
    assert set(resumed.products) == set(complete.products)
    assert set(resumed.variants) | set(interrupted.variants) == set(complete.variants)


# --- changes -------------------------------------------------------------------------------------


@pytest.mark.parametrize("pair", pairs(), indirect=True)
def test_changes_since_a_cursor_are_the_products_edited_since_page_by_page(pair):
    catalog = pair.catalog()
    since = max(product.updated_at for product in catalog.products.values())
    store = pair.store()
    assert store.products_changed_since(since).products == []

    edited = sorted(catalog.products)[:7]  # more than one page of the Shopify plugin (5)
    for number, product_id in enumerate(edited):
        pair.admin.edit_product(product_id, f"Edited {number}")

    seen: dict[str, Product] = {}
    cursor, pages = None, 0
    while True:
        page = store.products_changed_since(since, cursor)
        pages += 1
        for product in page.products:
            assert product.external_id not in seen, "a product came twice across pages"
            seen[product.external_id] = product
        if not page.has_more:
            break
        cursor = page.next_cursor
        assert pages < 50
    assert set(seen) == set(edited)
    assert {seen[product_id].title for product_id in edited} == {f"Edited {n}" for n in range(len(edited))}
    assert all(product.updated_at > since for product in seen.values())
    # A changed product comes with its variants, as in the full stream.
    first = catalog.products[edited[0]]
    assert {v.external_id for v in seen[edited[0]].variants} == {
        v for v, p in catalog.variant_product.items() if p == first.external_id
    }


@pytest.mark.parametrize("pair", pairs(), indirect=True)
def test_one_product_is_read_as_it_is_now_or_none_once_gone(pair):
    catalog = pair.catalog()
    product_id = sorted(catalog.products)[0]
    pair.admin.edit_product(product_id, "Read alone")
    store = pair.store()

    product = store.product(product_id)
    assert product is not None and product.external_id == product_id and product.title == "Read alone"
    assert {v.external_id for v in product.variants} == {
        v for v, p in catalog.variant_product.items() if p == product_id
    }

    pair.admin.delete_product(product_id)
    assert store.product(product_id) is None


def _is_decimal(text: str) -> bool:
    from decimal import Decimal, InvalidOperation

    try:
        return Decimal(text).is_finite()
    except (InvalidOperation, TypeError):
        return False
