"""The dashboard's sales, summed per day ahead of time, and never behind the orders.

Summing 75,000 orders for a 90-day chart on every dashboard view is too slow, so the figures are kept per
UTC day (`SalesDay`, `ProductSalesDay`). Keeping them by adding and subtracting on every order change would
be fragile (an order's contribution depends on its status, its lines, its day), so instead:

1. Whenever a session writes an order, an order line or a return (its refund), the order's day gets a
   `SalesDayMark`, in the same transaction (the session events below: no write path can forget it).
2. The dashboard reads a marked day live from the orders, and every other day from its sums.
3. The recount job (`orders.recount_sales`, every minute) sums each marked day again from the orders and
   deletes exactly the marks it read before summing. A mark committed while it worked survives, so its
   day is read live until the next recount: the figures cannot go stale.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from itertools import chain

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, sessionmaker

from tokbridge.db.base import utcnow
from tokbridge.db.engine import for_writing
from tokbridge.orders.models import Order, OrderLine, Return
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
        elif isinstance(record, (OrderLine, Return)) and record.order_id is not None:
            # A line, or a refund recorded on the order, changes its day's sales.
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
    """Recount the days of marks read beforehand ({(merchant id, day): mark ids}) and delete those marks
    alone, in one short transaction per merchant with its top products' snapshot, so the dashboard never
    sees sums and a snapshot from different moments. Then snapshots a day went by for are made again."""
    by_merchant: dict[int, list[tuple[date, list[int]]]] = {}
    for (merchant_id, day), mark_ids in marked.items():
        by_merchant.setdefault(merchant_id, []).append((day, mark_ids))
    today = utcnow().date()
    for merchant_id, days in by_merchant.items():
        with make_session() as session:
            bind_merchant(for_writing(session), merchant_id)
            # The marks were read in an earlier transaction, so every change they stand for is
            # committed and in the sums below; a mark committed since stays for the next recount.
            for day, mark_ids in days:
                recount_day(session, merchant_id, day)
                SalesRepository(session).forget_marks(mark_ids)
            snapshot_top_products(session, merchant_id, today)
            session.commit()
    with make_session() as session:
        stale = SalesRepository(session).merchants_with_stale_top(PERIODS[0], first_day_of(PERIODS[0], today))
    for merchant_id in set(stale) - set(by_merchant):
        with make_session() as session:
            snapshot_top_products(bind_merchant(for_writing(session), merchant_id), merchant_id, today)
            session.commit()
    if marked:
        log.info("sales recounted for %d day(s)", len(marked))
    return len(marked)


# --- top products ------------------------------------------------------------------------------------

PERIODS = (7, 30, 90)
# Candidates kept per period: the dashboard's top 5 comes from them unless a product left out could tie.
TOP_CANDIDATES = 50


def first_day_of(period_days: int, today: date) -> date:
    return today - timedelta(days=period_days - 1)


def snapshot_top_products(session: Session, merchant_id: int, today: date) -> None:
    repository = SalesRepository(session)
    for days in PERIODS:
        first_day = first_day_of(days, today)
        repository.replace_top_snapshot(merchant_id, days, first_day, repository.counted_top(first_day, TOP_CANDIDATES))


def top_products(
    session: Session, period_days: int, first_day: date, marked: set[date], limit: int = 5
) -> list[tuple[str, str, int, int]]:
    """(product, name, units, amount) of the best sellers of the period, exactly.

    From the snapshot's candidates plus the products sold on the marked (live) days: every other product
    had, when the snapshot was made, no more than the last candidate, and has not sold since (or it would
    be live). So if the fifth best beats the last candidate, nobody left out can; otherwise (or with no
    snapshot for this first day) the products are added up in full."""
    repository = SalesRepository(session)
    spans = day_spans(marked)
    snapshot = repository.top_snapshot(period_days)
    if not snapshot or snapshot[0].first_day != first_day:
        return repository.top_products(first_day, marked, spans, limit)
    live = {product: (units, amount, name) for product, name, units, amount in repository.live_per_product(spans)}
    names = {row.tiktok_product_id: row.product_name for row in snapshot}
    counted = repository.counted_for_products(set(names) | set(live), first_day, marked)
    totals = []
    for product in set(names) | set(live):
        counted_units, counted_amount = counted.get(product, (0, 0))
        live_units, live_amount, live_name = live.get(product, (0, 0, ""))
        if counted_units + live_units > 0:
            totals.append(
                (product, names.get(product) or live_name, counted_units + live_units, counted_amount + live_amount)
            )
    totals.sort(key=lambda row: (-row[2], -row[3], row[0]))
    top = totals[:limit]
    if len(snapshot) >= TOP_CANDIDATES:
        last = (snapshot[-1].units, snapshot[-1].amount_minor)
        if len(top) < limit or (top[-1][2], top[-1][3]) <= last:
            return repository.top_products(first_day, marked, spans, limit)
    return top
