"""Sales figures for the dashboard, summed per UTC day in the database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from tokbridge.db.engine import session_scope, sessionmaker_for
from tokbridge.orders import sales_rollup, service
from tokbridge.orders.models import Order, OrderLine, Return, SalesDay, SalesDayMark
from tokbridge.orders.repository import SalesRepository, day_spans, marked_sales_days
from tokbridge.orders.status import OrderStatus
from tokbridge.tenancy.scoping import bind_merchant

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _order(merchant_id, connection_id, n, placed_at, status, total_minor, units, currency="USD", product="P1"):
    order = Order(
        merchant_id=merchant_id,
        connection_id=connection_id,
        tiktok_order_id=f"57646141303878{n:04d}",
        tiktok_status="AWAITING_SHIPMENT",
        status=status,
        currency=currency,
        total_minor=total_minor,
        units=units,
        placed_at=placed_at,
    )
    order.lines = []
    return order, [
        OrderLine(
            merchant_id=merchant_id,
            tiktok_line_id=f"{n}-{u}",
            tiktok_product_id=product,
            product_name=f"Tee {product}",
            sale_minor=total_minor // units,
        )
        for u in range(units)
    ]


def _add(engine, merchant_id, connection_id, specs, first=0):
    with session_scope(engine) as session:
        for n, spec in enumerate(specs, start=first):
            order, lines = _order(merchant_id, connection_id, n, *spec)
            session.add(order)
            session.flush()
            for line in lines:
                line.order_id = order.id
            session.add_all(lines)


def _figures(engine, merchant_id, days=7):
    with session_scope(engine) as session:
        return service.sales(bind_merchant(session, merchant_id), days=days, now=NOW)


def _marks(engine) -> list[tuple[int, date]]:
    with session_scope(engine) as session:
        return sorted((m, d) for m, d in session.execute(select(SalesDayMark.merchant_id, SalesDayMark.day)))


@pytest.mark.parametrize("recounted", [False, True], ids=["read-live", "recounted"])
def test_sales_are_summed_per_utc_day_without_cancelled_unpaid_other_currencies_or_merchants(
    engine, two_shops, recounted
):
    (mine, my_shop), (other, other_shop) = two_shops
    today, yesterday = NOW.replace(hour=0, minute=5), NOW - timedelta(days=1)
    _add(
        engine,
        mine,
        my_shop,
        [
            (today, OrderStatus.AWAITING_SHIPMENT, 2500, 2, "USD", "P1"),
            (NOW.replace(hour=23, minute=59), OrderStatus.DELIVERED, 1000, 1, "USD", "P2"),
            (yesterday.replace(hour=0, minute=0), OrderStatus.COMPLETED, 1999, 1, "USD", "P1"),
            (yesterday, OrderStatus.CANCELLED, 9999, 3, "USD", "P3"),  # cancelled: not a sale
            (today, OrderStatus.UNPAID, 5000, 1, "USD", "P3"),  # unpaid: not yet
            (today, OrderStatus.AWAITING_SHIPMENT, 700, 1, "GBP", "P4"),  # another currency
            (NOW - timedelta(days=7), OrderStatus.COMPLETED, 4200, 2, "USD", "P1"),  # outside 7 days
        ],
    )
    _add(engine, other, other_shop, [(today, OrderStatus.DELIVERED, 88800, 8, "USD", "P9")])

    if recounted:
        assert sales_rollup.recount_marked_days(sessionmaker_for(engine)) == 4  # 3 days of mine, 1 of the other
        assert _marks(engine) == []
    figures = _figures(engine, mine)

    assert (figures["currency"], figures["amount"], figures["orders"], figures["units"]) == ("USD", "54.99", 3, 4)
    per_day = {d["date"]: (d["amount"], d["orders"], d["units"]) for d in figures["per_day"]}
    assert len(per_day) == 7 and min(per_day) == "2026-11-20" and max(per_day) == "2026-11-26"
    assert per_day["2026-11-26"] == ("35.00", 2, 3)
    assert per_day["2026-11-25"] == ("19.99", 1, 1)
    assert per_day["2026-11-24"] == ("0.00", 0, 0)
    top = [(p["tiktok_product_id"], p["units"]) for p in figures["top_products"]]
    assert top[0] == ("P1", 3) and "P3" not in dict(top) and "P9" not in dict(top)


def test_every_order_write_marks_its_day_and_a_rolled_back_one_does_not(engine, two_shops):
    (mine, my_shop), _ = two_shops
    _add(engine, mine, my_shop, [(NOW, OrderStatus.AWAITING_SHIPMENT, 2500, 1, "USD", "P1")])
    assert _marks(engine) == [(mine, NOW.date())]
    sales_rollup.recount_marked_days(sessionmaker_for(engine))

    with session_scope(engine) as session:  # an order moved to another day marks both days
        order = session.scalars(select(Order)).one()
        order.placed_at = NOW - timedelta(days=2)
    assert _marks(engine) == [(mine, (NOW - timedelta(days=2)).date()), (mine, NOW.date())]
    sales_rollup.recount_marked_days(sessionmaker_for(engine))

    with session_scope(engine) as session:  # a line alone changing marks its order's day
        session.scalars(select(OrderLine)).one().display_status = "CANCELLED"
    assert _marks(engine) == [(mine, (NOW - timedelta(days=2)).date())]
    sales_rollup.recount_marked_days(sessionmaker_for(engine))

    session = sessionmaker_for(engine)()
    session.scalars(select(Order)).one().status = OrderStatus.CANCELLED
    session.flush()
    session.rollback()
    session.close()
    assert _marks(engine) == []


def test_a_change_after_the_recount_shows_at_once(engine, two_shops):
    (mine, my_shop), _ = two_shops
    _add(
        engine,
        mine,
        my_shop,
        [
            (NOW, OrderStatus.AWAITING_SHIPMENT, 2500, 1, "USD", "P1"),
            (NOW, OrderStatus.AWAITING_SHIPMENT, 1000, 1, "USD", "P2"),
        ],
    )
    sales_rollup.recount_marked_days(sessionmaker_for(engine))
    assert _figures(engine, mine)["amount"] == "35.00"

    with session_scope(engine) as session:
        session.scalars(select(Order).where(Order.total_minor == 2500)).one().status = OrderStatus.CANCELLED
    figures = _figures(engine, mine)
    assert (figures["amount"], figures["orders"]) == ("10.00", 1)
    assert [p["tiktok_product_id"] for p in figures["top_products"]] == ["P2"]

    sales_rollup.recount_marked_days(sessionmaker_for(engine))
    assert _figures(engine, mine) == figures
    with session_scope(engine) as session:
        assert [(d.day, d.amount_minor, d.orders) for d in session.scalars(select(SalesDay))] == [(NOW.date(), 1000, 1)]


def test_a_change_committed_while_the_day_is_recounted_is_not_lost(engine, two_shops):
    """The recount reads the marks, then sums: a change committed in between keeps its own mark."""
    (mine, my_shop), _ = two_shops
    _add(engine, mine, my_shop, [(NOW, OrderStatus.AWAITING_SHIPMENT, 2500, 1, "USD", "P1")])
    with session_scope(engine) as session:
        marked = marked_sales_days(session)

    _add(engine, mine, my_shop, [(NOW, OrderStatus.AWAITING_SHIPMENT, 4000, 1, "USD", "P2")], first=1)
    sales_rollup.recount_days(sessionmaker_for(engine), marked)

    assert _marks(engine) == [(mine, NOW.date())]  # the second order's mark is still there
    assert _figures(engine, mine)["amount"] == "65.00"
    sales_rollup.recount_marked_days(sessionmaker_for(engine))
    assert _marks(engine) == [] and _figures(engine, mine)["amount"] == "65.00"


def test_days_of_orders_written_around_the_orm_count_once_marked(engine, two_shops):
    """Orders written around the ORM (a migration, a bulk load) are counted once their days are marked."""
    (mine, my_shop), _ = two_shops
    _add(engine, mine, my_shop, [(NOW, OrderStatus.DELIVERED, 2500, 1, "USD", "P1")])
    sales_rollup.recount_marked_days(sessionmaker_for(engine))
    with session_scope(engine) as session:
        session.execute(SalesDay.__table__.delete())  # as if the sums had never been made
    assert _figures(engine, mine)["amount"] == "0.00"
    with session_scope(engine) as session:
        assert SalesRepository(session).mark_every_day() == 1
    assert _figures(engine, mine)["amount"] == "25.00"


def test_top_products_from_the_snapshot_equal_adding_everything_up(engine, two_shops, monkeypatch):
    """The snapshot's candidates plus the live days give the same top 5 as adding every product up, through
    new sales on a live day and cancellations, including when a product left out could tie."""
    monkeypatch.setattr(sales_rollup, "TOP_CANDIDATES", 6)  # few candidates, so the bound matters
    (mine, my_shop), _ = two_shops
    now = datetime.now(UTC).replace(hour=12)
    specs = [
        (now - timedelta(days=n % 5), OrderStatus.DELIVERED, 1000 + 100 * p, 1, "USD", f"P{p}")
        for p in range(10)
        for n in range(10 - p)
    ]  # P0 sold 10 times, P9 once
    _add(engine, mine, my_shop, specs)
    sales_rollup.recount_marked_days(sessionmaker_for(engine))

    def both() -> tuple[list, list]:
        with session_scope(engine) as session:
            bind_merchant(session, mine)
            first_day = (now - timedelta(days=6)).date()
            repository = SalesRepository(session)
            marked = repository.marked_days(first_day)
            full = repository.top_products(first_day, marked, day_spans(marked))
            shown = [(p["tiktok_product_id"], p["units"]) for p in service.sales(session, 7, now=now)["top_products"]]
            snapshot = [row.tiktok_product_id for row in repository.top_snapshot(7)]
        assert snapshot == ["P0", "P1", "P2", "P3", "P4", "P5"]  # made by the recount for this first day
        return shown, [(product, units) for product, _, units, _ in full]

    shown, full = both()
    assert shown == full == [("P0", 10), ("P1", 9), ("P2", 8), ("P3", 7), ("P4", 6)]

    _add(engine, mine, my_shop, [(now, OrderStatus.DELIVERED, 5000, 1, "USD", "P9")] * 9, first=500)  # live today
    shown, full = both()
    assert shown == full and shown[:2] == [("P9", 10), ("P0", 10)]  # as many units, more money

    with session_scope(engine) as session:  # P0 and P1 cancelled: candidates fall below the bound
        for order in session.scalars(
            select(Order)
            .join(OrderLine, OrderLine.order_id == Order.id)
            .where(OrderLine.tiktok_product_id.in_(["P0", "P1"]))
        ):
            order.status = OrderStatus.CANCELLED
    shown, full = both()
    assert shown == full and "P0" not in dict(shown) and ("P6", 4) not in shown


def _refund(engine, merchant_id, connection_id, order_total_minor, refund_minor, status, return_id):
    with session_scope(engine) as session:
        order = session.scalars(
            select(Order).where(Order.merchant_id == merchant_id, Order.total_minor == order_total_minor)
        ).one()
        session.add(
            Return(
                merchant_id=merchant_id,
                connection_id=connection_id,
                order_id=order.id,
                tiktok_order_id=order.tiktok_order_id,
                tiktok_return_id=return_id,
                return_type="RETURN_AND_REFUND",
                return_status=status,
                refund_minor=refund_minor,
                currency="USD",
                restocked=False,
            )
        )


@pytest.mark.parametrize("recounted", [False, True], ids=["read-live", "recounted"])
def test_sales_are_paid_orders_past_on_hold_net_of_recorded_refunds(engine, two_shops, recounted):
    (mine, my_shop), _ = two_shops
    _add(
        engine,
        mine,
        my_shop,
        [
            (NOW, OrderStatus.AWAITING_SHIPMENT, 2500, 1, "USD", "P1"),
            (NOW, OrderStatus.ON_HOLD, 4000, 1, "USD", "P2"),  # the buyer may still cancel: not yet a sale
            (NOW, OrderStatus.UNPAID, 4500, 1, "USD", "P2"),  # not paid
            (NOW, OrderStatus.CANCELLED, 5500, 1, "USD", "P2"),  # cancelled
            (NOW, OrderStatus.DELIVERED, 3000, 1, "USD", "P3"),
            (NOW, OrderStatus.DELIVERED, 2000, 1, "USD", "P4"),
        ],
    )
    _refund(engine, mine, my_shop, 3000, 1000, "RETURN_OR_REFUND_REQUEST_COMPLETE", "R1")  # refunded
    _refund(engine, mine, my_shop, 2000, 2000, "RETURN_OR_REFUND_REQUEST_PENDING", "R2")  # only asked for
    if recounted:
        sales_rollup.recount_marked_days(sessionmaker_for(engine))
        assert _marks(engine) == []

    figures = _figures(engine, mine)
    assert (figures["amount"], figures["orders"], figures["units"]) == ("65.00", 3, 3)
    assert "P2" not in {p["tiktok_product_id"] for p in figures["top_products"]}

    # A refund recorded after the recount counts at once (second pass).
    with session_scope(engine) as session:
        session.scalars(
            select(Return).where(Return.tiktok_return_id == "R2")
        ).one().return_status = "RETURN_OR_REFUND_REQUEST_SUCCESS"
    assert _figures(engine, mine)["amount"] == "45.00"
    sales_rollup.recount_marked_days(sessionmaker_for(engine))
    assert _figures(engine, mine)["amount"] == "45.00"
