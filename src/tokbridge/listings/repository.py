"""Every query on listings (bindings), scoped to the session's merchant."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tokbridge.catalog.models import CatalogProduct
from tokbridge.listings.models import Listing, ListingSku, ListingStatus, SyncSettings, UploadedImage

# Products that can be listed: drafts and archived products stay in the store.
LISTABLE_STATUSES = ("active",)


class ListingRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, listing_id: int) -> Listing | None:
        return self.session.scalar(select(Listing).where(Listing.id == listing_id))

    def for_product(self, connection_id: str, product_id: int) -> Listing | None:
        return self.session.scalar(select(Listing).where(Listing.connection_id == connection_id,
                                                         Listing.product_id == product_id))

    def by_tiktok_id(self, connection_id: str, tiktok_product_id: str) -> Listing | None:
        return self.session.scalar(select(Listing).where(Listing.connection_id == connection_id,
                                                         Listing.tiktok_product_id == tiktok_product_id))

    def for_products(self, connection_id: str, product_ids: Iterable[int]) -> dict[int, Listing]:
        ids = list(product_ids)
        if not ids:
            return {}
        rows = self.session.scalars(select(Listing).where(Listing.connection_id == connection_id,
                                                          Listing.product_id.in_(ids)))
        return {row.product_id: row for row in rows}

    def skus(self, listing_id: int) -> list[ListingSku]:
        return list(self.session.scalars(select(ListingSku).where(ListingSku.listing_id == listing_id)))

    def status_counts(self, connection_id: str | None) -> dict[str, int]:
        """Counts for the six dashboard statuses; products with no listing are Not Uploaded."""
        counts = {status.value: 0 for status in ListingStatus}
        listable = select(func.count(CatalogProduct.id)).where(CatalogProduct.status.in_(LISTABLE_STATUSES))
        total_listable = self.session.scalar(listable) or 0
        if connection_id is None:
            counts[ListingStatus.NOT_UPLOADED] = total_listable
            return counts
        rows = self.session.execute(
            select(Listing.status, func.count(Listing.id))
            .join(CatalogProduct, CatalogProduct.id == Listing.product_id)
            .where(Listing.connection_id == connection_id, CatalogProduct.status.in_(LISTABLE_STATUSES))
            .group_by(Listing.status)
        ).all()
        listed = 0
        for status, count in rows:
            counts[status] = count
            listed += count
        counts[ListingStatus.NOT_UPLOADED] += total_listable - listed
        return counts

    def products_on_tiktok(self, connection_id: str | None) -> int:
        """What counts against the plan's product limit: everything sent and not removed."""
        if connection_id is None:
            return 0
        return self.session.scalar(select(func.count(Listing.id)).where(
            Listing.connection_id == connection_id,
            Listing.status.in_([ListingStatus.IN_PROGRESS, ListingStatus.REVIEWING, ListingStatus.LIVE,
                                ListingStatus.INACTIVE]),
        )) or 0

    def uploaded_image(self, connection_id: str, source_url_hash: str, use_case: str) -> UploadedImage | None:
        return self.session.scalar(select(UploadedImage).where(
            UploadedImage.connection_id == connection_id, UploadedImage.source_url_hash == source_url_hash,
            UploadedImage.use_case == use_case))

    def sync_settings(self, merchant_id: int) -> SyncSettings:
        settings = self.session.scalar(select(SyncSettings))
        if settings is None:
            settings = SyncSettings(merchant_id=merchant_id)
            self.session.add(settings)
            self.session.flush()
        return settings
