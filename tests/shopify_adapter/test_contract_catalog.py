"""Catalog reads against the sandbox over HTTP: bulk export into the database, incremental pages."""

from datetime import UTC, datetime, timedelta

from tokbridge.catalog.importer import CatalogImporter
from tokbridge.catalog.repository import CatalogRepository
from tokbridge.channels.base import LevelOf, Product, VariantOf
from tokbridge.channels.shopify import bulk


def number(value) -> int:
    return int(str(value).rsplit("/", 1)[-1])


def true_catalog(shop) -> list[dict]:
    return shop.control("GET", "/sandbox/shops/{shop}/products", params={"limit": 1000}).json()["products"]


def test_bulk_export_streams_every_product_variant_and_stock_level(live_shop):
    shop = live_shop(catalog_size=30)
    store = shop.store(wait_when_throttled=True)
    operation = store.start_catalog_export()
    assert operation.status in ("CREATED", "RUNNING")
    # A worker looks again later rather than sleeping: pending is a retryable answer.
    finished = bulk.wait(store.client, operation.id, timeout=30, sleep=lambda s: None)
    assert finished.status == "COMPLETED" and finished.url

    items = list(store.read_catalog_export(finished))
    products = [i for i in items if isinstance(i, Product)]
    variants = [i for i in items if isinstance(i, VariantOf)]
    levels = [i for i in items if isinstance(i, LevelOf)]
    truth = true_catalog(shop)
    assert {p.external_id for p in products} == {p["admin_graphql_api_id"] for p in truth}
    true_variants = {v["admin_graphql_api_id"]: v for p in truth for v in p["variants"]}
    assert {v.variant.external_id for v in variants} == set(true_variants)
    for item in variants[:20]:
        expected = true_variants[item.variant.external_id]
        assert item.variant.price == expected["price"]
        assert item.variant.sku == (expected["sku"] or None)  # Shopify's "" is "no SKU"
    # Stock: every (item, location) the store tracks, with its available quantity.
    true_levels = {
        (number(s["inventory_item_id"]), number(s["location_id"])): s["available"] for p in truth for s in p["stock"]
    }
    item_of = {v.variant.external_id: v.variant.inventory_item_external_id for v in variants}
    got = {
        (number(item_of[level.variant_external_id]), number(level.level.location_external_id)): level.level.available
        for level in levels
    }
    assert got == true_levels


def test_bulk_import_into_the_database(live_shop, engine, merchant_id):
    shop = live_shop(catalog_size=40)
    store = shop.store(wait_when_throttled=True)
    result = CatalogImporter(engine, merchant_id, "shopify", batch_size=50).run(
        store.iter_catalog(timeout=30), full=True
    )
    truth = true_catalog(shop)
    assert result.products == len(truth) and result.orphans == 0
    assert result.variants == sum(len(p["variants"]) for p in truth)
    with engine.connect() as conn:
        repo = CatalogRepository(conn, merchant_id, "shopify")
        counts = repo.counts()
        assert counts["products"] == len(truth)
        assert counts["variants"] == result.variants
        assert counts["inventory_levels"] == result.inventory_levels > 0
        sample = truth[7]
        row = repo.product(sample["admin_graphql_api_id"])
        assert row["title"] == sample["title"]
        assert row["status"] == sample["status"].lower()
        assert [v["sku"] for v in repo.variants_of(row["id"])] == [v["sku"] for v in sample["variants"]]

    # The merchant edits a price in the admin; the next full import updates it in place.
    variant = sample["variants"][0]
    shop.control(
        "PATCH",
        f"/sandbox/shops/{{shop}}/products/{sample['id']}",
        json={"variants": [{"id": variant["admin_graphql_api_id"], "price": "1234.50"}]},
    )
    again = CatalogImporter(engine, merchant_id, "shopify").run(store.iter_catalog(timeout=30), full=True)
    assert again.products == len(truth) and again.variants_removed == 0
    with engine.connect() as conn:
        repo = CatalogRepository(conn, merchant_id, "shopify")
        assert repo.counts() == counts
        variants = repo.variants_of(repo.product(sample["admin_graphql_api_id"])["id"])
        assert variants[0]["price"] == "1234.50"


def test_changes_since_a_point_page_by_page(live_shop):
    shop = live_shop(catalog_size=12)
    store = shop.store(wait_when_throttled=True)
    everything, cursor = [], None
    while True:
        page = store.products_changed_since(datetime(2000, 1, 1, tzinfo=UTC), cursor)
        everything.extend(page.products)
        if not page.has_more:
            break
        cursor = page.next_cursor
    truth = true_catalog(shop)
    assert sorted(p.external_id for p in everything) == sorted(p["admin_graphql_api_id"] for p in truth)
    # Products with more variants than fit in a page are completed with follow-up pages.
    by_id = {p.external_id: p for p in everything}
    for product in truth:
        assert [v.external_id for v in by_id[product["admin_graphql_api_id"]].variants] == [
            v["admin_graphql_api_id"] for v in product["variants"]
        ]

    latest = max(p.updated_at for p in everything)
    edited = truth[3]
    shop.control("POST", "/sandbox/clock", json={"seconds": 60})
    shop.control("PATCH", f"/sandbox/shops/{{shop}}/products/{edited['id']}", json={"title": "Renamed in the admin"})
    page = store.products_changed_since(latest + timedelta(seconds=1))
    assert [(p.external_id, p.title) for p in page.products] == [
        (edited["admin_graphql_api_id"], "Renamed in the admin")
    ]
    assert not page.has_more
