"""The dashboard's sales, summed per day ahead of time, and never behind the orders.

Summing 75,000 orders for a 90-day chart on every dashboard view is too slow, so the figures are kept per
UTC day (`SalesDay`, `ProductSalesDay`). Keeping them by adding and subtracting on every order change would
be fragile (an order's contribution depends on its status, its lines, its day), so instead:

1. Whenever a session writes an order or an order line, the order's day gets a `SalesDayMark`, in the same
   transaction (the session events below: no write path can forget it).
2. The dashboard reads a marked day live from the orders, and every other day from its sums.
3. The recount job (`orders.recount_sales`, every minute) sums each marked day again from the orders and
   deletes exactly the marks it read before summing. A mark committed while it worked survives, so its
   day is read live until the next recount: the figures cannot go stale.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from itertools import chain

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, sessionmaker

from tokbridge.db.engine import for_writing
from tokbridge.orders.models import Order, OrderLine
from tokbridge.orders.repository import SalesRepository, day_spans, marked_sales_days
from tokbridge.tenancy.scoping import bind_merchant

log = logging.getLogger(__name__)

_PENDING = "tokbridge.sales_days_changed"  # session.info key: {(merchant id, day)} to mark at commit


def _utc_day(moment: datetime) -> date:
    return (moment.astimezone(UTC) if moment.tzinfo else moment).date()


@event.listens_for(Session, "before_flush")
def _note_changed_days(session: Session, _flush_context, _instances) -> None:
    days: set[tuple[int, date]] = session.info.setdefault(_PENDING, set())
    orders_of_lines: set[int] = set()
    for record in chain(session.new, session.dirty, session.deleted):
        if isinstance(record, Order):
            if record in session.dirty and not session.is_modified(record):
                continue
            if record.placed_at is not None:
                days.add((record.merchant_id, _utc_day(record.placed_at)))
            for before in inspect(record).attrs.placed_at.history.deleted or ():
                if before is not None:
                    days.add((record.merchant_id, _utc_day(before)))
        elif isinstance(record, OrderLine) and record.order_id is not None:
            if record in session.new or record in session.deleted or session.is_modified(record):
                orders_of_lines.add(record.order_id)
    if orders_of_lines:
        with session.no_autoflush:
            for order_id in orders_of_lines:
                order = session.get(Order, order_id)
                if order is not None and order.placed_at is not None:
                    days.add((order.merchant_id, _utc_day(order.placed_at)))


@event.listens_for(Session, "before_commit")
def _mark_changed_days(session: Session) -> None:
    if not session.info.get(_PENDING) and not (session.new or session.dirty or session.deleted):
        return
    session.flush()  # the last changes note their days too
    days = session.info.pop(_PENDING, None)
    if days:
        SalesRepository(session).mark(sorted(days))


@event.listens_for(Session, "after_rollback")
def _forget_changed_days(session: Session) -> None:
    session.info.pop(_PENDING, None)


def recount_day(session: Session, merchant_id: int, day: date) -> None:
    """Sum one day of a merchant's orders again into its per-day rows (`session` bound to the merchant)."""
    repository = SalesRepository(session)
    spans = day_spans({day})
    repository.replace_day(merchant_id, day, repository.live_per_day(spans), repository.live_per_product(spans))


def recount_marked_days(make_session: sessionmaker[Session], limit: int = 50_000) -> int:
    """Recount every marked day (up to `limit` marks). Returns the number of days recounted."""
    with make_session() as session:
        marked = marked_sales_days(session, limit=limit)
    if marked:
        with make_session() as session:
            SalesRepository(for_writing(session)).refresh_statistics()
            session.commit()
    return recount_days(make_session, marked)


def recount_days(make_session: sessionmaker[Session], marked: dict[tuple[int, date], list[int]]) -> int:
    """Recount the days of marks read beforehand ({(merchant id, day): mark ids}), one short transaction
    per merchant and day, and delete those marks alone."""
    for (merchant_id, day), mark_ids in marked.items():
        with make_session() as session:
            bind_merchant(for_writing(session), merchant_id)
            # The marks were read in an earlier transaction, so every change they stand for is
            # committed and in the sums below; a mark committed since stays for the next recount.
            recount_day(session, merchant_id, day)
            SalesRepository(session).forget_marks(mark_ids)
            session.commit()
    if marked:
        log.info("sales recounted for %d day(s)", len(marked))
    return len(marked)
