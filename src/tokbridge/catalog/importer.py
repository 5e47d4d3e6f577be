"""Write a catalog stream (`tokbridge.channels.base.CatalogItem`) into the catalog tables.

The stream is consumed once, in order, and written in batches: products first, then the
variants and images that refer to them, then stock levels. A child never waits for its whole
product, so memory stays flat whatever the catalog size; only the external-id -> row-id maps of
products and variants grow (needed to attach children that arrive later).

Each batch commits on its own. A full import then sweeps what it did not see: variants gone
from the store are deleted, products are flagged "deleted" (listings may still point at them).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine

from tokbridge.catalog.repository import CatalogRepository
from tokbridge.channels.base import (
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
    return hashlib.sha256(json.dumps(material, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


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
    def __init__(self, engine: Engine, merchant_id: int, channel: str, *, batch_size: int = 1000):
        self.engine = engine
        self.merchant_id = merchant_id
        self.channel = channel
        self.batch_size = batch_size

    def run(self, items: Iterable[CatalogItem], *, full: bool) -> ImportResult:
        """Import a stream. `full`: it is the whole catalog, so anything not in it is gone."""
        run = _Run(self, utcnow())
        for item in items:
            run.add(item)
        run.flush_all()
        result = run.result
        if full:
            with self.engine.begin() as conn:
                repo = CatalogRepository(conn, self.merchant_id, self.channel)
                result.variants_removed = repo.sweep_variants(run.synced_at)
                result.products_removed = repo.mark_missing_products_deleted(run.synced_at)
        elif run.product_ids:
            with self.engine.begin() as conn:
                repo = CatalogRepository(conn, self.merchant_id, self.channel)
                ids = list(run.product_ids.values())
                for start in range(0, len(ids), 1000):
                    result.variants_removed += repo.sweep_variants(run.synced_at, ids[start : start + 1000])
        return result


class _Run:
    """The buffers and id maps of one import."""

    def __init__(self, importer: CatalogImporter, synced_at: datetime):
        self.importer = importer
        self.synced_at = synced_at
        self.batch = importer.batch_size
        self.result = ImportResult(started_at=synced_at)
        self.product_ids: dict[str, int] = {}
        self.variant_ids: dict[str, int] = {}
        self.products: list[Product] = []
        self.variants: list[VariantOf] = []
        self.images: list[ImageOf] = []
        self.levels: list[LevelOf] = []

    def add(self, item: CatalogItem) -> None:
        if isinstance(item, Product):
            self.products.append(item)
            # A product read with its children (paginated reads) is expanded into the same stream.
            for variant in item.variants:
                self.variants.append(VariantOf(item.external_id, variant))
            for image in item.images:
                self.images.append(ImageOf(item.external_id, image))
            if len(self.products) >= self.batch:
                self.flush_products()
        elif isinstance(item, VariantOf):
            self.variants.append(item)
        elif isinstance(item, ImageOf):
            self.images.append(item)
        elif isinstance(item, LevelOf):
            self.levels.append(item)
        if len(self.variants) >= self.batch:
            self.flush_variants()
        if len(self.images) >= self.batch:
            self.flush_images()
        if len(self.levels) >= self.batch:
            self.flush_levels()

    def flush_all(self) -> None:
        self.flush_images()
        self.flush_levels()  # flushes variants, which flush products

    def _repo(self, conn) -> CatalogRepository:
        return CatalogRepository(conn, self.importer.merchant_id, self.importer.channel)

    def flush_products(self) -> None:
        if not self.products:
            return
        batch, self.products = self.products, []
        rows = [
            {
                "external_id": p.external_id,
                "title": p.title,
                "description_html": p.description_html,
                "vendor": p.vendor,
                "product_type": p.product_type,
                "handle": p.handle,
                "tags": p.tags,
                "status": p.status,
                "source_updated_at": p.updated_at,
                "content_hash": content_hash(p),
                "synced_at": self.synced_at,
            }
            for p in batch
        ]
        with self.importer.engine.begin() as conn:
            repo = self._repo(conn)
            ids = repo.upsert_products(rows)
            repo.clear_children(ids.values())
            repo.upsert_options(
                [
                    {"product_id": ids[p.external_id], "position": o.position, "name": o.name, "values": o.values}
                    for p in batch
                    for o in p.options
                ]
            )
        self.product_ids.update(ids)
        self.result.products += len(batch)
        for variant in (v for p in batch for v in p.variants):
            for level in variant.inventory_levels:
                self.levels.append(LevelOf(variant.external_id, level))

    def flush_variants(self) -> None:
        self.flush_products()
        if not self.variants:
            return
        batch, self.variants = self.variants, []
        rows = []
        for item in batch:
            product_id = self.product_ids.get(item.product_external_id)
            if product_id is None:
                self.result.orphans += 1
                continue
            rows.append(_variant_row(item.variant, product_id, self.synced_at))
        with self.importer.engine.begin() as conn:
            ids = self._repo(conn).upsert_variants(rows)
        self.variant_ids.update(ids)
        self.result.variants += len(rows)

    def flush_images(self) -> None:
        self.flush_products()
        if not self.images:
            return
        batch, self.images = self.images, []
        rows = []
        for item in batch:
            product_id = self.product_ids.get(item.product_external_id)
            if product_id is None:
                self.result.orphans += 1
                continue
            rows.append(_image_row(item.image, product_id))
        with self.importer.engine.begin() as conn:
            self._repo(conn).insert_images(rows)
        self.result.images += len(rows)

    def flush_levels(self) -> None:
        self.flush_variants()
        if not self.levels:
            return
        batch, self.levels = self.levels, []
        rows = []
        for item in batch:
            variant_id = self.variant_ids.get(item.variant_external_id)
            if variant_id is None:
                self.result.orphans += 1
                continue
            rows.append(_level_row(item.level, variant_id, self.synced_at))
        with self.importer.engine.begin() as conn:
            self._repo(conn).upsert_levels(rows)
        self.result.inventory_levels += len(rows)


def _variant_row(variant: ProductVariant, product_id: int, synced_at: datetime) -> dict:
    return {
        "external_id": variant.external_id,
        "product_id": product_id,
        "title": variant.title,
        "position": variant.position,
        "sku": variant.sku,
        "barcode": variant.barcode,
        "price": variant.price,
        "compare_at_price": variant.compare_at_price,
        "option_values": variant.option_values,
        "weight": variant.weight,
        "weight_unit": variant.weight_unit,
        "inventory_item_external_id": variant.inventory_item_external_id,
        "inventory_tracked": variant.inventory_tracked,
        "synced_at": synced_at,
    }


def _image_row(image: ProductImage, product_id: int) -> dict:
    return {
        "product_id": product_id,
        "external_id": image.external_id,
        "url": image.url,
        "alt_text": image.alt_text,
        "position": image.position,
    }


def _level_row(level: InventoryLevel, variant_id: int, synced_at: datetime) -> dict:
    return {
        "variant_id": variant_id,
        "location_external_id": level.location_external_id,
        "available": level.available,
        "synced_at": synced_at,
    }
