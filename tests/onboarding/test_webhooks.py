"""Webhook intake and processing, with the sandboxes delivering to the live app over HTTP."""

from __future__ import annotations

import json
import re
import uuid
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select

from tests.onboarding.conftest import SHOP, SHOPIFY_SECRET, TIKTOK_KEY, TIKTOK_SECRET
from tests.support.waiting import wait_for
from tokbridge.activity.models import Activity
from tokbridge.catalog.models import CatalogInventoryLevel, CatalogProduct, CatalogVariant
from tokbridge.channels.tiktok.webhooks import compute_signature
from tokbridge.db.engine import session_scope
from tokbridge.inbox.models import InboundEvent
from tokbridge.jobs.registry import handler_for
from tokbridge_sandboxes.shopify import sign_body


def _inbox(world, source: str | None = None) -> list[InboundEvent]:
    with session_scope(world.engine) as session:
        query = select(InboundEvent).order_by(InboundEvent.id)
        if source:
            query = query.where(InboundEvent.source == source)
        return list(session.scalars(query))


def _product(world, external_id: str) -> CatalogProduct:
    with session_scope(world.engine) as session:
        return session.scalar(select(CatalogProduct).where(CatalogProduct.external_id == external_id))


def _titles(world) -> list[str]:
    with session_scope(world.engine) as session:
        return list(session.scalars(select(Activity.title).order_by(Activity.id)))


def _sync_jobs(world) -> list[tuple[int, str]]:
    return sorted((job.payload["product_id"], job.payload["reason"]) for job in world.jobs("listings.sync_product"))


def _connected_store(start_world, **shopify):
    world = start_world(catalog=6, shopify=shopify)
    merchant = world.browser()
    assert world.connect_shopify(merchant).status_code == 303
    world.settle()
    return world, merchant


def _deliveries_settled(world) -> list[dict]:
    answer = world.shopify_control("GET", "/sandbox/webhooks/deliveries", params={"wait": 10})
    assert answer["idle"]
    return answer["deliveries"]


def _post_shopify(
    world,
    body: bytes,
    *,
    topic: str = "products/update",
    shop: str = SHOP,
    secret: str | None = SHOPIFY_SECRET,
    event_id: str | None = None,
) -> httpx.Response:
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-API-Version": "2026-10",
    }
    if secret is not None:
        headers["X-Shopify-Hmac-Sha256"] = sign_body(secret, body)
    return httpx.post(f"{world.base_url}/webhooks/shopify", content=body, headers=headers, timeout=10)


def _post_tiktok(world, body: bytes, signature: str | None = None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    signature = compute_signature(TIKTOK_KEY, TIKTOK_SECRET, body) if signature is None else signature
    if signature:
        headers["Authorization"] = signature
    return httpx.post(f"{world.base_url}/webhooks/tiktok", content=body, headers=headers, timeout=10)


def test_shopify_signature_malformed_and_unknown_shop(start_world):
    world, _merchant = _connected_store(start_world)
    before = len(_inbox(world))
    body = json.dumps({"id": 1, "title": "x"}).encode()

    assert _post_shopify(world, body, secret=None).status_code == 401
    assert _post_shopify(world, body, secret="not-the-app-secret").status_code == 401
    tampered = _post_shopify(world, body + b" ", secret=SHOPIFY_SECRET, event_id="e1")
    assert tampered.status_code == 200  # a body signed as sent is accepted...
    forged = httpx.post(
        f"{world.base_url}/webhooks/shopify",
        content=b'{"id": 2}',
        timeout=10,
        headers={
            "X-Shopify-Topic": "products/update",
            "X-Shopify-Shop-Domain": SHOP,
            "X-Shopify-Hmac-Sha256": sign_body(SHOPIFY_SECRET, body),
        },
    )
    assert forged.status_code == 401  # ...one changed after signing is not
    assert _post_shopify(world, b"{not json", event_id="e2").status_code == 400
    assert _post_shopify(world, b"[1, 2]", event_id="e3").status_code == 400
    unknown = _post_shopify(world, body, shop="someone-else.myshopify.com", event_id="e4")
    assert unknown.status_code == 200 and "ignored" in unknown.json()["detail"]
    assert [e.external_id for e in _inbox(world)[before:]] == ["e1"]


def test_tiktok_signature_malformed_routing_and_duplicates(start_world):
    world = start_world(catalog=0)
    merchant = world.browser()
    assert world.connect_tiktok(merchant).status_code == 303
    [connection] = world.connections("tiktok")
    envelope = {
        "type": 5,
        "tts_notification_id": "7327",
        "shop_id": connection.external_id,
        "timestamp": 1700000000,
        "data": {"product_id": 1729592969712207000, "status": "PRODUCT_STATUS_CHANGED"},
    }
    body = json.dumps(envelope).encode()

    assert _post_tiktok(world, body, signature="").status_code == 401
    assert _post_tiktok(world, body, signature="00" * 32).status_code == 401
    assert _post_tiktok(world, b"not json").status_code == 400
    assert _post_tiktok(world, json.dumps({"type": "five"}).encode()).status_code == 400
    stranger = json.dumps({**envelope, "shop_id": "999", "tts_notification_id": "1"}).encode()
    assert _post_tiktok(world, stranger).status_code == 200
    assert _inbox(world) == []

    assert _post_tiktok(world, body).status_code == 200
    assert _post_tiktok(world, body).json()["detail"].startswith("Duplicate")
    [event] = _inbox(world)
    assert event.topic == "5" and event.merchant_id == merchant.merchant_id
    world.settle(("inbox.process",))
    [refresh] = world.jobs("listings.refresh_status")
    # The id is exact: it does not fit in a double.
    assert refresh.payload == {"connection_id": connection.id, "tiktok_product_ids": ["1729592969712207000"]}
    assert _inbox(world)[0].processed_at is not None

    # An order event is handed to the order pipeline: one `orders.intake` job for that order.
    order = {
        "type": 1,
        "tts_notification_id": "8001",
        "shop_id": connection.external_id,
        "data": {"order_id": "576461413038785752", "order_status": "AWAITING_SHIPMENT"},
    }
    assert _post_tiktok(world, json.dumps(order).encode()).status_code == 200
    world.settle(("inbox.process",))
    order_event = _inbox(world)[-1]
    assert handler_for("orders.intake") is not None and order_event.processed_at is not None
    intakes = [job.payload for job in world.jobs("orders.intake")]
    assert [(p["connection_id"], p["order_id"]) for p in intakes] == [(connection.id, "576461413038785752")]


@pytest.mark.slow
def test_store_changes_are_processed_once_and_reach_the_listing_sync(start_world):
    world, _merchant = _connected_store(start_world, webhook_duplicate_rate=1.0)
    world.declare_app_webhooks()
    first = world.shopify_control("GET", "/sandbox/shops/{shop}/products", params={"limit": 1})["products"][0]
    product_gid = first["admin_graphql_api_id"]
    inbox_before = len(_inbox(world))

    world.shopify_control("PATCH", f"/sandbox/shops/{{shop}}/products/{first['id']}", json={"title": "Renamed tee"})
    stock = first["stock"][0]
    world.shopify_control(
        "PUT",
        "/sandbox/shops/{shop}/inventory",
        json={"inventory_item_id": stock["inventory_item_id"], "location_id": stock["location_id"], "available": 77},
    )
    deliveries = [d for d in _deliveries_settled(world) if d["topic"] in ("products/update", "inventory_levels/update")]
    # Each event came four times (subscription and app-level address, each delivered twice)...
    assert len(deliveries) == 8 and len({d["event_id"] for d in deliveries}) == 2
    # ...and was recorded and processed once.
    events = _inbox(world)[inbox_before:]
    assert sorted(e.topic for e in events) == ["inventory_levels/update", "products/update"]
    world.settle()
    # Webhooks recorded together share one processing job; never more jobs than events.
    assert 1 <= len(world.jobs("inbox.process")) <= len(_inbox(world))
    assert all(e.processed_at is not None for e in _inbox(world)[inbox_before:])

    product = _product(world, product_gid)
    assert product.title == "Renamed tee"
    with session_scope(world.engine) as session:
        level = session.scalar(
            select(CatalogInventoryLevel.available)
            .join(CatalogVariant, CatalogVariant.id == CatalogInventoryLevel.variant_id)
            .where(
                CatalogVariant.inventory_item_external_id
                == f"gid://shopify/InventoryItem/{stock['inventory_item_id']}",
                CatalogInventoryLevel.location_external_id == f"gid://shopify/Location/{stock['location_id']}",
            )
        )
    assert level == 77
    assert _sync_jobs(world) == [(product.id, "info"), (product.id, "inventory")]


def test_a_late_update_never_overwrites_newer_data(start_world):
    world, _merchant = _connected_store(start_world, frozen_clock=True)
    first = world.shopify_control("GET", "/sandbox/shops/{shop}/products", params={"limit": 1})["products"][0]
    path = f"/sandbox/shops/{{shop}}/products/{first['id']}"

    world.shopify_control("PATCH", path, json={"title": "First edit"})
    world.shopify_control("POST", "/sandbox/clock", json={"seconds": 30})
    world.shopify_control("PATCH", path, json={"title": "Second edit"})
    deliveries = _deliveries_settled(world)
    world.settle()
    product = _product(world, first["admin_graphql_api_id"])
    assert product.title == "Second edit"

    # Shopify delivers the first edit's webhook again, late (a retry, under a new event id).
    old = next(d for d in deliveries if d["topic"] == "products/update" and d["payload"]["title"] == "First edit")
    assert _post_shopify(world, json.dumps(old["payload"]).encode()).status_code == 200
    world.settle()
    assert _inbox(world)[-1].processed_at is not None
    after = _product(world, first["admin_graphql_api_id"])
    assert after.title == "Second edit"
    # Not even re-read: the stored copy is untouched.
    assert after.synced_at == product.synced_at and after.source_updated_at == product.source_updated_at


def test_reconciliation_catches_a_change_whose_webhook_was_dropped(start_world):
    world, merchant = _connected_store(start_world)
    # Shopify stopped delivering (it removes subscriptions whose deliveries keep failing).
    [connection] = world.connections("shopify")
    from tokbridge.channels.shopify.plugin import PLUGIN

    with PLUGIN.client(world.settings, connection) as client:
        for node in client.query("{ webhookSubscriptions(first: 50) { nodes { id } } }")["webhookSubscriptions"][
            "nodes"
        ]:
            client.mutate(
                "mutation D($id: ID!) { webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId "
                "userErrors { field message } } }",
                {"id": node["id"]},
                "webhookSubscriptionDelete",
            )
    first = world.shopify_control("GET", "/sandbox/shops/{shop}/products", params={"limit": 1})["products"][0]
    inbox_before = len(_inbox(world))
    world.shopify_control("PATCH", f"/sandbox/shops/{{shop}}/products/{first['id']}", json={"title": "Changed quietly"})
    _deliveries_settled(world)
    assert len(_inbox(world)) == inbox_before
    assert _product(world, first["admin_graphql_api_id"]).title != "Changed quietly"

    # The periodic job (fired by the workers' maintenance pass) fans out one reconciliation per store.
    from tokbridge.catalog.tasks import RECONCILE_ALL_JOB
    from tokbridge.jobs.maintenance import run_maintenance
    from tokbridge.jobs.service import enqueue

    run_maintenance(world.settings)
    assert len(world.jobs(RECONCILE_ALL_JOB)) == 1
    world.settle()
    product = _product(world, first["admin_graphql_api_id"])
    assert product.title == "Changed quietly"
    assert (product.id, "info") in _sync_jobs(world)
    assert "Caught up with 1 store change" in _titles(world)
    # A second run finds nothing new to write.
    with session_scope(world.engine) as session:
        enqueue(session, RECONCILE_ALL_JOB, merchant_id=None)
    world.settle()
    assert _titles(world).count("Caught up with 1 store change") == 1
    assert merchant.merchant_id == product.merchant_id


def test_uninstall_and_privacy_requests(start_world):
    world, merchant = _connected_store(start_world)
    world.declare_app_webhooks()
    world.shopify_control("POST", "/sandbox/shops/{shop}/privacy/customers/data_request", json={"orders": [1001]})
    world.shopify_control("POST", "/sandbox/shops/{shop}/privacy/customers/redact", json={})
    world.shopify_control("POST", "/sandbox/shops/{shop}/uninstall")
    _deliveries_settled(world)
    world.settle()
    titles = _titles(world)
    assert "Customer data request from Shopify" in titles and "Customer data erasure request from Shopify" in titles
    assert f"Shopify store {SHOP} disconnected" in titles
    [connection] = world.connections("shopify")
    assert connection.status == "disconnected" and connection.access_token is None
    with session_scope(world.engine) as session:
        details = session.scalar(select(Activity.details).where(Activity.kind == "privacy.data_request"))
        assert "john@example.com" not in json.dumps(details)
        assert session.scalar(select(CatalogProduct.id).limit(1)) is not None

    # A late product webhook for the disconnected store is acknowledged and left alone.
    first = world.shopify_control("GET", "/sandbox/shops/{shop}/products", params={"limit": 1})["products"][0]
    assert _post_shopify(world, json.dumps(first).encode()).status_code == 200
    world.settle()
    assert _inbox(world)[-1].processed_at is not None
    assert {job.state for job in world.jobs("inbox.process")} == {"succeeded"}

    world.shopify_control("POST", "/sandbox/shops/{shop}/privacy/shop/redact", json={})
    _deliveries_settled(world)
    world.settle()
    assert world.connections("shopify") == []
    with session_scope(world.engine) as session:
        assert session.scalar(select(CatalogProduct.id).limit(1)) is None
    assert f"Data of Shopify store {SHOP} deleted" in _titles(world)
    assert merchant.merchant_id


def test_tiktok_deauthorization_and_expiry_warning(start_world):
    world = start_world(catalog=0)
    merchant = world.browser()
    assert world.connect_tiktok(merchant).status_code == 303
    world.settle()  # subscribes the shop's webhooks to our address

    world.tiktok_control("POST", "/sandbox/seller/upcoming_expiration")
    world.tiktok_control("POST", "/sandbox/seller/deauthorize")
    wait_for(lambda: len(_inbox(world, "tiktok")) == 2, timeout=20, what="TikTok's webhooks 6 and 7")
    world.settle()
    titles = _titles(world)
    assert any(t.startswith("TikTok authorization of ") and " ends on " in t for t in titles)
    [connection] = world.connections("tiktok")
    assert connection.status == "disconnected" and connection.access_token is None
    assert any(t.startswith("TikTok shop ") and t.endswith(" disconnected") for t in titles)
    assert merchant.merchant_id == connection.merchant_id


def test_an_expired_store_token_is_refreshed_once_and_work_goes_on(start_world):
    world, _merchant = _connected_store(start_world)
    [before] = world.connections("shopify")
    assert before.refresh_token and before.access_expires_at
    # An hour later, in Shopify's time: the offline access token has expired.
    world.shopify_control("POST", "/sandbox/clock", json={"seconds": 3700})
    first = world.shopify_control("GET", "/sandbox/shops/{shop}/products", params={"limit": 1})["products"][0]
    world.shopify_control("PATCH", f"/sandbox/shops/{{shop}}/products/{first['id']}", json={"title": "After expiry"})
    _deliveries_settled(world)
    world.settle()
    assert _product(world, first["admin_graphql_api_id"]).title == "After expiry"
    [after] = world.connections("shopify")
    assert after.access_token != before.access_token and after.refresh_token != before.refresh_token
    assert after.status == "active"


def test_a_charge_approved_or_ended_at_shopify_reaches_the_plan(start_world):
    """app_subscriptions/update: approved without coming back to TokBridge applies the plan; the plan's
    charge cancelled at Shopify puts the merchant back on the free plan. Shopify's word is read again."""
    world, merchant = _connected_store(start_world, billing_auto_approve=False)
    asked = merchant.http.post("/plans/growth", data={"csrf_token": merchant.csrf("/plans")})
    assert asked.status_code == 303
    confirmation = asked.headers["location"]
    page = httpx.get(confirmation, timeout=10)
    signature = re.search(r'name="signature" value="([^"]+)"', page.text).group(1)
    approved = httpx.post(
        confirmation.split("?")[0],
        data={"decision": "approve", "signature": signature},
        follow_redirects=False,
        timeout=10,
    )
    assert approved.status_code in (302, 303)  # back to TokBridge; the merchant closes the tab instead

    def plan() -> str:
        return merchant.http.get("/api/v1/dashboard").json()["plan"]["code"]

    assert plan() == "free"
    _deliveries_settled(world)
    world.settle()
    assert plan() == "growth"
    # The merchant's browser comes back after the notification applied the plan: told so, not an error.
    returned = urlsplit(approved.headers["location"])
    back = merchant.http.get(f"{returned.path}?{returned.query}", follow_redirects=False)
    assert back.status_code == 303 and "error=" not in back.headers["location"], back.headers["location"]
    assert "You are on the Growth plan now" in merchant.http.get(back.headers["location"]).text
    assert _titles(world).count("Plan changed to Growth") == 1

    [store] = world.connections("shopify")
    charge = confirmation.split("/admin/charges/")[1].split("/")[0]
    cancelled = httpx.post(
        f"{world.shopify_url}/shops/{SHOP}/admin/api/2026-10/graphql.json",
        timeout=10,
        headers={"X-Shopify-Access-Token": store.access_token},
        json={
            "query": f'mutation {{ appSubscriptionCancel(id: "gid://shopify/AppSubscription/{charge}")'
            " { appSubscription { status } userErrors { message } } }"
        },
    )
    assert cancelled.json()["data"]["appSubscriptionCancel"]["appSubscription"]["status"] == "CANCELLED"
    _deliveries_settled(world)
    world.settle()
    assert plan() == "free"
    assert _titles(world)[-2:] == ["Plan changed to Growth", "Plan changed to Free"]
