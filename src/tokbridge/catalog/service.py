"""Catalog reads through the store port, as steps a worker can run without ever sleeping.

- Full import: `start_full_import` asks the store for its catalog; `finish_full_import` writes it once
  ready, raising a retryable `CatalogNotReady` (with `retry_after`) while the store is still preparing
  it. `import_whole_catalog` does both, waiting in between, for the command line and benchmarks.
- Changes: `import_changes_since` pages through products changed after a watermark and returns
  the next watermark (polling: works whether or not the store sends webhooks).
- Events: `refresh_products` re-reads products a store said changed (reading the current state makes
  late, duplicate or out-of-order deliveries harmless); deletions go to `mark_products_deleted`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import Engine

from tokbridge.catalog.importer import CatalogImporter, ImportResult
from tokbridge.catalog.repository import CatalogRepository
from tokbridge.channels.base import CatalogPending, CatalogStream, Product, SourceStore
from tokbridge.kit.errors import RetryableError


class CatalogNotReady(RetryableError):
    """The store is still preparing the catalog: ask again after `retry_after` seconds, from `checkpoint`.
    Waiting is not a failed attempt."""

    consumes_attempt = False

    def __init__(self, pending: CatalogPending):
        super().__init__(f"Waiting for {pending.waiting_for}", retry_after=pending.retry_after)
        self.checkpoint = pending.checkpoint


def start_full_import(store: SourceStore) -> CatalogPending | CatalogStream:
    """Ask the store for its whole catalog (an export starts where the store has one)."""
    return store.read_catalog(None)


def finish_full_import(
    store: SourceStore, engine: Engine, merchant_id: int, started: CatalogPending | CatalogStream
) -> ImportResult:
    """Import the catalog once the store has it ready; `CatalogNotReady` until then."""
    step = store.read_catalog(started.checkpoint) if isinstance(started, CatalogPending) else started
    if isinstance(step, CatalogPending):
        raise CatalogNotReady(step)
    return CatalogImporter(engine, merchant_id, store.channel).run(step.items, full=True)


def import_whole_catalog(
    store: SourceStore,
    engine: Engine,
    merchant_id: int,
    *,
    timeout: float = 3600.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> ImportResult:
    """Read and import the whole catalog, waiting while the store prepares it (command line, benchmarks
    and tests: workers use the job, which re-queues instead of sleeping)."""
    deadline = clock() + timeout
    step = store.read_catalog(None)
    while isinstance(step, CatalogPending):
        if clock() >= deadline:
            raise CatalogNotReady(step)
        sleep(min(step.retry_after, 2.0))
        step = store.read_catalog(step.checkpoint)
    return CatalogImporter(engine, merchant_id, store.channel).run(step.items, full=True)


def import_changes_since(
    store: SourceStore, engine: Engine, merchant_id: int, since: datetime
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


def refresh_products(store: SourceStore, engine: Engine, merchant_id: int, external_ids: Iterable[str]) -> ImportResult:
    """Re-read these products; those the store no longer has are marked deleted."""
    found: list[Product] = []
    gone: list[str] = []
    for external_id in dict.fromkeys(external_ids):
        product = store.product(external_id)
        if product is not None:
            found.append(product)
        else:
            gone.append(external_id)
    result = CatalogImporter(engine, merchant_id, store.channel).run(found, full=False)
    if gone:
        result.products_removed = mark_products_deleted(engine, merchant_id, store.channel, gone)
    return result


def mark_products_deleted(engine: Engine, merchant_id: int, channel: str, external_ids: Iterable[str]) -> int:
    with engine.begin() as conn:
        return CatalogRepository(conn, merchant_id, channel).mark_deleted(external_ids)
