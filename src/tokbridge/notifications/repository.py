"""All notification queries. Sessions are merchant-bound, except the system-wide ones named as such."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from tokbridge.catalog.models import CatalogProduct
from tokbridge.db.base import utcnow
from tokbridge.db.engine import rows_changed
from tokbridge.listings.models import Listing
from tokbridge.notifications.models import DigestState, NotificationDigest, NotificationEvent
from tokbridge.orders.models import Order
from tokbridge.tenancy.models import User


class NotificationRepository:
    def __init__(self, session: Session):
        self.session = session

    def unfinished_digest(self) -> NotificationDigest | None:
        return self.session.scalar(
            select(NotificationDigest)
            .where(NotificationDigest.state.in_([DigestState.PENDING, DigestState.SENDING]))
            .order_by(NotificationDigest.id)
            .limit(1)
        )

    def unhandled(self, merchant_id: int) -> list[NotificationEvent]:
        """The merchant's events no digest took yet, locked: two digests cannot take the same ones."""
        return list(
            self.session.scalars(
                select(NotificationEvent)
                .where(NotificationEvent.merchant_id == merchant_id, NotificationEvent.handled_at.is_(None))
                .order_by(NotificationEvent.id)
                .with_for_update()
            )
        )

    def mark_handled(self, merchant_id: int, event_ids: Sequence[int], digest_id: int | None = None) -> int:
        ids = list(event_ids)
        for start in range(0, len(ids), 500):
            self.session.execute(
                update(NotificationEvent)
                .where(NotificationEvent.merchant_id == merchant_id, NotificationEvent.id.in_(ids[start : start + 500]))
                .values(handled_at=utcnow(), digest_id=digest_id)
                .execution_options(synchronize_session=False)
            )
        return len(ids)

    def first_user_email(self, merchant_id: int) -> str | None:
        return self.session.scalar(
            select(User.email)
            .where(User.merchant_id == merchant_id, User.is_active.is_(True))
            .order_by(User.id)
            .limit(1)
        )

    def listings_with_titles(self, listing_ids: Sequence[int]) -> dict[int, tuple[Listing, str]]:
        rows = self.session.execute(
            select(Listing, CatalogProduct.title)
            .join(CatalogProduct, CatalogProduct.id == Listing.product_id)
            .where(Listing.id.in_(list(listing_ids)))
        ).all()
        return {listing.id: (listing, title) for listing, title in rows}

    def orders(self, order_ids: Sequence[int]) -> list[Order]:
        """The orders in the order of `order_ids` (those that still exist)."""
        found = {o.id: o for o in self.session.scalars(select(Order).where(Order.id.in_(list(order_ids))))}
        return [found[i] for i in order_ids if i in found]


def merchants_with_unhandled_events(session: Session, created_before: datetime) -> list[int]:
    """System-wide: merchants with events older than `created_before` that no digest took."""
    return list(
        session.scalars(
            select(NotificationEvent.merchant_id)
            .distinct()
            .where(NotificationEvent.handled_at.is_(None), NotificationEvent.created_at < created_before)
        )
    )


def prune(session: Session, before: datetime) -> int:
    """System-wide: handled events and finished digests older than `before` go."""
    events = rows_changed(
        session.execute(
            delete(NotificationEvent)
            .where(NotificationEvent.handled_at.is_not(None), NotificationEvent.handled_at < before)
            .execution_options(synchronize_session=False)
        )
    )
    digests = rows_changed(
        session.execute(
            delete(NotificationDigest)
            .where(
                NotificationDigest.state.in_([DigestState.SENT, DigestState.UNCERTAIN]),
                NotificationDigest.created_at < before,
            )
            .execution_options(synchronize_session=False)
        )
    )
    return events + digests
