"""The catalog as the shop has it: read by pages and resumed without skipping a product, prices as the
shop itself computes them for a buyer."""

from __future__ import annotations

from decimal import Decimal

from tests.contracts.catalog import read_catalog
from tokbridge.channels.base import CatalogCheckpoint, Product


def test_a_catalog_read_resumed_after_deletions_skips_no_product(live_prestashop, engine):
    live = live_prestashop(catalog_size=14)
    store = live.store(engine)
    items = store.read_catalog(None).items
    first_page = []
    for item in items:
        if not isinstance(item, CatalogCheckpoint):
            first_page.append(item)
            continue
        checkpoint = item.state
        break
    for product in first_page[:4]:  # the merchant deletes products already read
        live.control("DELETE", f"/sandbox/products/{product.external_id}")

    rest = [item.external_id for item in store.read_catalog(checkpoint).items if isinstance(item, Product)]

    expected = sorted((str(p["id_product"]) for p in live.products()), key=int)
    assert [p.external_id for p in first_page[4:]] + rest == expected


def test_prices_are_what_the_shop_itself_computes_for_a_buyer_tax_and_sales_included(live_prestashop, engine):
    """Each variant's price is the shop's own computed price (its country's tax, its sale), and a sale
    keeps the regular price as the compare-at price."""
    live = live_prestashop(catalog_size=20)
    store = live.store(engine)
    catalog = read_catalog(store)
    on_sale = 0
    for variant_id, variant in catalog.variants.items():
        product_id, attribute_id = variant_id.split("-")
        query = {"display": "[id,final,regular]", "filter[id]": f"[{product_id}]"}
        for name, reduction in (("final", "1"), ("regular", "0")):
            query.update(
                {
                    f"price[{name}][use_tax]": "1",
                    f"price[{name}][country]": "8",
                    f"price[{name}][use_reduction]": reduction,
                    f"price[{name}][product_attribute]": attribute_id,
                }
            )
        [shop] = store.client.rows("products", query, what="test")
        final, regular = (format(Decimal(shop[name]).quantize(Decimal("0.01")), "f") for name in ("final", "regular"))
        assert variant.price == final, (variant_id, variant.price, shop)
        assert variant.compare_at_price == (regular if regular != final else None), (variant_id, shop)
        on_sale += variant.compare_at_price is not None
    assert on_sale, "the sandbox's catalog has no sale: the test would prove nothing about sales"
