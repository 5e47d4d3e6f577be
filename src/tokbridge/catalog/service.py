"""Catalog jobs, as steps a worker can run without ever sleeping.

- Full import: `start_full_import` asks the store for an export and returns its id; the
  `bulk_operations/finish` webhook (or a later retry) calls `finish_full_import`, which raises a
  retryable `BulkOperationPending` (with `retry_after`) while the store is still working.
- Changes: `import_changes_since` pages through products changed after a watermark and returns
  the next watermark.
- Webhooks: `refresh_products` re-reads products named by `products/create|update` (reading the
  current state makes late, duplicate or out-of-order deliveries harmless); `products/delete`
  goes to `mark_products_deleted`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Engine

from tokbridge.catalog.importer import CatalogImporter, ImportResult
from tokbridge.catalog.repository import CatalogRepository
from tokbridge.channels.base import Product
from tokbridge.channels.shopify.store import ShopifyStore


def start_full_import(store: ShopifyStore) -> str:
    return store.start_catalog_export().id


def finish_full_import(store: ShopifyStore, engine: Engine, merchant_id: int, operation_id: str) -> ImportResult:
    operation = store.catalog_export_status(operation_id)
    items = store.read_catalog_export(operation)  # BulkOperationPending / BulkOperationFailed
    return CatalogImporter(engine, merchant_id, store.channel).run(items, full=True)


def import_changes_since(
    store: ShopifyStore, engine: Engine, merchant_id: int, since: datetime
) -> tuple[ImportResult, datetime]:
    """Import every product updated after `since`; returns the result and the new watermark."""
    watermark = since
    products: list[Product] = []
    cursor = None
    while True:
        page = store.products_changed_since(since, cursor)
        products.extend(page.products)
        watermark = max([watermark, *(p.updated_at for p in page.products if p.updated_at)])
        if not page.has_more:
            break
        cursor = page.next_cursor
    result = CatalogImporter(engine, merchant_id, store.channel).run(products, full=False)
    return result, watermark


def refresh_products(store: ShopifyStore, engine: Engine, merchant_id: int, external_ids: Iterable[str]) -> ImportResult:
    """Re-read these products; those the store no longer has are marked deleted."""
    found, gone = [], []
    for external_id in dict.fromkeys(external_ids):
        product = store.product(external_id)
        (found if product is not None else gone).append(product or external_id)
    result = CatalogImporter(engine, merchant_id, store.channel).run(found, full=False)
    if gone:
        result.products_removed = mark_products_deleted(engine, merchant_id, store.channel, gone)
    return result


def mark_products_deleted(engine: Engine, merchant_id: int, channel: str, external_ids: Iterable[str]) -> int:
    with engine.begin() as conn:
        return CatalogRepository(conn, merchant_id, channel).mark_deleted(external_ids)
