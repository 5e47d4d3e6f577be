"""The dashboard's product counts, kept by database triggers (migration 0011_status_counts), agree with
counting the rows, whatever writes them: the ORM, bulk statements, cascades, the compaction job."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, func, insert, select, update

from tokbridge.catalog.models import CatalogProduct
from tokbridge.channels.models import ChannelConnection
from tokbridge.db.engine import session_scope
from tokbridge.listings.models import Listing, ListingCountDelta, ListingStatus
from tokbridge.listings.repository import ListingRepository, compact_status_counts
from tokbridge.tenancy.scoping import bind_merchant


def _product(merchant_id: int, n: int, status: str) -> dict:
    return {
        "merchant_id": merchant_id,
        "channel": "shopify",
        "external_id": f"gid://shopify/Product/{merchant_id}{n}",
        "title": f"Tee {n}",
        "status": status,
        "content_hash": "x",
        "tags": [],
        "description_html": "",
        "synced_at": datetime.now(UTC),
    }


def _counted(engine, merchant_id: int, shop: str) -> tuple[dict[str, int], int]:
    """The counts the slow way: every row joined and counted."""
    with session_scope(engine) as session:
        listable = session.scalar(
            select(func.count())
            .select_from(CatalogProduct)
            .where(CatalogProduct.merchant_id == merchant_id, CatalogProduct.status == "active")
        )
        rows = session.execute(
            select(Listing.status, func.count())
            .join(CatalogProduct, CatalogProduct.id == Listing.product_id)
            .where(Listing.connection_id == shop, CatalogProduct.status == "active")
            .group_by(Listing.status)
        ).all()
        on_tiktok = session.scalar(
            select(func.count())
            .select_from(Listing)
            .where(Listing.connection_id == shop, Listing.status.in_(["in_progress", "reviewing", "live", "inactive"]))
        )
    counts = {status.value: 0 for status in ListingStatus}
    counts.update(dict(rows))
    counts["not_uploaded"] = listable - sum(n for status, n in rows if status != "not_uploaded")
    return counts, on_tiktok


def _kept(engine, merchant_id: int, shop: str) -> tuple[dict[str, int], int]:
    with session_scope(engine) as session:
        repository = ListingRepository(bind_merchant(session, merchant_id))
        return repository.status_counts(shop), repository.products_on_tiktok(shop)


def test_counts_kept_by_triggers_agree_with_counting_whatever_writes(engine, two_shops):
    (mine, shop), (other, other_shop) = two_shops

    def agree() -> dict[str, int]:
        kept = _kept(engine, mine, shop)
        assert kept == _counted(engine, mine, shop)
        assert _kept(engine, other, other_shop) == _counted(engine, other, other_shop)
        return kept[0]

    with session_scope(engine) as session:  # bulk inserts, as the catalog importer writes
        session.execute(insert(CatalogProduct), [_product(mine, n, "active" if n < 8 else "draft") for n in range(10)])
        session.execute(insert(CatalogProduct), [_product(other, n, "active") for n in range(3)])
        ids = list(
            session.scalars(
                select(CatalogProduct.id).where(CatalogProduct.merchant_id == mine).order_by(CatalogProduct.id)
            )
        )
    with session_scope(engine) as session:  # listings through the ORM, one on a draft product
        for product_id, status in zip(
            ids[:5] + [ids[9]], ["live", "live", "reviewing", "failed", "not_uploaded", "live"], strict=True
        ):
            session.add(Listing(merchant_id=mine, connection_id=shop, product_id=product_id, status=status))
    assert agree() == {"not_uploaded": 4, "in_progress": 0, "reviewing": 1, "live": 2, "failed": 1, "inactive": 0}

    with session_scope(engine) as session:  # statuses changed by bulk update and by the ORM
        session.execute(update(Listing).where(Listing.status == "reviewing").values(status="live"))
        session.scalars(select(Listing).where(Listing.status == "failed")).one().status = "inactive"
        session.execute(update(CatalogProduct).where(CatalogProduct.id == ids[0]).values(status="archived"))
        session.get(CatalogProduct, ids[9]).status = "active"  # its live listing counts now
    assert agree()["live"] == 3

    with session_scope(engine) as session:
        assert compact_status_counts(session) > 0
        assert session.scalar(select(func.count()).select_from(ListingCountDelta)) <= 12  # one row per bucket
    agree()

    with session_scope(engine) as session:  # a product deleted takes its listing with it (cascade)
        session.execute(delete(CatalogProduct).where(CatalogProduct.id == ids[1]))
    assert agree()["live"] == 2

    with session_scope(engine) as session:  # the shop disconnected and deleted: its listings go
        session.execute(delete(ChannelConnection).where(ChannelConnection.id == shop))
        compact_status_counts(session)
        assert (
            session.scalar(
                select(func.count()).select_from(ListingCountDelta).where(ListingCountDelta.connection_id == shop)
            )
            == 0
        )
    assert _kept(engine, other, other_shop) == _counted(engine, other, other_shop)
