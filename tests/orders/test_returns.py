"""A completed return puts the returned units back in store stock, once, when the setting says so."""

from __future__ import annotations

from tests.orders.helpers import advance, as_merchant, http, live_skus, live_world, ok, orders, place, poll, run_jobs
from tests.support.world import SHOP
from tokbridge.db.engine import session_scope
from tokbridge.jobs.service import enqueue
from tokbridge.orders import service
from tokbridge.orders.models import Return
from tokbridge.orders.repository import OrderRepository
from tokbridge.tenancy.scoping import bind_merchant


def _store_available(world, seller_sku: str) -> int:
    """Available stock of the store variant with this SKU at its first location (where returns go)."""
    offset = 0
    while batch := ok(
        http(world.shopify_url).get(f"/sandbox/shops/{SHOP}/products", params={"offset": offset, "limit": 50})
    )["products"]:
        for product in batch:
            for variant in product["variants"]:
                if variant["sku"] == seller_sku:
                    levels = [s for s in product["stock"] if s["inventory_item_id"] == variant["inventory_item_id"]]
                    return levels[0]["available"]
        offset += len(batch)
    raise AssertionError(f"no store variant with SKU {seller_sku}")


def _enqueue(world, kind: str, payload: dict) -> None:
    with session_scope(world.engine) as session:
        bind_merchant(session, world.merchant_id)
        enqueue(session, kind, merchant_id=world.merchant_id, payload=payload)
    run_jobs(world)


def _sold_and_delivered(world, items: list[dict], tracking: str):
    """An order of `items` placed on TikTok and brought into the store, fulfilled there (the tracking goes
    to TikTok) and delivered: (TikTok's order, our order, {seller SKU: store stock right after the sale})."""
    placed = place(world, items)
    advance(world, 120)
    advance(world, 3600)
    poll(world)
    [order] = orders(world)
    assert order.store_sync == "created"
    skus = {s["sku_id"]: s["seller_sku"] for s in live_skus(world)}
    after_sale = {skus[item["sku_id"]]: _store_available(world, skus[item["sku_id"]]) for item in items}
    store_order_id = order.store_order_id.rsplit("/", 1)[-1]
    ok(
        http(world.shopify_url).post(
            f"/sandbox/shops/{SHOP}/orders/{store_order_id}/fulfill", json={"company": "USPS", "number": tracking}
        )
    )
    _enqueue(world, service.SHIP_JOB, {"order_id": order.id})
    advance(world, 3 * 24 * 3600)
    return placed, order, after_sale


def _complete_return(world, placed: dict) -> dict:
    """The buyer returns the order and TikTok's warehouse flow completes it; the returns search runs."""
    returned = ok(http(world.tiktok_url).post(f"/sandbox/orders/{placed['id']}/return"))
    ok(
        http(world.tiktok_url).post(
            f"/sandbox/returns/{returned['return_id']}/status", json={"status": "RETURN_OR_REFUND_REQUEST_COMPLETE"}
        )
    )
    _enqueue(world, service.RETURNS_JOB, {"connection_id": world.tiktok_connection_id})
    return returned


def test_completed_return_restocks_the_store_once(world_factory):
    world = live_world(world_factory)
    sku = next(s for s in live_skus(world) if s["seller_sku"])
    # Two units sold; the merchant ships from the store; the tracking goes to TikTok; delivered.
    placed, _order, after_sale = _sold_and_delivered(
        world, [{"sku_id": sku["sku_id"], "quantity": 2}], "9400111899223197428490"
    )
    after_sale = after_sale[sku["seller_sku"]]

    # The buyer returns both units; TikTok's warehouse flow completes the return.
    returned = ok(http(world.tiktok_url).post(f"/sandbox/orders/{placed['id']}/return"))
    _enqueue(world, service.RETURNS_JOB, {"connection_id": world.tiktok_connection_id})
    assert _store_available(world, sku["seller_sku"]) == after_sale  # pending: nothing back yet
    ok(
        http(world.tiktok_url).post(
            f"/sandbox/returns/{returned['return_id']}/status", json={"status": "RETURN_OR_REFUND_REQUEST_COMPLETE"}
        )
    )
    _enqueue(world, service.RETURNS_JOB, {"connection_id": world.tiktok_connection_id})
    assert _store_available(world, sku["seller_sku"]) == after_sale + 2

    # Seen again (a repeated search, a duplicate notification): restocked once only.
    _enqueue(world, service.RETURNS_JOB, {"connection_id": world.tiktok_connection_id})
    assert _store_available(world, sku["seller_sku"]) == after_sale + 2
    with session_scope(world.engine) as session:
        [row] = session.query(Return).all()
        assert row.restocked and row.return_status == "RETURN_OR_REFUND_REQUEST_COMPLETE"


def test_no_restock_when_the_setting_is_off(world_factory):
    world = live_world(world_factory)
    sku = next(s for s in live_skus(world) if s["seller_sku"])
    placed, _order, after_sale = _sold_and_delivered(
        world, [{"sku_id": sku["sku_id"], "quantity": 1}], "9400111899223197428491"
    )

    def settings_off(session):
        OrderRepository(session).settings(world.merchant_id, world.tiktok_connection_id).restock_on_return = False

    as_merchant(world, settings_off)
    _complete_return(world, placed)
    assert _store_available(world, sku["seller_sku"]) == after_sale[sku["seller_sku"]]
    with session_scope(world.engine) as session:
        [row] = session.query(Return).all()
        assert not row.restocked and row.return_status == "RETURN_OR_REFUND_REQUEST_COMPLETE"


def test_returned_items_without_a_store_variant_are_told_in_recent_activity(world_factory):
    """One returned item's store variant is gone (unlinked since the sale): the other goes back to stock,
    and Recent Activity names the one the merchant must count in by hand."""
    from sqlalchemy import select, update

    from tokbridge.activity.models import Activity
    from tokbridge.orders.models import OrderLine

    world = live_world(world_factory)
    kept, gone = [s for s in live_skus(world) if s["seller_sku"]][:2]
    placed, _order, after_sale = _sold_and_delivered(
        world,
        [{"sku_id": kept["sku_id"], "quantity": 1}, {"sku_id": gone["sku_id"], "quantity": 1}],
        "9400111899223197428492",
    )
    with session_scope(world.engine) as session:
        session.execute(update(OrderLine).where(OrderLine.tiktok_sku_id == gone["sku_id"]).values(variant_id=None))

    _complete_return(world, placed)
    assert _store_available(world, kept["seller_sku"]) == after_sale[kept["seller_sku"]] + 1
    with session_scope(world.engine) as session:
        [row] = session.query(Return).all()
        assert row.restocked
        notes = list(session.scalars(select(Activity).where(Activity.kind == "orders.return_not_restocked")))
    assert len(notes) == 1 and notes[0].status == "failed"
    assert f"({gone['seller_sku']})" in notes[0].message and f"({kept['seller_sku']})" not in notes[0].message
    assert notes[0].details["order_id"] == placed["id"] and sum(notes[0].details["items"].values()) == 1

    # Seen again: nothing restocked twice, nothing told twice.
    _enqueue(world, service.RETURNS_JOB, {"connection_id": world.tiktok_connection_id})
    assert _store_available(world, kept["seller_sku"]) == after_sale[kept["seller_sku"]] + 1
    with session_scope(world.engine) as session:
        assert session.query(Activity).filter(Activity.kind == "orders.return_not_restocked").count() == 1


# --- the merchant's decision, from the order page ----------------------------------------------------------

RAW_CODES = (
    "RETURN_OR_REFUND",
    "REFUND_OR_RETURN",
    "AWAITING_BUYER_SHIP",
    "BUYER_SHIPPED_ITEM",
    "reverse_reject",
    "RETURN_AND_REFUND",
    "APPROVE_",
    "REJECT_",
)


def _site(world):
    from fastapi.testclient import TestClient

    from tests.conftest import add_user, sign_in
    from tokbridge.web.app import create_app

    add_user(world.settings, world.merchant_id, "returns@pages.test")
    client = TestClient(create_app(world.settings), base_url="http://127.0.0.1")
    sign_in(client, "returns@pages.test")
    return client


def _csrf(html: str) -> str:
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _return_status(world) -> str:
    with session_scope(world.engine) as session:
        [row] = session.query(Return).all()
        return row.return_status


def _visible_text(html: str) -> str:
    """What the merchant reads: the page without its tags and attribute values (form values are names)."""
    import html as entities
    import re

    return entities.unescape(re.sub(r"<[^>]+>", " ", html))


def test_a_return_is_approved_from_the_order_page_then_the_returned_items(world_factory):
    world = live_world(world_factory)
    sku = next(s for s in live_skus(world) if s["seller_sku"])
    placed, order, _ = _sold_and_delivered(world, [{"sku_id": sku["sku_id"], "quantity": 1}], "9400111899223197428493")
    returned = ok(http(world.tiktok_url).post(f"/sandbox/orders/{placed['id']}/return"))
    _enqueue(world, service.RETURNS_JOB, {"connection_id": world.tiktok_connection_id})

    with _site(world) as client:
        page = client.get(f"/orders/{order.id}")
        shown = _visible_text(page.text)
        assert "Return and refund" in shown and "Waiting for your decision" in shown
        assert "Approve" in shown and "The buyer's reason for the return is not valid" in shown
        assert not any(code in shown for code in RAW_CODES), shown
        listed = _visible_text(client.get("/orders").text)
        assert "Return and refund — Waiting for your decision" in listed
        assert not any(code in listed for code in RAW_CODES)
        [form_action] = set(__import__("re").findall(r'action="(/orders/returns/\d+)"', page.text))

        approved = client.post(form_action, data={"csrf_token": _csrf(page.text), "decision": "approve"})
        assert "Return approved" in approved.text
        run_jobs(world)
        assert _return_status(world) == "AWAITING_BUYER_SHIP"
        page = client.get(f"/orders/{order.id}")
        assert "waiting for the buyer to send the items back" in page.text and form_action not in page.text

        # Second pass: the items come back; TokBridge asks again, with the reasons for a received package.
        ok(
            http(world.tiktok_url).post(
                f"/sandbox/returns/{returned['return_id']}/status", json={"status": "BUYER_SHIPPED_ITEM"}
            )
        )
        _enqueue(world, service.RETURNS_JOB, {"connection_id": world.tiktok_connection_id})
        page = client.get(f"/orders/{order.id}")
        assert "The returned items have arrived" in page.text and "Items or parts are missing" in page.text
        wrong = client.post(
            form_action,
            data={
                "csrf_token": _csrf(page.text),
                "decision": "reject",
                "reject_reason": "reverse_reject_request_reason_1",
            },
        )
        assert "Choose why you reject the return" in wrong.text
        approved = client.post(form_action, data={"csrf_token": _csrf(page.text), "decision": "approve"})
        assert "Return approved" in approved.text
        run_jobs(world)
        assert _return_status(world) == "RETURN_OR_REFUND_REQUEST_SUCCESS"
        page = client.get(f"/orders/{order.id}")
        assert "TikTok is refunding the buyer" in page.text and "recorded on the store order" in page.text

        # TikTok's refund is on the store order: the returned unit, once, however often the return is read.
        [refund] = _store_refunds(world, order)
        assert [(line["quantity"], line["restock_type"]) for line in refund["refund_line_items"]] == [(1, "NO_RESTOCK")]
        assert returned["return_id"] in refund["note"]
        ok(
            http(world.tiktok_url).post(
                f"/sandbox/returns/{returned['return_id']}/status", json={"status": "RETURN_OR_REFUND_REQUEST_COMPLETE"}
            )
        )
        _enqueue(world, service.RETURNS_JOB, {"connection_id": world.tiktok_connection_id})
        assert len(_store_refunds(world, order)) == 1
        assert "Refunded" in _visible_text(client.get(f"/orders/{order.id}").text)


def _store_refunds(world, order) -> list[dict]:
    store_order_id = order.store_order_id.rsplit("/", 1)[-1]
    return ok(http(world.shopify_url).get(f"/sandbox/shops/{SHOP}/orders/{store_order_id}"))["refunds"]


def test_a_refund_request_is_rejected_with_a_reason_from_the_order_page(world_factory):
    world = live_world(world_factory)
    sku = next(s for s in live_skus(world) if s["seller_sku"])
    placed, order, _ = _sold_and_delivered(world, [{"sku_id": sku["sku_id"], "quantity": 1}], "9400111899223197428494")
    ok(http(world.tiktok_url).post(f"/sandbox/orders/{placed['id']}/return", json={"return_type": "REFUND"}))
    _enqueue(world, service.RETURNS_JOB, {"connection_id": world.tiktok_connection_id})

    with _site(world) as client:
        page = client.get(f"/orders/{order.id}")
        assert "Refund only" in page.text and "without sending the items back" in page.text
        [form_action] = set(__import__("re").findall(r'action="(/orders/returns/\d+)"', page.text))
        no_reason = client.post(form_action, data={"csrf_token": _csrf(page.text), "decision": "reject"})
        assert "Choose why you reject the return" in no_reason.text
        rejected = client.post(
            form_action,
            data={
                "csrf_token": _csrf(page.text),
                "decision": "reject",
                "reject_reason": "reverse_reject_request_reason_5",
            },
        )
        assert "Return rejected" in rejected.text
        run_jobs(world)
        assert _return_status(world) == "REFUND_OR_RETURN_REQUEST_REJECT"
        page = client.get(f"/orders/{order.id}")
        assert "Rejected" in _visible_text(page.text) and form_action not in page.text
        assert _store_refunds(world, order) == []  # nothing refunded, nothing recorded
        # Answered already: a second answer is refused before anything reaches TikTok.
        again = client.post(form_action, data={"csrf_token": _csrf(page.text), "decision": "approve"})
        assert "no longer waiting for your decision" in again.text


def test_tiktok_refusing_a_decision_is_told_in_plain_words(world_factory):
    world = live_world(world_factory)
    sku = next(s for s in live_skus(world) if s["seller_sku"])
    placed, order, _ = _sold_and_delivered(world, [{"sku_id": sku["sku_id"], "quantity": 1}], "9400111899223197428495")
    returned = ok(http(world.tiktok_url).post(f"/sandbox/orders/{placed['id']}/return"))
    _enqueue(world, service.RETURNS_JOB, {"connection_id": world.tiktok_connection_id})

    with _site(world) as client:
        page = client.get(f"/orders/{order.id}")
        [form_action] = set(__import__("re").findall(r'action="(/orders/returns/\d+)"', page.text))
        client.post(form_action, data={"csrf_token": _csrf(page.text), "decision": "approve"})
        # The buyer withdraws the return before the decision reaches TikTok.
        ok(
            http(world.tiktok_url).post(
                f"/sandbox/returns/{returned['return_id']}/status", json={"status": "RETURN_OR_REFUND_REQUEST_CANCEL"}
            )
        )
        run_jobs(world)
        page = client.get(f"/orders/{order.id}")
        shown = _visible_text(page.text)
        assert "The buyer cancelled this return" in shown and "Cancelled by the buyer" in shown
        assert "25020009" not in shown and "reverse already cancelled" not in shown


def test_the_json_api_answers_a_refund_request(world_factory):
    world = live_world(world_factory)
    sku = next(s for s in live_skus(world) if s["seller_sku"])
    placed, order, _ = _sold_and_delivered(world, [{"sku_id": sku["sku_id"], "quantity": 1}], "9400111899223197428496")
    ok(http(world.tiktok_url).post(f"/sandbox/orders/{placed['id']}/return", json={"return_type": "REFUND"}))
    _enqueue(world, service.RETURNS_JOB, {"connection_id": world.tiktok_connection_id})

    with _site(world) as client:
        client.headers["X-CSRF-Token"] = client.get("/api/v1/me").json()["csrf_token"]
        [waiting] = client.get("/api/v1/orders/returns").json()
        assert waiting["waiting_for_you"] and "reverse_reject_request_reason_5" in waiting["reject_reasons"]
        wrong = client.post(
            f"/api/v1/orders/returns/{waiting['id']}/reject", json={"reason": "reverse_reject_return_parcel_reason_1"}
        )  # a reason for a package
        assert wrong.status_code == 409
        assert client.post("/api/v1/orders/returns/999999/approve").status_code == 404
        assert client.post(f"/api/v1/orders/returns/{waiting['id']}/approve").status_code == 202
        run_jobs(world)
        [done] = client.get("/api/v1/orders/returns").json()
        assert done["return_status"] == "RETURN_OR_REFUND_REQUEST_SUCCESS" and not done["waiting_for_you"]
        assert done["refunded_in_store"] and len(_store_refunds(world, order)) == 1
        assert client.post(f"/api/v1/orders/returns/{waiting['id']}/approve").status_code == 409  # decided
