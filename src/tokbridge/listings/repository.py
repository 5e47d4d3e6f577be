"""Every query on listings (bindings), scoped to the session's merchant."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, func, insert, or_, select
from sqlalchemy.orm import Session

from tokbridge.catalog.models import CatalogImage, CatalogProduct
from tokbridge.category_templates.models import CategoryTemplate, ProductTemplateAssignment
from tokbridge.channels.models import ChannelConnection
from tokbridge.listings.models import (
    Listing,
    ListingCountDelta,
    ListingSku,
    ListingStatus,
    ProductCountDelta,
    SyncSettings,
    UploadedImage,
)
from tokbridge.tenancy.models import Merchant

# Products that can be listed: drafts and archived products stay in the store.
LISTABLE_STATUSES = ("active",)


@dataclass(frozen=True)
class ProductRow:
    """One line of the product list: the store product, its template and its TikTok listing."""

    id: int
    external_id: str  # the product's id in the store
    title: str
    vendor: str | None
    product_type: str | None
    store_status: str
    status: str
    template_id: int | None
    template_name: str | None
    listing_id: int | None
    tiktok_product_id: str | None
    problem_count: int
    last_error: str | None
    source_updated_at: datetime | None


# Listings that count against the plan's product limit: sent and not removed.
ON_TIKTOK = (ListingStatus.IN_PROGRESS, ListingStatus.REVIEWING, ListingStatus.LIVE, ListingStatus.INACTIVE)


class ListingRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, listing_id: int) -> Listing | None:
        return self.session.scalar(select(Listing).where(Listing.id == listing_id))

    def for_product(self, connection_id: str, product_id: int) -> Listing | None:
        return self.session.scalar(
            select(Listing).where(Listing.connection_id == connection_id, Listing.product_id == product_id)
        )

    def for_product_in_shops(self, product_id: int) -> dict[str, Listing]:
        """The product's listing in each shop that has one: connection id -> listing."""
        rows = self.session.scalars(select(Listing).where(Listing.product_id == product_id))
        return {row.connection_id: row for row in rows}

    def shops_listing(self, product_id: int) -> list[str]:
        """The active shops (connection ids) where the product is on TikTok: where a store change must reach."""
        return list(
            self.session.scalars(
                select(Listing.connection_id)
                .join(ChannelConnection, ChannelConnection.id == Listing.connection_id)
                .where(
                    Listing.product_id == product_id,
                    Listing.tiktok_product_id.is_not(None),
                    ChannelConnection.status == "active",
                )
                .order_by(Listing.connection_id)
            )
        )

    def by_tiktok_id(self, connection_id: str, tiktok_product_id: str) -> Listing | None:
        return self.session.scalar(
            select(Listing).where(
                Listing.connection_id == connection_id, Listing.tiktok_product_id == tiktok_product_id
            )
        )

    def for_products(self, connection_id: str, product_ids: Iterable[int]) -> dict[int, Listing]:
        ids = list(product_ids)
        if not ids:
            return {}
        rows = self.session.scalars(
            select(Listing).where(Listing.connection_id == connection_id, Listing.product_id.in_(ids))
        )
        return {row.product_id: row for row in rows}

    def in_progress(self, connection_id: str) -> list[Listing]:
        """The shop's listings queued for or being sent by the upload job."""
        return list(
            self.session.scalars(
                select(Listing).where(
                    Listing.connection_id == connection_id, Listing.status == ListingStatus.IN_PROGRESS
                )
            )
        )

    def in_progress_ids(self, connection_id: str, limit: int) -> list[int]:
        """The upload job's next listings, oldest first: its queue is the listings' own status."""
        return list(
            self.session.scalars(
                select(Listing.id)
                .where(Listing.connection_id == connection_id, Listing.status == ListingStatus.IN_PROGRESS)
                .order_by(Listing.id)
                .limit(limit)
            )
        )

    def count_in_progress(self, connection_id: str) -> int:
        return (
            self.session.scalar(
                select(func.count(Listing.id)).where(
                    Listing.connection_id == connection_id, Listing.status == ListingStatus.IN_PROGRESS
                )
            )
            or 0
        )

    def created_since(self, connection_id: str, since: datetime) -> int:
        """Products the shop had created on TikTok since `since` (a re-upload is a new product there)."""
        return (
            self.session.scalar(
                select(func.count(Listing.id)).where(
                    Listing.connection_id == connection_id, Listing.uploaded_at >= since
                )
            )
            or 0
        )

    def product_ids_on_tiktok(self, connection_id: str) -> list[int]:
        """Products with a listing on TikTok: what a shop-wide change (a new price rate) has to reach."""
        return list(
            self.session.scalars(
                select(Listing.product_id)
                .where(Listing.connection_id == connection_id, Listing.tiktok_product_id.is_not(None))
                .order_by(Listing.product_id)
            )
        )

    def product_rows(
        self,
        connection_id: str | None,
        *,
        status: str | None = None,
        template_id: int | None = None,
        vendor: str | None = None,
        product_type: str | None = None,
        search: str | None = None,
        before_id: int | None = None,
        limit: int = 50,
    ) -> list[ProductRow]:
        """Newest first, paged by id (`before_id`), so page 2,000 costs what page 1 costs."""
        listing_join = and_(Listing.product_id == CatalogProduct.id, Listing.connection_id == (connection_id or ""))
        query = (
            select(
                CatalogProduct.id,
                CatalogProduct.external_id,
                CatalogProduct.title,
                CatalogProduct.vendor,
                CatalogProduct.product_type,
                CatalogProduct.status,
                Listing.status,
                ProductTemplateAssignment.template_id,
                CategoryTemplate.name,
                Listing.id,
                Listing.tiktok_product_id,
                Listing.problems,
                Listing.last_error,
                CatalogProduct.source_updated_at,
            )
            .outerjoin(Listing, listing_join)
            # The shop's own link: a product may be linked to another template in each shop.
            .outerjoin(
                ProductTemplateAssignment,
                and_(ProductTemplateAssignment.product_id == CatalogProduct.id, _shops_link(connection_id or "")),
            )
            .outerjoin(CategoryTemplate, CategoryTemplate.id == ProductTemplateAssignment.template_id)
            .where(CatalogProduct.status != "deleted")
            .order_by(CatalogProduct.id.desc())
            .limit(limit)
        )
        if status == ListingStatus.NOT_UPLOADED:
            query = query.where(
                CatalogProduct.status.in_(LISTABLE_STATUSES),
                or_(Listing.id.is_(None), Listing.status == ListingStatus.NOT_UPLOADED),
            )
        elif status:
            query = query.where(Listing.status == status)
        if template_id is not None:
            query = query.where(ProductTemplateAssignment.template_id == template_id)
        if vendor:
            query = query.where(CatalogProduct.vendor == vendor)
        if product_type:
            query = query.where(CatalogProduct.product_type == product_type)
        if search:
            query = query.where(CatalogProduct.title.ilike(f"%{_escape_like(search)}%", escape="\\"))
        if before_id is not None:
            query = query.where(CatalogProduct.id < before_id)
        return [
            ProductRow(
                id=r[0],
                external_id=r[1],
                title=r[2],
                vendor=r[3],
                product_type=r[4],
                store_status=r[5],
                status=r[6] or ListingStatus.NOT_UPLOADED,
                template_id=r[7],
                template_name=r[8],
                listing_id=r[9],
                tiktok_product_id=r[10],
                problem_count=len(r[11] or []),
                last_error=r[12],
                source_updated_at=r[13],
            )
            for r in self.session.execute(query)
        ]

    def product_types(self) -> list[str]:
        """The store's product types, for choosing what a template selects."""
        return [
            t
            for t in self.session.scalars(
                select(CatalogProduct.product_type)
                .where(CatalogProduct.product_type.is_not(None), CatalogProduct.status != "deleted")
                .distinct()
                .order_by(CatalogProduct.product_type)
            )
            if t
        ]

    def product(self, product_id: int) -> CatalogProduct | None:
        return self.session.scalar(select(CatalogProduct).where(CatalogProduct.id == product_id))

    def product_images(self, product_id: int) -> list[CatalogImage]:
        """The product's store images in store order (the order TikTok gets them)."""
        return list(
            self.session.scalars(
                select(CatalogImage)
                .where(CatalogImage.product_id == product_id)
                .order_by(CatalogImage.position, CatalogImage.id)
            )
        )

    def skus(self, listing_id: int) -> list[ListingSku]:
        return list(self.session.scalars(select(ListingSku).where(ListingSku.listing_id == listing_id)))

    def listing_buckets(self, connection_id: str | None) -> dict[tuple[str, bool], int]:
        """{(status, product listable): listings} of the shop, summed from the counts the triggers keep."""
        if connection_id is None:
            return {}
        total = func.sum(ListingCountDelta.n)
        rows = self.session.execute(
            select(ListingCountDelta.status, ListingCountDelta.product_listable, total)
            .where(ListingCountDelta.connection_id == connection_id)
            .group_by(ListingCountDelta.status, ListingCountDelta.product_listable)
        )
        return {(status, bool(listable)): int(n) for status, listable, n in rows if n}

    def listings_by_status(self) -> dict[str, int]:
        """Listings of listable products per status, in every shop the session sees (all, unbound)."""
        total = func.sum(ListingCountDelta.n)
        rows = self.session.execute(
            select(ListingCountDelta.status, total)
            .where(ListingCountDelta.product_listable.is_(True))
            .group_by(ListingCountDelta.status)
        )
        return {status: int(n or 0) for status, n in rows}

    def listable_products(self) -> int:
        return int(
            self.session.scalar(
                select(func.sum(ProductCountDelta.n)).where(ProductCountDelta.status.in_(LISTABLE_STATUSES))
            )
            or 0
        )

    def status_counts(
        self, connection_id: str | None, buckets: dict[tuple[str, bool], int] | None = None
    ) -> dict[str, int]:
        """Counts for the six dashboard statuses; listable products with no listing are Not Uploaded.
        Listings of products that are not listable (drafts, archived, deleted) do not count.

        Read from the counts database triggers keep (migration 0011_status_counts), not by counting
        100,000 rows on every view; `buckets` when the caller has them already."""
        counts = {status.value: 0 for status in ListingStatus}
        if buckets is None:
            buckets = self.listing_buckets(connection_id)
        listed = 0
        for (status, listable), n in buckets.items():
            if listable:
                counts[status] = counts.get(status, 0) + n
                listed += n
        counts[ListingStatus.NOT_UPLOADED] += self.listable_products() - listed
        return counts

    def products_on_tiktok(self, connection_id: str | None, buckets: dict[tuple[str, bool], int] | None = None) -> int:
        """What counts against the plan's product limit: everything sent and not removed."""
        if buckets is None:
            buckets = self.listing_buckets(connection_id)
        return sum(n for (status, _), n in buckets.items() if status in ON_TIKTOK)

    def templates_on_tiktok(self, connection_id: str) -> dict[int, tuple[str, int | None]]:
        """Product id -> (listing status, linked template id or None), for the products TikTok has."""
        rows = self.session.execute(
            select(Listing.product_id, Listing.status, ProductTemplateAssignment.template_id)
            .outerjoin(
                ProductTemplateAssignment,
                and_(
                    ProductTemplateAssignment.product_id == Listing.product_id,
                    ProductTemplateAssignment.connection_id == Listing.connection_id,
                ),
            )
            .where(Listing.connection_id == connection_id, Listing.tiktok_product_id.is_not(None))
        )
        return {product_id: (status, template_id) for product_id, status, template_id in rows}

    def uploaded_image(self, connection_id: str, source_url_hash: str, use_case: str) -> UploadedImage | None:
        return self.session.scalar(
            select(UploadedImage).where(
                UploadedImage.connection_id == connection_id,
                UploadedImage.source_url_hash == source_url_hash,
                UploadedImage.use_case == use_case,
            )
        )

    def sync_settings(self, merchant_id: int, connection_id: str, create: bool = True) -> SyncSettings:
        """One TikTok shop's switches; the defaults (all on) until saved. `create=False` for readers."""
        settings = self.session.scalar(select(SyncSettings).where(SyncSettings.connection_id == connection_id))
        if settings is None:
            settings = SyncSettings(
                merchant_id=merchant_id,
                connection_id=connection_id,
                sync_product_info=True,
                sync_price=True,
                sync_inventory=True,
                on_store_delete="deactivate",
            )
            if create:
                self.session.add(settings)
                self.session.flush()
        return settings


def _shops_link(connection_id: str):
    """A product's template link in the shop. Links not attached to any shop yet (a merchant's from before
    shops had templates, until `adopt_unattached` gives them one) count for every shop."""
    return or_(
        ProductTemplateAssignment.connection_id == connection_id, ProductTemplateAssignment.connection_id.is_(None)
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def compact_status_counts(session: Session) -> int:
    """System-wide: fold the triggers' +1/-1 rows into one row per bucket. What a DELETE ... RETURNING
    removed is exactly what gets summed, so rows committed meanwhile are left for the next time; buckets
    of merchants or shops deleted since are dropped. Returns the rows folded."""
    folded = 0
    for table, keys in (
        (ListingCountDelta.__table__, ("merchant_id", "connection_id", "status", "product_listable")),
        (ProductCountDelta.__table__, ("merchant_id", "status")),
    ):
        removed = session.execute(delete(table).returning(*(table.c[k] for k in keys), table.c.n)).all()
        folded += len(removed)
        sums: Counter = Counter()
        for row in removed:
            sums[tuple(row[:-1])] += row[-1]
        merchants = set(session.scalars(select(Merchant.id).where(Merchant.id.in_({key[0] for key in sums}))))
        per_shop = "connection_id" in keys
        shops = (
            set(session.scalars(select(ChannelConnection.id).where(ChannelConnection.id.in_({key[1] for key in sums}))))
            if per_shop
            else set()
        )
        rows = [
            dict(zip(keys, key, strict=True), n=n)
            for key, n in sums.items()
            if n and key[0] in merchants and (not per_shop or key[1] in shops)
        ]
        if rows:
            session.execute(insert(table), rows)
    return folded
