"""Write a catalog stream (`tokbridge.channels.base.CatalogItem`) into the catalog tables.

The stream is consumed once, in order, and written in batches: products first, then the
variants and images that refer to them, then stock levels. A child never waits for its whole
product, so memory stays flat whatever the catalog size; only the external-id -> row-id maps of
products and variants grow (needed to attach children that arrive later).

Each batch commits on its own. A full import then sweeps what it did not see: variants gone
from the store are deleted, products are flagged "deleted" (listings may still point at them).
A stream that breaks off raises before the sweep, so a partial import never deletes anything.
Run one import per merchant and channel at a time (a job identity key does that).

Resuming: with an `on_checkpoint`, writes happen only at each `CatalogCheckpoint` in the stream (and at
its end): everything buffered is written and the caller saves the checkpoint, in one transaction. What
is in the database and the saved checkpoint always agree, so a resumed import neither skips nor repeats
anything. A resumed run keeps the first run's `synced_at` (everything it wrote counts as seen by the
sweep) and finds the parents written before the interruption in the database.
"""

from __future__ import annotations

import gc
import hashlib
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import orjson
from sqlalchemy import Connection, Engine

from tokbridge.catalog.repository import CatalogRepository
from tokbridge.catalog.repository import products as products_table
from tokbridge.catalog.repository import variants as variants_table
from tokbridge.channels.base import (
    CatalogCheckpoint,
    CatalogItem,
    ImageOf,
    InventoryLevel,
    LevelOf,
    Product,
    ProductImage,
    ProductVariant,
    VariantOf,
)
from tokbridge.db import utcnow


def content_hash(product: Product) -> str:
    """Fingerprint of what a listing shows from the product itself (not prices or stock)."""
    material = [
        product.title,
        product.description_html,
        product.vendor,
        product.product_type,
        product.handle,
        product.tags,
        product.status,
        [[o.name, o.values] for o in product.options],
    ]
    return hashlib.sha256(orjson.dumps(material)).hexdigest()


@contextmanager
def _fewer_gc_passes() -> Iterator[None]:
    """An import allocates millions of short-lived, acyclic objects (freed by reference counting)
    while its id maps grow; the default thresholds then run full collections over and over, a
    third of the import's time. Collect less often for the duration and restore afterwards."""
    previous = gc.get_threshold()
    gc.set_threshold(max(previous[0], 200_000), max(previous[1], 50), max(previous[2], 1000))
    try:
        yield
    finally:
        gc.set_threshold(*previous)


@dataclass
class ImportResult:
    products: int = 0
    variants: int = 0
    images: int = 0
    inventory_levels: int = 0
    orphans: int = 0  # children whose parent never came (a truncated file): skipped
    variants_removed: int = 0
    products_removed: int = 0
    started_at: datetime = field(default_factory=utcnow)


class CatalogImporter:
    def __init__(self, engine: Engine, merchant_id: int, channel: str, *, batch_size: int = 5000):
        self.engine = engine
        self.merchant_id = merchant_id
        self.channel = channel
        self.batch_size = batch_size

    def run(
        self,
        items: Iterable[CatalogItem | CatalogCheckpoint],
        *,
        full: bool,
        resumed_from: datetime | None = None,
        on_checkpoint: OnCheckpoint | None = None,
    ) -> ImportResult:
        """Import a stream. `full`: it is the whole catalog, so anything not in it is gone.

        `resumed_from`: the `synced_at` of the interrupted run this one continues (its result's
        `started_at`). `on_checkpoint(conn, checkpoint, result)` is called inside the transaction that
        wrote everything before the checkpoint; the counts of `result` are this run's so far."""
        run = _Run(
            self, resumed_from or utcnow(), resumed=resumed_from is not None, checkpointed=on_checkpoint is not None
        )
        # Every batch reads (existing ids) and then writes: declared as writes, SQLite queues them behind
        # other writers instead of failing them (see tokbridge.db.engine.for_writing).
        with _fewer_gc_passes(), self.engine.connect().execution_options(write=True) as conn:
            run.conn = conn
            for item in items:
                if isinstance(item, CatalogCheckpoint):
                    if on_checkpoint is None:
                        continue  # nobody saves it: keep the batches whole
                    with conn.begin():
                        run.flush_all()
                        on_checkpoint(conn, item, run.result)
                else:
                    run.add(item)
            run.flush_all()
        result = run.result
        if full:
            with self.engine.connect().execution_options(write=True) as conn, conn.begin():
                repo = CatalogRepository(conn, self.merchant_id, self.channel)
                result.variants_removed = repo.sweep_variants(run.synced_at)
                result.products_removed = repo.mark_missing_products_deleted(run.synced_at)
                repo.analyze()
        elif run.product_ids:
            with self.engine.begin() as conn:
                repo = CatalogRepository(conn, self.merchant_id, self.channel)
                ids = list(run.product_ids.values())
                for start in range(0, len(ids), 1000):
                    result.variants_removed += repo.sweep_variants(run.synced_at, ids[start : start + 1000])
        return result


OnCheckpoint = Callable[[Connection, CatalogCheckpoint, ImportResult], None]


class _Run:
    """The buffers and id maps of one import."""

    def __init__(
        self, importer: CatalogImporter, synced_at: datetime, *, resumed: bool = False, checkpointed: bool = False
    ):
        self.importer = importer
        self.synced_at = synced_at
        self.resumed = resumed
        # Products written before a resume: their images already stored, which new ones come after.
        self.image_offsets: dict[int, int] = {}
        # With checkpoints, nothing is written between two of them: a write past the saved checkpoint
        # would be read again on resuming (and a product's images twice). The store's checkpoints come
        # often enough to bound what is buffered.
        self.batch = sys.maxsize if checkpointed else importer.batch_size
        self.conn: Connection | None = None  # one connection for the whole import, a transaction per batch
        self.result = ImportResult(started_at=synced_at)
        self.product_ids: dict[str, int] = {}
        self.variant_ids: dict[str, int] = {}
        self.products: list[Product] = []
        self.variants: list[VariantOf] = []
        self.images: list[ImageOf] = []
        self.levels: list[LevelOf] = []

    def add(self, item: CatalogItem) -> None:
        if isinstance(item, LevelOf):
            self.levels.append(item)
            if len(self.levels) >= self.batch:
                self.flush_levels()
        elif isinstance(item, VariantOf):
            self.variants.append(item)
            if len(self.variants) >= self.batch:
                self.flush_variants()
        elif isinstance(item, ImageOf):
            self.images.append(item)
            if len(self.images) >= self.batch:
                self.flush_images()
        elif isinstance(item, Product):
            self.products.append(item)
            # A product read with its children (paginated reads) is expanded into the same stream.
            for variant in item.variants:
                self.variants.append(VariantOf(item.external_id, variant))
                self.levels.extend(LevelOf(variant.external_id, level) for level in variant.inventory_levels)
            for image in item.images:
                self.images.append(ImageOf(item.external_id, image))
            if len(self.products) >= self.batch:
                self.flush_products()
            if len(self.variants) >= self.batch:
                self.flush_variants()
            if len(self.images) >= self.batch:
                self.flush_images()
            if len(self.levels) >= self.batch:
                self.flush_levels()
        else:
            raise TypeError(f"not a catalog item: {type(item).__name__}")

    # Flushing writes a batch; parents are always written before their children.

    def flush_all(self) -> None:
        self.flush_images()
        self.flush_levels()  # flushes variants, which flush products

    def flush_products(self) -> None:
        if self.products:
            batch, self.products = self.products, []
            self._write_products(batch)

    def flush_variants(self) -> None:
        self.flush_products()
        if self.variants:
            batch, self.variants = self.variants, []
            self._write_variants(batch)

    def flush_images(self) -> None:
        self.flush_products()
        if self.images:
            batch, self.images = self.images, []
            self._write_images(batch)

    def flush_levels(self) -> None:
        self.flush_variants()
        if self.levels:
            batch, self.levels = self.levels, []
            self._write_levels(batch)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """A transaction per batch, unless the batch is part of a checkpoint's transaction."""
        if self.conn is None:
            raise RuntimeError("batches are written only while the importer runs")
        if self.conn.in_transaction():
            yield
        else:
            with self.conn.begin():
                yield

    def _resolve_parents(self, batch: list, parent_ids: dict, parent_key) -> None:
        """After a resume, find the parents written before the interruption (children may come after
        the checkpoint that followed their parent)."""
        if not self.resumed:
            return
        missing = list({key for key in map(parent_key, batch) if key not in parent_ids})
        if not missing:
            return
        with self._transaction():
            repo = self._repo(self.conn)
            if parent_ids is self.product_ids:
                found = repo.ids_synced_at(products_table, missing, self.synced_at)
                self.image_offsets.update(repo.last_image_positions(list(found.values())))
            else:
                found = repo.ids_synced_at(variants_table, missing, self.synced_at)
        parent_ids.update(found)

    def _repo(self, conn) -> CatalogRepository:
        return CatalogRepository(conn, self.importer.merchant_id, self.importer.channel)

    def _write_products(self, batch: list[Product]) -> None:
        synced_at, channel = self.synced_at, self.importer.channel
        rows = [
            (
                channel,
                p.external_id,
                p.title,
                p.description_html,
                p.vendor,
                p.product_type,
                p.handle,
                p.tags,
                p.status,
                p.updated_at,
                content_hash(p),
                synced_at,
            )
            for p in batch
        ]  # fmt: skip  (order: repository.PRODUCT_COLUMNS)
        with self._transaction():
            conn = self.conn
            repo = self._repo(conn)
            # Only products seen before have children to replace (none on a first import).
            existing = repo.existing_ids(products_table, [p.external_id for p in batch])
            ids = repo.upsert_products(rows)
            repo.clear_children(existing.values())
            repo.upsert_options([(ids[p.external_id], o.position, o.name, o.values) for p in batch for o in p.options])
        self.product_ids.update(ids)
        self.result.products += len(batch)

    def _rows_with_parent(self, batch: list, parent_ids: dict, parent_key, make_row) -> list[tuple]:
        """Rows for the children whose parent was written; the others are counted as orphans."""
        self._resolve_parents(batch, parent_ids, parent_key)
        rows = []
        for item in batch:
            parent_id = parent_ids.get(parent_key(item))
            if parent_id is None:
                self.result.orphans += 1
            else:
                rows.append(make_row(item, parent_id))
        return rows

    def _write_variants(self, batch: list[VariantOf]) -> None:
        rows = self._rows_with_parent(
            batch,
            self.product_ids,
            lambda item: item.product_external_id,
            lambda item, product_id: _variant_row(item.variant, product_id, self.importer.channel, self.synced_at),
        )
        with self._transaction():
            conn = self.conn
            ids = self._repo(conn).upsert_variants(rows)
        self.variant_ids.update(ids)
        self.result.variants += len(rows)

    def _write_images(self, batch: list[ImageOf]) -> None:
        offsets = self.image_offsets
        rows = self._rows_with_parent(
            batch,
            self.product_ids,
            lambda item: item.product_external_id,
            lambda item, product_id: _image_row(item.image, product_id, offsets.get(product_id, 0)),
        )
        with self._transaction():
            conn = self.conn
            self._repo(conn).insert_images(rows)
        self.result.images += len(rows)

    def _write_levels(self, batch: list[LevelOf]) -> None:
        rows = self._rows_with_parent(
            batch,
            self.variant_ids,
            lambda item: item.variant_external_id,
            lambda item, variant_id: _level_row(item.level, variant_id, self.synced_at),
        )
        with self._transaction():
            conn = self.conn
            self._repo(conn).upsert_levels(rows)
        self.result.inventory_levels += len(rows)


# Row builders, in the column order of tokbridge.catalog.repository.*_COLUMNS.


def _variant_row(v: ProductVariant, product_id: int, channel: str, synced_at: datetime) -> tuple:
    return (
        product_id, channel, v.external_id, v.title, v.position, v.sku, v.barcode, v.price, v.compare_at_price,
        v.option_values, v.weight_grams, v.inventory_item_external_id, v.inventory_tracked, synced_at,
    )  # fmt: skip


def _image_row(image: ProductImage, product_id: int, offset: int = 0) -> tuple:
    return (product_id, image.external_id, image.url, image.alt_text, offset + image.position)


def _level_row(level: InventoryLevel, variant_id: int, synced_at: datetime) -> tuple:
    return (variant_id, level.location_external_id, level.available, synced_at)
