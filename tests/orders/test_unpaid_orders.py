"""Unpaid and on-hold orders, announced by TikTok's notifications over HTTP, show their items and amount
as TikTok gave them (issue #12): the notification has neither, so the order is read from TikTok."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.conftest import add_user, sign_in
from tests.orders.helpers import advance, live_skus, live_world, orders, place, run_jobs, tiktok_orders
from tests.support.live_server import free_port, serve
from tests.support.waiting import wait_for
from tokbridge.web.app import create_app


def test_unpaid_and_on_hold_orders_show_their_items_and_amount(world_factory):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    world = live_world(
        world_factory,
        env={"BASE_URL": base},
        tiktok={"webhook_url": f"{base}/webhooks/tiktok", "on_hold_seconds": 3600, "unpaid_to_paid_seconds": 60},
    )
    add_user(world.settings, world.merchant_id, "owner@unpaid.test")
    with (
        serve(create_app(world.settings, embedded_worker=False), port=port),
        TestClient(create_app(world.settings), base_url="http://127.0.0.1") as client,
    ):
        sign_in(client, "owner@unpaid.test")
        skus = live_skus(world)
        placed = place(
            world, [{"sku_id": skus[0]["sku_id"], "quantity": 2}, {"sku_id": skus[1]["sku_id"], "quantity": 1}]
        )
        total = tiktok_orders(world)[placed["id"]]["payment"]["total_amount"]

        def shown(status: str) -> str:
            advance(world, 1)  # the notifications that fall due are delivered
            run_jobs(world)
            stored = orders(world)
            assert stored and stored[0].status == status, [o.status for o in stored]
            return client.get("/orders").text

        page = wait_for(lambda: _or_none(shown, "unpaid"), timeout=30, what="the unpaid order")
        row = _row(page, placed["id"])
        assert '<td data-label="Items">3</td>' in row and total in row, row

        advance(world, 60)  # paid: On hold for TikTok's remorse window (second pass)
        page = wait_for(lambda: _or_none(shown, "on_hold"), timeout=30, what="the on-hold order")
        row = _row(page, placed["id"])
        assert '<td data-label="Items">3</td>' in row and total in row, row


def _or_none(check, *args):
    try:
        return check(*args)
    except AssertionError:
        return None


def _row(page: str, tiktok_order_id: str) -> str:
    return re.search(rf"<tr[^>]*>(?:(?!</tr>).)*{tiktok_order_id}(?:(?!</tr>).)*</tr>", page, re.DOTALL).group(0)
