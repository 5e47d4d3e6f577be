"""Orders kept in TokBridge (the store takes no outside orders): the merchant ships them from the order page,
a TikTok cancellation or a completed return puts their units back on the store's stock, once.

The store is the Shopify sandbox behind a test-only plugin declaring `creates_orders=False` (tests/orders/
helpers.py `StoreWithoutOrders`): a real adapter over HTTP, only its declaration differs."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.conftest import add_user, sign_in
from tests.orders.helpers import (
    advance,
    as_merchant,
    http,
    keeping_orders,
    live_skus,
    live_world,
    ok,
    orders,
    place,
    poll,
    run_jobs,
    shipments,
    store_available,
    store_orders,
    tiktok_orders,
)
from tests.support.live_server import free_port, serve
from tests.support.world import TIKTOK_KEY, TIKTOK_SECRET
from tokbridge.channels import factory
from tokbridge.channels.connections import ConnectionRepository
from tokbridge.channels.tiktok import models as m
from tokbridge.channels.tiktok.webhooks import compute_signature
from tokbridge.db.engine import session_scope
from tokbridge.jobs.service import enqueue
from tokbridge.orders import service
from tokbridge.orders.models import Return
from tokbridge.orders.repository import OrderRepository
from tokbridge.tenancy.scoping import bind_merchant
from tokbridge.web.app import create_app


def _kept(world, items: list[dict]):
    """An order placed on TikTok, paid and past the remorse window: kept in TokBridge."""
    placed = place(world, items)
    advance(world, 120)
    advance(world, 3600)
    poll(world)
    order = next(o for o in orders(world) if o.tiktok_order_id == placed["id"])
    assert (order.store_sync, order.store_order_id) == ("kept", None), order.failure_reason
    return placed, order


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def notice(page: str) -> str:
    found = re.search(r'<p class="(?:notice|error)" role="(?:status|alert)">([^<]*)</p>', page)
    return found.group(1) if found else ""


@pytest.fixture
def site(world_factory, store_without_orders):
    world = keeping_orders(live_world(world_factory))
    add_user(world.settings, world.merchant_id, "clerk@kept.test")
    with TestClient(create_app(world.settings), base_url="http://127.0.0.1") as client:
        sign_in(client, "clerk@kept.test")
        yield world, client


def test_a_kept_order_is_shipped_from_its_page_once_and_its_tracking_corrected(site):
    world, client = site
    sku = live_skus(world)[0]
    placed, order = _kept(world, [{"sku_id": sku["sku_id"], "quantity": 1}])
    assert store_orders(world) == []

    listing = client.get("/orders").text
    assert "Kept in TokBridge (no store order)" in listing and "Ship it from TokBridge" in listing
    page = client.get(f"/orders/{order.id}").text
    assert 'data-testid="order-kept"' in page and 'data-testid="order-ship"' in page and "Mark as shipped" in page
    offered = re.findall(r'<option value="([^"]+)"', page.split('data-testid="order-ship"')[1].split("</form>")[0])
    assert "USPS" in offered, offered  # TikTok's providers for the order's delivery option

    # No CSRF token: refused, nothing queued.
    assert client.post(f"/orders/{order.id}/ship", data={"carrier": "USPS", "tracking_number": "X"}).status_code == 403
    # Refused in words before anything is sent.
    bad = client.post(
        f"/orders/{order.id}/ship", data={"csrf_token": csrf(page), "carrier": "USPS", "tracking_number": "94001 #11"}
    )
    assert "only letters, digits and dashes" in notice(bad.text)

    # A carrier TikTok does not offer for this order: the shipment fails in plain words, with a Retry.
    first = client.post(
        f"/orders/{order.id}/ship",
        data={"csrf_token": csrf(page), "carrier": "Pony Express", "tracking_number": "9400111899223197428700"},
    )
    assert "Sending the shipment" in notice(first.text)
    again = client.post(
        f"/orders/{order.id}/ship",
        data={"csrf_token": csrf(page), "carrier": "Pony Express", "tracking_number": "9400111899223197428700"},
    )
    assert "already on its way" in notice(again.text)  # the second submit adds nothing
    run_jobs(world)
    [shipment] = shipments(world)
    assert shipment.state == "failed" and "Pony Express" in shipment.last_error and "USPS" in shipment.last_error
    failed = client.get(f"/orders/{order.id}").text
    assert "TikTok has no shipping provider called" in failed and "/retry" in failed
    assert tiktok_orders(world)[placed["id"]]["status"] == "AWAITING_SHIPMENT"

    # The merchant maps the carrier in Order settings and presses Retry: the same entry goes out.
    def map_carrier(session):
        OrderRepository(session).settings(world.merchant_id, world.tiktok_connection_id).carrier_map = {
            "Pony Express": "USPS"
        }
        session.commit()

    as_merchant(world, map_carrier)
    retried = client.post(f"/orders/{order.id}/retry", data={"csrf_token": csrf(failed)})
    assert "Trying again" in notice(retried.text)
    run_jobs(world)
    tiktok = tiktok_orders(world)[placed["id"]]
    assert tiktok["status"] == "IN_TRANSIT" and tiktok["tracking_number"] == "9400111899223197428700"
    assert len(tiktok["packages"]) == 1
    [order] = orders(world)
    assert (order.status, order.last_error) == ("in_transit", None)
    [shipment] = shipments(world)
    assert (shipment.state, shipment.tracking_number) == ("sent", "9400111899223197428700")

    # The same shipment submitted again: nothing is sent twice.
    shipped = client.get(f"/orders/{order.id}").text
    assert "Correct the tracking number" in shipped
    twice = client.post(
        f"/orders/{order.id}/ship",
        data={"csrf_token": csrf(shipped), "carrier": "Pony Express", "tracking_number": "9400111899223197428700"},
    )
    assert "nothing was sent again" in notice(twice.text)
    run_jobs(world)
    tiktok = tiktok_orders(world)[placed["id"]]
    assert len(tiktok["packages"]) == 1 and tiktok["tracking_number"] == "9400111899223197428700"

    # A wrong tracking number corrected: TikTok takes one correction...
    fixed = client.post(
        f"/orders/{order.id}/ship",
        data={"csrf_token": csrf(shipped), "carrier": "USPS", "tracking_number": "9400111899223197428701"},
    )
    assert "corrected tracking number" in notice(fixed.text)
    run_jobs(world)
    tiktok = tiktok_orders(world)[placed["id"]]
    assert tiktok["tracking_number"] == "9400111899223197428701" and len(tiktok["packages"]) == 1
    # ... and says no to a second one: the page says so, TikTok keeps the first correction.
    client.post(
        f"/orders/{order.id}/ship",
        data={"csrf_token": csrf(shipped), "carrier": "USPS", "tracking_number": "9400111899223197428702"},
    )
    run_jobs(world)
    assert tiktok_orders(world)[placed["id"]]["tracking_number"] == "9400111899223197428701"
    refused = client.get(f"/orders/{order.id}").text
    assert "only once" in refused and "9400111899223197428701" in refused

    # The JSON API says the same.
    headers = {"X-CSRF-Token": client.get("/api/v1/me").json()["csrf_token"]}
    detail = client.get(f"/api/v1/orders/{order.id}").json()
    assert detail["kept_in_tokbridge"] is True and detail["ship_from_tokbridge"] == "correct"
    same = client.post(
        f"/api/v1/orders/{order.id}/ship",
        headers=headers,
        json={"carrier": "USPS", "tracking_number": "9400111899223197428701"},
    )
    assert same.status_code == 202 and "nothing was sent again" in same.json()["detail"]


def test_the_api_ships_a_kept_order_with_a_carrier_it_lists(site):
    world, client = site
    sku = live_skus(world)[0]
    placed, order = _kept(world, [{"sku_id": sku["sku_id"], "quantity": 1}])
    headers = {"X-CSRF-Token": client.get("/api/v1/me").json()["csrf_token"]}
    detail = client.get(f"/api/v1/orders/{order.id}").json()
    assert detail["ship_from_tokbridge"] == "ship" and "Ship it from TokBridge" in detail["what_to_do"]
    carriers = client.get(f"/api/v1/orders/{order.id}/carriers").json()
    ups = next(c for c in carriers if c["name"] == "UPS")
    no_token = client.post(f"/api/v1/orders/{order.id}/ship", json={"carrier": ups["id"], "tracking_number": "1Z9"})
    assert no_token.status_code == 403
    sent = client.post(
        f"/api/v1/orders/{order.id}/ship",
        headers=headers,
        json={"carrier": ups["id"], "tracking_number": "1ZKEPT0000000001"},
    )
    assert sent.status_code == 202, sent.text
    run_jobs(world)
    tiktok = tiktok_orders(world)[placed["id"]]
    assert tiktok["tracking_number"] == "1ZKEPT0000000001" and tiktok["shipping_provider_id"] == ups["id"]
    # Shipped: the page and the API now offer a correction, not a second shipment.
    assert client.get(f"/api/v1/orders/{order.id}").json()["ship_from_tokbridge"] == "correct"


def _search_returns(world) -> None:
    """What the Returns page's refresh does."""
    with session_scope(world.engine) as session:
        enqueue(
            bind_merchant(session, world.merchant_id),
            service.RETURNS_JOB,
            merchant_id=world.merchant_id,
            payload={"connection_id": world.tiktok_connection_id},
        )
    run_jobs(world)


def _replay_webhooks(world, base: str) -> int:
    """Every notification TikTok sent, delivered to the app again."""
    deliveries = world.tiktok_control("GET", "/sandbox/webhooks")["deliveries"]
    with httpx.Client(base_url=base, timeout=60) as client:
        for delivery in deliveries:
            body = httpx.Request("POST", "/", json=delivery["body"]).content
            answer = client.post(
                "/webhooks/tiktok",
                content=body,
                headers={
                    "content-type": "application/json",
                    "authorization": compute_signature(TIKTOK_KEY, TIKTOK_SECRET, body),
                },
            )
            assert answer.status_code == 200, answer.text
    return len(deliveries)


def test_cancelled_and_returned_kept_orders_put_their_stock_back_once(world_factory, store_without_orders):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    world = keeping_orders(
        live_world(world_factory, env={"BASE_URL": base}, tiktok={"webhook_url": f"{base}/webhooks/tiktok"})
    )
    first, second = [s for s in live_skus(world) if s["stock"] >= 2][:2]
    with serve(create_app(world.settings, embedded_worker=False), port=port):
        to_cancel = place(world, [{"sku_id": first["sku_id"], "quantity": 2}])
        to_return = place(world, [{"sku_id": second["sku_id"], "quantity": 2}])
        advance(world, 120)
        run_jobs(world)
        ours = {o.tiktok_order_id: o.id for o in orders(world)}
        before = {tiktok_id: store_available(world, order_id) for tiktok_id, order_id in ours.items()}
        advance(world, 3600)  # for the store now: kept, their units taken off its stock
        run_jobs(world)
        poll(world)
        assert {o.store_sync for o in orders(world)} == {"kept"}
        assert {t: store_available(world, i) for t, i in ours.items()} == {t: n - 2 for t, n in before.items()}

        # The buyer asks to cancel the first order; the merchant approves; TikTok cancels it.
        ok(http(world.tiktok_url).post(f"/sandbox/orders/{to_cancel['id']}/buyer_cancel"))
        advance(world, 1)
        run_jobs(world)
        [request] = as_merchant(world, lambda s: OrderRepository(s).cancellations(pending_only=True))
        as_merchant(world, lambda s: (service.decide_cancellation(s, request.id, True, None), s.commit()))
        run_jobs(world)
        advance(world, 1)
        run_jobs(world)
        assert tiktok_orders(world)[to_cancel["id"]]["status"] == "CANCELLED"
        assert store_available(world, ours[to_cancel["id"]]) == before[to_cancel["id"]]

        # The second is shipped from TokBridge, delivered, returned; TikTok completes the return.
        as_merchant(
            world,
            lambda s: (
                service.request_kept_shipment(s, ours[to_return["id"]], "USPS", "9400111899223197428800"),
                s.commit(),
            ),
        )
        run_jobs(world)
        assert tiktok_orders(world)[to_return["id"]]["tracking_number"] == "9400111899223197428800"
        advance(world, 3 * 24 * 3600)
        run_jobs(world)
        returned = ok(http(world.tiktok_url).post(f"/sandbox/orders/{to_return['id']}/return"))
        ok(
            http(world.tiktok_url).post(
                f"/sandbox/returns/{returned['return_id']}/status", json={"status": "RETURN_OR_REFUND_REQUEST_COMPLETE"}
            )
        )
        advance(world, 1)
        run_jobs(world)
        _search_returns(world)
        with session_scope(world.engine) as session:
            [row] = session.query(Return).all()
            assert row.restocked and row.store_refund_id is None  # no store order to record a refund on
        assert store_available(world, ours[to_return["id"]]) == before[to_return["id"]]

        # Every notification delivered again (twice), and the periodic searches again: nothing comes back twice.
        assert _replay_webhooks(world, base) > 0
        _replay_webhooks(world, base)
        run_jobs(world)
        poll(world)
        _search_returns(world)
        assert {t: store_available(world, i) for t, i in ours.items()} == before
        cancelled = next(o for o in orders(world) if o.tiktok_order_id == to_cancel["id"])
        assert cancelled.store_cancelled and cancelled.status == "cancelled"


def _seller_cancels(world, tiktok_order_id: str, line_ids: list[str] | None = None) -> None:
    """The seller cancels lines of the order (all of them: None) on TikTok, through TikTok's own API."""
    with session_scope(world.engine) as session:
        connection = ConnectionRepository(session).get(world.tiktok_connection_id)
        client = factory.tiktok_client(world.settings, world.engine, connection)
        client.cancel_order(
            m.CancelOrderInput(
                order_id=tiktok_order_id,
                cancel_reason="seller_cancel_reason_out_of_stock",
                order_line_item_ids=line_ids,
            )
        )


def test_a_kept_order_cancelled_after_one_line_was_gives_back_only_what_it_took(world_factory, store_without_orders):
    """A line TikTok cancelled before the order was kept never left the store's stock: when the rest of the
    order is cancelled later, only the units actually taken go back (before, every line's did)."""
    world = keeping_orders(live_world(world_factory))
    kept_sku, dropped_sku = [s for s in live_skus(world) if s["stock"] >= 2][:2]
    placed = place(
        world, [{"sku_id": kept_sku["sku_id"], "quantity": 1}, {"sku_id": dropped_sku["sku_id"], "quantity": 1}]
    )
    advance(world, 120)
    poll(world)
    run_jobs(world)
    [order] = [o for o in orders(world) if o.tiktok_order_id == placed["id"]]
    before = {sku: store_available(world, order.id, sku) for sku in (kept_sku["sku_id"], dropped_sku["sku_id"])}

    # Still in the buyer's remorse window: the seller cancels the second line on TikTok.
    dropped_line = next(
        line["id"]
        for line in tiktok_orders(world)[placed["id"]]["line_items"]
        if line["sku_id"] == dropped_sku["sku_id"]
    )
    _seller_cancels(world, placed["id"], [dropped_line])
    advance(world, 3600)  # the rest is kept: one unit of the first item leaves the store's stock
    run_jobs(world)
    poll(world)
    [order] = [o for o in orders(world) if o.tiktok_order_id == placed["id"]]
    assert order.store_sync == "kept"
    assert store_available(world, order.id, kept_sku["sku_id"]) == before[kept_sku["sku_id"]] - 1
    assert store_available(world, order.id, dropped_sku["sku_id"]) == before[dropped_sku["sku_id"]]

    # Then the seller cancels what is left: the taken unit goes back, and nothing for the line never taken.
    _seller_cancels(world, placed["id"])
    advance(world, 1)
    run_jobs(world)
    poll(world)
    run_jobs(world)
    [order] = [o for o in orders(world) if o.tiktok_order_id == placed["id"]]
    assert order.store_cancelled and order.status == "cancelled"
    assert {sku: store_available(world, order.id, sku) for sku in before} == before

    # The cancellation's job run again (a duplicate notification) changes nothing.
    with session_scope(world.engine) as session:
        enqueue(
            session,
            service.CANCEL_IN_STORE_JOB,
            merchant_id=world.merchant_id,
            payload={"connection_id": world.tiktok_connection_id, "order_id": order.id},
        )
    run_jobs(world)
    assert {sku: store_available(world, order.id, sku) for sku in before} == before
