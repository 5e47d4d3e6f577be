"""Reading and writing the catalog tables, always for one merchant and one channel.

Writes are batched Core statements (INSERT .. ON CONFLICT DO UPDATE, executemany) on an open
connection: an import writes hundreds of thousands of rows and the ORM's per-object work would
dominate. Reads go through the same object so every query carries the merchant's id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Connection, delete, func, select, update

from tokbridge.catalog.bulkwrite import upsert_many
from tokbridge.catalog.models import CatalogImage, CatalogInventoryLevel, CatalogOption, CatalogProduct, CatalogVariant

products = CatalogProduct.__table__
variants = CatalogVariant.__table__
options = CatalogOption.__table__
images = CatalogImage.__table__
levels = CatalogInventoryLevel.__table__

# Rows for the write methods are tuples in these orders (each table's own column order, without
# `id` and `merchant_id`, which the repository adds), so they reach the driver without reshuffling.
PRODUCT_COLUMNS = (
    "channel", "external_id", "title", "description_html", "vendor", "product_type", "handle", "tags", "status",
    "source_updated_at", "content_hash", "synced_at",
)  # fmt: skip
VARIANT_COLUMNS = (
    "product_id", "channel", "external_id", "title", "position", "sku", "barcode", "price", "compare_at_price",
    "option_values", "weight_grams", "inventory_item_external_id", "inventory_tracked", "synced_at",
)  # fmt: skip
OPTION_COLUMNS = ("product_id", "position", "name", "values")
IMAGE_COLUMNS = ("product_id", "external_id", "url", "alt_text", "position")
LEVEL_COLUMNS = ("variant_id", "location_external_id", "available", "synced_at")


class CatalogRepository:
    def __init__(self, connection: Connection, merchant_id: int, channel: str):
        self.conn = connection
        self.merchant_id = merchant_id
        self.channel = channel

    # --- writes: rows are tuples in *_COLUMNS order (the channel included where there is one) -----

    def upsert_products(self, rows: Sequence[tuple]) -> dict[str, int]:
        """Insert or update products; returns external id -> row id."""
        return self._upsert_keyed(products, PRODUCT_COLUMNS, rows)

    def upsert_variants(self, rows: Sequence[tuple]) -> dict[str, int]:
        """Insert or update variants; returns external id -> row id (ids survive re-imports)."""
        return self._upsert_keyed(variants, VARIANT_COLUMNS, rows)

    def existing_ids(self, table, external_ids: Sequence[str]) -> dict[str, int]:
        """External id -> row id of the rows of `table` (product or variant) that already exist."""
        if not external_ids:
            return {}
        rows = self.conn.execute(
            select(table.c.external_id, table.c.id).where(
                table.c.merchant_id == self.merchant_id,
                table.c.channel == self.channel,
                table.c.external_id.in_(external_ids),
            )
        )
        return dict(rows.all())

    def ids_synced_at(self, table, external_ids: Sequence[str], synced_at: datetime) -> dict[str, int]:
        """External id -> row id of the rows of `table` (product or variant) written by the import that
        started at `synced_at`: the parents a resumed import wrote before it was interrupted."""
        if not external_ids:
            return {}
        rows = self.conn.execute(
            select(table.c.external_id, table.c.id).where(
                table.c.merchant_id == self.merchant_id,
                table.c.channel == self.channel,
                table.c.external_id.in_(external_ids),
                table.c.synced_at == synced_at,
            )
        )
        return dict(rows.all())

    def last_image_positions(self, product_ids: Sequence[int]) -> dict[int, int]:
        """Product id -> the highest position of its images (products without images are left out)."""
        if not product_ids:
            return {}
        rows = self.conn.execute(
            select(images.c.product_id, func.max(images.c.position))
            .where(images.c.merchant_id == self.merchant_id, images.c.product_id.in_(product_ids))
            .group_by(images.c.product_id)
        )
        return {product_id: int(position) for product_id, position in rows.all()}

    def _upsert_keyed(self, table, columns: tuple[str, ...], rows: Sequence[tuple]) -> dict[str, int]:
        if not rows:
            return {}
        if any(row[columns.index("channel")] != self.channel for row in rows[:1]):
            raise ValueError("rows of another channel")
        scope = (self.merchant_id,)
        upsert_many(
            self.conn,
            table,
            (*columns, "merchant_id"),
            [row + scope for row in rows],
            conflict=("merchant_id", "channel", "external_id"),
        )
        key = columns.index("external_id")
        return self.existing_ids(table, [row[key] for row in rows])

    def upsert_options(self, rows: Sequence[tuple]) -> None:
        scope = (self.merchant_id,)
        upsert_many(
            self.conn,
            options,
            (*OPTION_COLUMNS, "merchant_id"),
            [r + scope for r in rows],
            conflict=("product_id", "position"),
        )

    def insert_images(self, rows: Sequence[tuple]) -> None:
        scope = (self.merchant_id,)
        upsert_many(
            self.conn, images, (*IMAGE_COLUMNS, "merchant_id"), [r + scope for r in rows], conflict=(), update=()
        )

    def upsert_levels(self, rows: Sequence[tuple]) -> None:
        scope = (self.merchant_id,)
        upsert_many(
            self.conn,
            levels,
            (*LEVEL_COLUMNS, "merchant_id"),
            [r + scope for r in rows],
            conflict=("variant_id", "location_external_id"),
            update=("available", "synced_at"),
        )

    def clear_children(self, product_ids: Iterable[int]) -> None:
        """Drop images, options and stock of these products before their fresh copies are written."""
        ids = list(product_ids)
        if not ids:
            return
        # Scoped through the merchant's own product and variant rows; filtering the child tables by
        # their indexed parent column keeps these deletes cheap on both backends.
        mine = select(products.c.id).where(products.c.merchant_id == self.merchant_id, products.c.id.in_(ids))
        their_variants = select(variants.c.id).where(
            variants.c.merchant_id == self.merchant_id, variants.c.product_id.in_(ids)
        )
        self.conn.execute(delete(levels).where(levels.c.variant_id.in_(their_variants)))
        self.conn.execute(delete(images).where(images.c.product_id.in_(mine)))
        self.conn.execute(delete(options).where(options.c.product_id.in_(mine)))

    def sweep_variants(self, seen_since: datetime, product_ids: Iterable[int] | None = None) -> int:
        """Delete variants no import has seen since `seen_since` (of `product_ids`, or of the whole store)."""
        stmt = delete(variants).where(
            variants.c.merchant_id == self.merchant_id,
            variants.c.channel == self.channel,
            variants.c.synced_at < seen_since,
        )
        if product_ids is not None:
            stmt = stmt.where(variants.c.product_id.in_(list(product_ids)))
        return self.conn.execute(stmt).rowcount

    def mark_missing_products_deleted(self, seen_since: datetime) -> int:
        """Products a full import did not see are gone from the store; keep the row, flag it."""
        return self.conn.execute(
            update(products)
            .where(
                products.c.merchant_id == self.merchant_id,
                products.c.channel == self.channel,
                products.c.synced_at < seen_since,
                products.c.status != "deleted",
            )
            .values(status="deleted")
        ).rowcount

    def mark_deleted(self, external_ids: Iterable[str]) -> int:
        """`products/delete` webhooks land here."""
        return self.conn.execute(
            update(products)
            .where(
                products.c.merchant_id == self.merchant_id,
                products.c.channel == self.channel,
                products.c.external_id.in_(list(external_ids)),
            )
            .values(status="deleted")
        ).rowcount

    # --- reads ------------------------------------------------------------------------------------

    def product(self, external_id: str) -> dict | None:
        row = (
            self.conn.execute(
                select(products).where(
                    products.c.merchant_id == self.merchant_id,
                    products.c.channel == self.channel,
                    products.c.external_id == external_id,
                )
            )
            .mappings()
            .first()
        )
        return dict(row) if row else None

    def variants_of(self, product_id: int) -> list[dict]:
        rows = self.conn.execute(
            select(variants)
            .where(variants.c.merchant_id == self.merchant_id, variants.c.product_id == product_id)
            .order_by(variants.c.position, variants.c.id)
        ).mappings()
        return [dict(r) for r in rows]

    def options_of(self, product_id: int) -> list[dict]:
        rows = self.conn.execute(
            select(options)
            .where(options.c.merchant_id == self.merchant_id, options.c.product_id == product_id)
            .order_by(options.c.position)
        ).mappings()
        return [dict(r) for r in rows]

    def images_of(self, product_id: int) -> list[dict]:
        rows = self.conn.execute(
            select(images)
            .where(images.c.merchant_id == self.merchant_id, images.c.product_id == product_id)
            .order_by(images.c.position)
        ).mappings()
        return [dict(r) for r in rows]

    def levels_of(self, variant_id: int) -> dict[str, int]:
        rows = self.conn.execute(
            select(levels.c.location_external_id, levels.c.available).where(
                levels.c.merchant_id == self.merchant_id, levels.c.variant_id == variant_id
            )
        )
        return dict(rows.all())

    def counts(self) -> dict[str, int]:
        """Rows per table for this merchant and channel (deleted products and their rows excluded)."""
        live = (
            products.c.merchant_id == self.merchant_id,
            products.c.channel == self.channel,
            products.c.status != "deleted",
        )

        def count(*joins_and_where) -> int:
            *joins, where = joins_and_where
            query = select(func.count()).select_from(products)
            for table, on in joins:
                query = query.join(table, on)
            return self.conn.execute(query.where(*where)).scalar_one()

        with_variants = (variants, variants.c.product_id == products.c.id)
        return {
            "products": count(live),
            "variants": count(with_variants, live),
            "options": count((options, options.c.product_id == products.c.id), live),
            "images": count((images, images.c.product_id == products.c.id), live),
            "inventory_levels": count(with_variants, (levels, levels.c.variant_id == variants.c.id), live),
        }

    def status_counts(self) -> dict[str, int]:
        """Products per store status (active, draft, archived), deleted ones left out."""
        rows = self.conn.execute(
            select(products.c.status, func.count())
            .where(
                products.c.merchant_id == self.merchant_id,
                products.c.channel == self.channel,
                products.c.status != "deleted",
            )
            .group_by(products.c.status)
        )
        return {status: count for status, count in rows}

    def analyze(self) -> None:
        """Refresh the planner's statistics after a large import (PostgreSQL plans blind without them)."""
        if self.conn.dialect.name == "postgresql":
            for table in (products, variants, options, images, levels):
                self.conn.exec_driver_sql(f"ANALYZE {table.name}")
