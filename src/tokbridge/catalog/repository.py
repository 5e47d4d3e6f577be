"""Reading and writing the catalog tables, always for one merchant and one channel.

Writes are batched Core statements (INSERT .. ON CONFLICT DO UPDATE, executemany) on an open
connection: an import writes hundreds of thousands of rows and the ORM's per-object work would
dominate. Reads go through the same object so every query carries the merchant's id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from tokbridge.catalog.models import CatalogImage, CatalogInventoryLevel, CatalogOption, CatalogProduct, CatalogVariant

products = CatalogProduct.__table__
variants = CatalogVariant.__table__
options = CatalogOption.__table__
images = CatalogImage.__table__
levels = CatalogInventoryLevel.__table__


class CatalogRepository:
    def __init__(self, connection: Connection, merchant_id: int, channel: str):
        self.conn = connection
        self.merchant_id = merchant_id
        self.channel = channel
        self._insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert

    # --- writes -----------------------------------------------------------------------------------

    def upsert_products(self, rows: Sequence[dict]) -> dict[str, int]:
        """Insert or update products (rows without merchant/channel); returns external id -> row id."""
        if not rows:
            return {}
        stmt = self._insert(products)
        stmt = stmt.on_conflict_do_update(
            index_elements=["merchant_id", "channel", "external_id"],
            set_={name: stmt.excluded[name] for name in rows[0] if name != "external_id"},
        ).returning(products.c.external_id, products.c.id)
        scoped = [{**row, "merchant_id": self.merchant_id, "channel": self.channel} for row in rows]
        return dict(self.conn.execute(stmt, scoped).all())

    def upsert_variants(self, rows: Sequence[dict]) -> dict[str, int]:
        """Rows carry `product_id`; returns external id -> row id (ids survive re-imports)."""
        if not rows:
            return {}
        stmt = self._insert(variants)
        stmt = stmt.on_conflict_do_update(
            index_elements=["merchant_id", "channel", "external_id"],
            set_={name: stmt.excluded[name] for name in rows[0] if name != "external_id"},
        ).returning(variants.c.external_id, variants.c.id)
        scoped = [{**row, "merchant_id": self.merchant_id, "channel": self.channel} for row in rows]
        return dict(self.conn.execute(stmt, scoped).all())

    def upsert_options(self, rows: Sequence[dict]) -> None:
        if rows:
            stmt = self._insert(options)
            stmt = stmt.on_conflict_do_update(
                index_elements=["product_id", "position"],
                set_={"name": stmt.excluded.name, "values": stmt.excluded["values"]},
            )
            self.conn.execute(stmt, [{**row, "merchant_id": self.merchant_id} for row in rows])

    def insert_images(self, rows: Sequence[dict]) -> None:
        if rows:
            self.conn.execute(images.insert(), [{**row, "merchant_id": self.merchant_id} for row in rows])

    def upsert_levels(self, rows: Sequence[dict]) -> None:
        if rows:
            stmt = self._insert(levels)
            stmt = stmt.on_conflict_do_update(
                index_elements=["variant_id", "location_external_id"],
                set_={"available": stmt.excluded.available, "synced_at": stmt.excluded.synced_at},
            )
            self.conn.execute(stmt, [{**row, "merchant_id": self.merchant_id} for row in rows])

    def clear_children(self, product_ids: Iterable[int]) -> None:
        """Drop images, options and stock of these products before their fresh copies are written."""
        ids = list(product_ids)
        if not ids:
            return
        mine = variants.c.merchant_id == self.merchant_id
        self.conn.execute(
            delete(levels).where(
                levels.c.merchant_id == self.merchant_id,
                levels.c.variant_id.in_(select(variants.c.id).where(mine, variants.c.product_id.in_(ids))),
            )
        )
        self.conn.execute(delete(images).where(images.c.merchant_id == self.merchant_id, images.c.product_id.in_(ids)))
        self.conn.execute(
            delete(options).where(options.c.merchant_id == self.merchant_id, options.c.product_id.in_(ids))
        )

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
        row = self.conn.execute(
            select(products).where(
                products.c.merchant_id == self.merchant_id,
                products.c.channel == self.channel,
                products.c.external_id == external_id,
            )
        ).mappings().first()
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
        """Rows per table for this merchant and channel (deleted products excluded)."""
        mine_products = select(products.c.id).where(
            products.c.merchant_id == self.merchant_id,
            products.c.channel == self.channel,
            products.c.status != "deleted",
        )
        mine_variants = select(variants.c.id).where(
            variants.c.merchant_id == self.merchant_id, variants.c.product_id.in_(mine_products)
        )

        def count(table, *where) -> int:
            return self.conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()

        return {
            "products": count(products, products.c.id.in_(mine_products)),
            "variants": count(variants, variants.c.id.in_(mine_variants)),
            "options": count(options, options.c.merchant_id == self.merchant_id, options.c.product_id.in_(mine_products)),
            "images": count(images, images.c.merchant_id == self.merchant_id, images.c.product_id.in_(mine_products)),
            "inventory_levels": count(
                levels, levels.c.merchant_id == self.merchant_id, levels.c.variant_id.in_(mine_variants)
            ),
        }
