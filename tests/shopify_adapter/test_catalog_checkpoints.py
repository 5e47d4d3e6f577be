"""The catalog stream of the store port, resumed from a checkpoint (sandbox over HTTP, SQLite and
PostgreSQL): an import stopped at any checkpoint and resumed there writes exactly what one uninterrupted
read writes, even when the checkpoint falls between two images of one product."""

from __future__ import annotations

from collections import defaultdict

import pytest
from sqlalchemy import select

from tests.support.waiting import wait_for
from tokbridge.catalog.importer import CatalogImporter
from tokbridge.catalog.models import CatalogImage, CatalogProduct, CatalogVariant
from tokbridge.channels.base import CatalogCheckpoint, CatalogPending, CatalogStream, ImageOf, Product, VariantOf
from tokbridge.channels.shopify.store import ShopifyStore


class Killed(Exception):
    """The worker died: raised by the test's own checkpoint callback."""


def ready_stream(store: ShopifyStore, checkpoint: dict | None = None) -> CatalogStream:
    steps = [store.read_catalog(checkpoint)]

    def ready() -> bool:
        if isinstance(steps[-1], CatalogPending):
            steps.append(store.read_catalog(steps[-1].checkpoint))
        return not isinstance(steps[-1], CatalogPending)

    wait_for(ready, what="the store's export")
    return steps[-1]


def expected_catalog(items) -> dict:
    expected = defaultdict(lambda: {"variants": set(), "images": []})
    for item in items:
        if type(item) is Product:
            expected[item.external_id]  # noqa: B018 - a product without children still counts
        elif type(item) is VariantOf:
            expected[item.product_external_id]["variants"].add(item.variant.external_id)
        elif type(item) is ImageOf:
            expected[item.product_external_id]["images"].append((item.image.position, item.image.url))
    return expected


def catalog_in_database(engine, merchant_id) -> dict:
    with engine.connect() as conn:
        products = {
            row.id: row.external_id
            for row in conn.execute(
                select(CatalogProduct.id, CatalogProduct.external_id).where(CatalogProduct.merchant_id == merchant_id)
            )
        }
        found = defaultdict(lambda: {"variants": set(), "images": []})
        for external_id in products.values():
            found[external_id]  # noqa: B018
        for row in conn.execute(select(CatalogVariant.product_id, CatalogVariant.external_id)):
            found[products[row.product_id]]["variants"].add(row.external_id)
        for row in conn.execute(
            select(CatalogImage.product_id, CatalogImage.position, CatalogImage.url).order_by(
                CatalogImage.product_id, CatalogImage.position
            )
        ):
            found[products[row.product_id]]["images"].append((row.position, row.url))
    return found


def test_import_resumed_between_two_images_of_a_product_writes_what_one_read_writes(live_shop, engine, merchant_id):
    shop = live_shop(catalog_size=25)
    store = ShopifyStore(shop.client(wait_when_throttled=True), checkpoint_every=1)  # a checkpoint per line
    stream = ready_stream(store)
    items = list(stream.items)
    expected = expected_catalog(items)
    # The export's first checkpoint between two images of the same product.
    resume_at = next(
        items[i].state
        for i in range(1, len(items) - 1)
        if type(items[i]) is CatalogCheckpoint
        and type(items[i - 1]) is ImageOf
        and type(items[i + 1]) is ImageOf
        and items[i - 1].product_external_id == items[i + 1].product_external_id
    )

    saved = {}

    def save_then_die_after_resume_point(conn, checkpoint: CatalogCheckpoint, so_far) -> None:
        if saved.get("state") == resume_at:
            raise Killed  # the next checkpoint's writes roll back with it
        saved.update(state=checkpoint.state, synced_at=so_far.started_at, products=so_far.products)

    # The same export, read again from its start, and killed just after the chosen checkpoint.
    with pytest.raises(Killed):
        CatalogImporter(engine, merchant_id, "shopify").run(
            ready_stream(store, {"operation": resume_at["operation"]}).items,
            full=True,
            on_checkpoint=save_then_die_after_resume_point,
        )
    assert saved["state"] == resume_at
    assert len(catalog_in_database(engine, merchant_id)) == saved["products"]

    resumed = CatalogImporter(engine, merchant_id, "shopify").run(
        ready_stream(store, saved["state"]).items,
        full=True,
        resumed_from=saved["synced_at"],
        on_checkpoint=lambda *_: None,
    )
    # Only what came after the checkpoint was read again, and nothing was swept as unseen.
    assert resumed.products == len(expected) - saved["products"]
    assert resumed.products_removed == 0 and resumed.orphans == 0
    assert catalog_in_database(engine, merchant_id) == expected
