"""Notices what the merchant may want an email about, wherever it happens.

Session events (like `orders/sales_rollup.py`) instead of calls in the listings and orders code: no write
path can forget, and those modules know nothing of email. Each event is a `NotificationEvent` row in the
same transaction as the change (rolled back with it), and the merchant's digest job is queued, delayed
by `DIGEST_DELAY`, so a bulk upload failing hundreds of products makes one email.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import chain

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from tokbridge.db.base import utcnow
from tokbridge.listings.models import Listing, ListingStatus
from tokbridge.notifications.models import EventKind, NotificationEvent
from tokbridge.orders.models import Order, StoreSync

DIGEST_JOB = "notifications.digest"
DIGEST_DELAY = timedelta(minutes=5)
_NOTED = "tokbridge.notifications.noted"  # session.info key: {(merchant id, event kind, subject id)}


def digest_identity(merchant_id: int) -> str:
    return f"{DIGEST_JOB}:{merchant_id}"


def _became(record, attribute: str, values: tuple[str, ...]) -> bool:
    history = inspect(record).attrs[attribute].history
    if not history.added or history.added[0] not in values:
        return False
    return not history.deleted or history.deleted[0] not in values


def _event_for(record) -> EventKind | None:
    if isinstance(record, Listing):
        failed = _became(record, "status", (ListingStatus.FAILED,))
        # Validation refused it before sending: back to Not uploaded, with its problems.
        refused = (
            _became(record, "status", (ListingStatus.NOT_UPLOADED,))
            and bool(record.problems)
            and inspect(record).attrs.status.history.deleted == [ListingStatus.IN_PROGRESS]
        )
        return EventKind.FAILED_UPLOAD if failed or refused else None
    if isinstance(record, Order):
        if _became(record, "store_sync", (StoreSync.FAILED,)):
            return EventKind.FAILED_ORDER
        if _became(record, "store_sync", (StoreSync.WAITING_FOR_PLAN,)):
            return EventKind.ORDER_WAITING_FOR_PLAN
    return None


@event.listens_for(Session, "after_flush")
def _note_events(session: Session, _flush_context) -> None:
    # After the flush, so a new listing or order has its id; noted only, since rows cannot be added
    # during a flush: before_commit writes them.
    noted: set[tuple[int, str, int]] = session.info.setdefault(_NOTED, set())
    for record in chain(session.new, session.dirty):
        if isinstance(record, Listing | Order) and record.merchant_id is not None:
            if (kind := _event_for(record)) is not None:
                noted.add((record.merchant_id, kind, record.id))


@event.listens_for(Session, "before_commit")
def _record_events(session: Session) -> None:
    if not session.info.get(_NOTED) and not (session.new or session.dirty):
        return
    session.flush()  # the last changes are noted too
    noted = session.info.pop(_NOTED, None)
    if not noted:
        return
    from tokbridge.jobs.service import enqueue  # jobs imports every model module; avoid the cycle

    session.add_all(
        NotificationEvent(merchant_id=merchant_id, kind=kind, subject_id=subject_id)
        for merchant_id, kind, subject_id in sorted(noted)
    )
    for merchant_id in sorted({merchant_id for merchant_id, _, _ in noted}):
        # An active digest (queued or running) is returned instead; the sweep in tasks.py catches
        # events that a running digest had already passed.
        enqueue(
            session,
            DIGEST_JOB,
            merchant_id=merchant_id,
            identity_key=digest_identity(merchant_id),
            run_at=utcnow() + DIGEST_DELAY,
            title="Email what failed",
        )
    session.flush()


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_NOTED, None)
