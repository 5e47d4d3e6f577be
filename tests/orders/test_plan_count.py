"""The plan's monthly order count: an order takes its place as it is sent to the store, one order at a time
per merchant, so orders sent at once cannot together pass the limit (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tokbridge.billing import service as billing
from tokbridge.billing.plans import available_plans
from tokbridge.db.engine import session_scope
from tokbridge.orders import service
from tokbridge.orders.models import Order, OrderLine, OrderSettings, StoreSync
from tokbridge.tenancy.scoping import bind_merchant

PLACED = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture
def one_order_plan(engine, two_shops, monkeypatch):
    """Merchant A on a plan of one order a month, with two orders waiting to go to the store:
    (merchant id, [order ids])."""
    monkeypatch.setenv(
        "PLANS",
        json.dumps(
            [{"code": "single", "name": "Single", "monthly_amount": "0", "product_limit": 10, "order_limit": 1}]
        ),
    )
    available_plans.cache_clear()
    (merchant_id, shop), (other_merchant, other_shop) = two_shops
    order_ids = []
    with session_scope(engine) as session:
        billing.change_plan(session, merchant_id, "single")
        # Custom line items: the orders need no linked store variant to be sent.
        session.add(
            OrderSettings(
                merchant_id=merchant_id,
                connection_id=shop,
                unknown_sku="custom_line",
                restock_on_cancel=True,
                restock_on_return=True,
                carrier_map={},
            )
        )
        for n in range(2):
            order = Order(
                merchant_id=merchant_id,
                connection_id=shop,
                tiktok_order_id=f"5764614130387800{n}",
                tiktok_status="AWAITING_SHIPMENT",
                status="awaiting_shipment",
                currency="USD",
                total_minor=1500,
                units=1,
                placed_at=PLACED,
                store_sync=StoreSync.PENDING,
            )
            session.add(order)
            session.flush()
            session.add(
                OrderLine(
                    merchant_id=merchant_id,
                    order_id=order.id,
                    tiktok_line_id=f"line-{n}",
                    tiktok_product_id="P1",
                    tiktok_sku_id=f"sku-{n}",
                    product_name="Tee",
                    sale_minor=1500,
                    original_minor=1500,
                )
            )
            order_ids.append(order.id)
    yield merchant_id, order_ids
    available_plans.cache_clear()


def _prepare(engine, merchant_id: int, order_id: int) -> service.StorePlan | None:
    with session_scope(engine) as session:
        return service.prepare_for_store(bind_merchant(session, merchant_id), order_id)


def _sync(engine) -> list[str]:
    with session_scope(engine) as session:
        return [order.store_sync for order in session.scalars(select(Order).order_by(Order.id))]


def test_the_place_is_taken_when_the_order_is_sent_not_when_the_store_answers(engine, one_order_plan):
    merchant_id, (first, second) = one_order_plan
    assert _prepare(engine, merchant_id, first) is not None  # on its way to the store, not bound yet
    assert _prepare(engine, merchant_id, second) is None
    assert _sync(engine) == [StoreSync.PENDING, StoreSync.WAITING_FOR_PLAN]

    # The same order again (its job retried after a crash) keeps the place it took.
    assert _prepare(engine, merchant_id, first) is not None
    # The store refuses it: the place is given back, and the other order can have it.
    with session_scope(engine) as session:
        service.record_store_failure(bind_merchant(session, merchant_id), first, "The store refused the order: no")
    with session_scope(engine) as session:
        service.retry(bind_merchant(session, merchant_id), second)
    assert _prepare(engine, merchant_id, second) is not None
    with session_scope(engine) as session:
        service.bind_store_order(bind_merchant(session, merchant_id), second, "gid://shopify/Order/1", "#1001")
        usage = service.plan_usage(bind_merchant(session, merchant_id), merchant_id)
    assert (usage.orders_used, usage.orders_left) == (1, 0)
    assert _sync(engine) == [StoreSync.FAILED, StoreSync.CREATED]


def test_two_orders_sent_at_once_take_turns_for_the_last_place(engine, one_order_plan):
    """PostgreSQL: the second order's check waits until the first order's place is committed, then finds
    none left (SQLite runs one writer at a time)."""
    from tests.support.waiting import wait_for_lock_wait

    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time")
    merchant_id, (first, second) = one_order_plan
    outcome: dict[str, object] = {}

    def second_job() -> None:
        try:
            outcome["plan"] = _prepare(engine, merchant_id, second)
        except Exception as exc:  # noqa: BLE001 - the test reports it
            outcome["error"] = exc

    with session_scope(engine) as session:
        assert service.prepare_for_store(bind_merchant(session, merchant_id), first) is not None
        thread = threading.Thread(target=second_job)
        thread.start()
        wait_for_lock_wait(engine, "the second order to wait for the first", waiter=thread)
    thread.join(60)
    assert outcome == {"plan": None}
    assert _sync(engine) == [StoreSync.PENDING, StoreSync.WAITING_FOR_PLAN]
