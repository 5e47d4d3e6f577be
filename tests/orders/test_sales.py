"""Sales figures for the dashboard, summed per UTC day in the database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tokbridge.channels.models import ChannelConnection
from tokbridge.db.engine import session_scope
from tokbridge.orders import service
from tokbridge.orders.models import Order, OrderLine
from tokbridge.orders.status import OrderStatus
from tokbridge.tenancy.models import Merchant
from tokbridge.tenancy.scoping import bind_merchant

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _order(merchant_id, connection_id, n, placed_at, status, total_minor, units, currency="USD", product="P1"):
    order = Order(merchant_id=merchant_id, connection_id=connection_id, tiktok_order_id=f"57646141303878{n:04d}",
                  tiktok_status="AWAITING_SHIPMENT", status=status, currency=currency, total_minor=total_minor,
                  units=units, placed_at=placed_at)
    order.lines = []
    return order, [OrderLine(merchant_id=merchant_id, tiktok_line_id=f"{n}-{u}", tiktok_product_id=product,
                             product_name=f"Tee {product}", sale_minor=total_minor // units) for u in range(units)]


@pytest.fixture
def shop(engine):
    """Two merchants, each with a TikTok connection; yields (merchant, other, connection ids)."""
    with session_scope(engine) as session:
        merchants = [Merchant(name="A"), Merchant(name="B")]
        session.add_all(merchants)
        session.flush()
        connections = [ChannelConnection(merchant_id=m.id, channel="tiktok", external_id=f"shop-{m.id}") for m in merchants]
        session.add_all(connections)
        session.flush()
        return [(m.id, c.id) for m, c in zip(merchants, connections, strict=True)]


def _add(engine, merchant_id, connection_id, specs):
    with session_scope(engine) as session:
        for n, spec in enumerate(specs):
            order, lines = _order(merchant_id, connection_id, n, *spec)
            session.add(order)
            session.flush()
            for line in lines:
                line.order_id = order.id
            session.add_all(lines)


def test_sales_are_summed_per_utc_day_without_cancelled_unpaid_other_currencies_or_merchants(engine, shop):
    (mine, my_shop), (other, other_shop) = shop
    today, yesterday = NOW.replace(hour=0, minute=5), NOW - timedelta(days=1)
    _add(engine, mine, my_shop, [
        (today, OrderStatus.AWAITING_SHIPMENT, 2500, 2, "USD", "P1"),
        (NOW.replace(hour=23, minute=59), OrderStatus.DELIVERED, 1000, 1, "USD", "P2"),
        (yesterday.replace(hour=0, minute=0), OrderStatus.COMPLETED, 1999, 1, "USD", "P1"),
        (yesterday, OrderStatus.CANCELLED, 9999, 3, "USD", "P3"),       # cancelled: not a sale
        (today, OrderStatus.UNPAID, 5000, 1, "USD", "P3"),              # unpaid: not yet
        (today, OrderStatus.AWAITING_SHIPMENT, 700, 1, "GBP", "P4"),    # another currency
        (NOW - timedelta(days=7), OrderStatus.COMPLETED, 4200, 2, "USD", "P1"),  # outside 7 days
    ])
    _add(engine, other, other_shop, [(today, OrderStatus.DELIVERED, 88800, 8, "USD", "P9")])

    with session_scope(engine) as session:
        figures = service.sales(bind_merchant(session, mine), days=7, now=NOW)

    assert (figures["currency"], figures["amount"], figures["orders"], figures["units"]) == ("USD", "54.99", 3, 4)
    per_day = {d["date"]: (d["amount"], d["orders"], d["units"]) for d in figures["per_day"]}
    assert len(per_day) == 7 and min(per_day) == "2026-11-20" and max(per_day) == "2026-11-26"
    assert per_day["2026-11-26"] == ("35.00", 2, 3)
    assert per_day["2026-11-25"] == ("19.99", 1, 1)
    assert per_day["2026-11-24"] == ("0.00", 0, 0)
    top = [(p["tiktok_product_id"], p["units"]) for p in figures["top_products"]]
    assert top[0] == ("P1", 3) and "P3" not in dict(top) and "P9" not in dict(top)
