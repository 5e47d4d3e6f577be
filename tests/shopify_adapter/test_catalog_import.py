"""The importer against a real database (SQLite and PostgreSQL), fed a neutral catalog stream."""

from datetime import UTC, datetime

from sqlalchemy import select

from tokbridge.catalog.importer import CatalogImporter
from tokbridge.catalog.repository import CatalogRepository, products
from tokbridge.channels.base import (
    ImageOf,
    InventoryLevel,
    LevelOf,
    Product,
    ProductImage,
    ProductOption,
    ProductVariant,
    VariantOf,
)
from tokbridge.db.engine import session_scope
from tokbridge.tenancy.models import Merchant


def gid(kind, n):
    return f"gid://shopify/{kind}/{n}"


def interleaved_stream(count, *, price="10.00", skip_variant=None):
    """Products first, their children later and interleaved, as in an ungrouped bulk file."""
    items, later = [], []
    for n in range(1, count + 1):
        items.append(
            Product(
                external_id=gid("Product", n),
                title=f"Shirt {n}",
                status="active",
                tags=["a", "b"],
                updated_at=datetime(2026, 1, 1, tzinfo=UTC),
                options=[ProductOption(name="Size", position=1, values=["S", "M"])],
            )
        )
        for v in (1, 2):
            vid = n * 10 + v
            if vid == skip_variant:
                continue
            later.append(
                VariantOf(
                    gid("Product", n),
                    ProductVariant(
                        external_id=gid("ProductVariant", vid),
                        title="S" if v == 1 else "M",
                        position=v,
                        price=price,
                        compare_at_price="12.50",
                        sku=f"SKU-{vid}",
                        option_values={"Size": "S" if v == 1 else "M"},
                    ),
                )
            )
            later.append(LevelOf(gid("ProductVariant", vid), InventoryLevel(gid("Location", 1), vid)))
        later.append(ImageOf(gid("Product", n), ProductImage(gid("MediaImage", n), f"https://img/{n}.png", 1)))
        if n % 3 == 0:  # release some children, keep others for the end: parents always come first
            items.extend(later)
            later = []
    return items + later


def test_import_writes_every_table_and_reimport_upserts(engine, merchant_id):
    importer = CatalogImporter(engine, merchant_id, "shopify", batch_size=7)
    result = importer.run(interleaved_stream(25), full=True)
    assert (result.products, result.variants, result.images, result.inventory_levels) == (25, 50, 25, 50)
    assert result.orphans == 0

    with engine.connect() as conn:
        repo = CatalogRepository(conn, merchant_id, "shopify")
        assert repo.counts() == {"products": 25, "variants": 50, "options": 25, "images": 25, "inventory_levels": 50}
        product = repo.product(gid("Product", 4))
        assert product["title"] == "Shirt 4" and product["tags"] == ["a", "b"] and len(product["content_hash"]) == 64
        variants = repo.variants_of(product["id"])
        assert [(v["sku"], v["price"], v["compare_at_price"], v["option_values"]) for v in variants] == [
            ("SKU-41", "10.00", "12.50", {"Size": "S"}),
            ("SKU-42", "10.00", "12.50", {"Size": "M"}),
        ]
        assert repo.levels_of(variants[0]["id"]) == {gid("Location", 1): 41}
        first_ids = [v["id"] for v in variants]

    # Second full import: a price changed, one variant and the last product are gone.
    result = importer.run(interleaved_stream(24, price="11.00", skip_variant=42), full=True)
    assert result.variants_removed == 3  # variant 42, and the two of product 25
    assert result.products_removed == 1
    with engine.connect() as conn:
        repo = CatalogRepository(conn, merchant_id, "shopify")
        assert repo.counts() == {"products": 24, "variants": 47, "options": 24, "images": 24, "inventory_levels": 47}
        product = repo.product(gid("Product", 4))
        variants = repo.variants_of(product["id"])
        assert [v["id"] for v in variants] == first_ids[:1]  # ids survive re-imports
        assert variants[0]["price"] == "11.00"
        assert repo.product(gid("Product", 25))["status"] == "deleted"


def test_every_read_is_scoped_to_the_merchant(engine, merchant_id):
    with session_scope(engine) as session:
        other = Merchant(name="Other")
        session.add(other)
        session.flush()
        other_id = other.id
    CatalogImporter(engine, merchant_id, "shopify").run(interleaved_stream(3), full=True)
    CatalogImporter(engine, other_id, "shopify").run(interleaved_stream(2, price="99.00"), full=True)
    with engine.connect() as conn:
        mine = CatalogRepository(conn, merchant_id, "shopify")
        theirs = CatalogRepository(conn, other_id, "shopify")
        assert mine.counts()["products"] == 3 and theirs.counts()["products"] == 2
        assert mine.variants_of(mine.product(gid("Product", 1))["id"])[0]["price"] == "10.00"
        assert theirs.variants_of(theirs.product(gid("Product", 1))["id"])[0]["price"] == "99.00"
        # the same external ids exist twice, once per merchant
        assert len(conn.execute(select(products.c.id).where(products.c.external_id == gid("Product", 1))).all()) == 2


def test_orphans_are_counted_not_written(engine, merchant_id):
    stream = [VariantOf(gid("Product", 9), ProductVariant(gid("ProductVariant", 1), "x", 1, "1.00"))]
    result = CatalogImporter(engine, merchant_id, "shopify").run(stream, full=False)
    assert result.orphans == 1 and result.variants == 0


def test_a_stream_that_breaks_off_raises_and_deletes_nothing(engine, merchant_id):
    """An error while reading reaches the caller after the items before it were written, and before the
    sweep could take the products it did not see for gone."""
    CatalogImporter(engine, merchant_id, "shopify").run(interleaved_stream(5000), full=True)

    class DownloadBroke(Exception):
        pass

    def broken():
        yield from interleaved_stream(4500, price="11.00")[:6000]
        raise DownloadBroke("connection reset")

    try:
        CatalogImporter(engine, merchant_id, "shopify").run(broken(), full=True)
    except DownloadBroke:
        pass
    else:
        raise AssertionError("the reading error did not reach the caller")
    with engine.connect() as conn:
        repository = CatalogRepository(conn, merchant_id, "shopify")
        assert repository.counts()["products"] == 5000
        statuses = {row.status for row in conn.execute(select(products.c.status))}
    assert statuses == {"active"}  # nothing was flagged deleted
