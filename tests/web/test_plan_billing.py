"""Changing plan through Shopify's billing, over HTTP against the Shopify sandbox: the merchant is sent to
the sandbox's confirmation page and back to /plans/confirm, and only a charge Shopify reports as active
(the one TokBridge waits for) changes the plan. Declines, forged or replayed charge ids keep it; the free
plan cancels the charge; without a store the change stays immediate."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import add_user, create_account, sign_in
from tests.support.world import SHOP, SHOPIFY_TOKEN, world_factory  # noqa: F401  (fixture)
from tokbridge.billing.models import Subscription
from tokbridge.db.base import utcnow
from tokbridge.db.engine import session_scope
from tokbridge.tenancy.models import Merchant
from tokbridge.web.app import create_app


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture
def merchant_with_store(world_factory):  # noqa: F811
    """Call with Shopify sandbox settings: (world, signed-in client)."""
    clients = []

    def start(**shopify):
        world = world_factory(products=10, shopify=shopify)
        add_user(world.settings, world.merchant_id, "owner@billing.test")
        client = TestClient(create_app(world.settings), base_url="http://127.0.0.1").__enter__()
        clients.append(client)
        sign_in(client, "owner@billing.test")
        return world, client

    yield start
    for client in clients:
        client.__exit__(None, None, None)


def choose(client, code: str) -> httpx.Response:
    return client.post(f"/plans/{code}", data={"csrf_token": csrf(client.get("/plans").text)}, follow_redirects=False)


def back_from_shopify(client, response: httpx.Response) -> httpx.Response:
    """Follow Shopify's redirect to our return URL, as the merchant's browser would."""
    assert response.status_code == 303, response.text
    target = urlsplit(response.headers["location"])
    assert target.path == "/plans/confirm", response.headers["location"]
    return client.get(f"{target.path}?{target.query}")


def plan_code(client) -> str:
    return client.get("/api/v1/dashboard").json()["plan"]["code"]


def row(world) -> Subscription:
    with session_scope(world.engine) as session:
        found = session.scalar(select(Subscription).where(Subscription.merchant_id == world.merchant_id))
        session.expunge(found)
        return found


def charges(world) -> list[dict]:
    return world.shopify_control("GET", "/sandbox/shops/{shop}/app-subscriptions")["app_subscriptions"]


def test_growth_is_approved_in_shopify_then_free_cancels_the_charge(merchant_with_store):
    world, client = merchant_with_store()
    sent = choose(client, "growth")
    assert sent.status_code == 303
    confirmation = sent.headers["location"]
    assert confirmation.startswith(f"{world.shopify_url}/shops/{SHOP}/admin/charges/")
    charge_id = confirmation.split("/admin/charges/")[1].split("/")[0]

    # Until the merchant is back, the plan stays; the row remembers what was asked for.
    pending = row(world)
    assert (pending.status, pending.pending_plan_code, pending.external_charge_id) == ("pending", "growth", charge_id)
    assert plan_code(client) == "free"
    assert 'data-testid="pending-plan"' in client.get("/plans").text
    assert [(c["name"], c["status"], c["price"], c["test"]) for c in charges(world)] == [
        ("TokBridge Growth", "PENDING", "49.99", True)
    ]

    # The sandbox approves at once and sends the merchant back to /plans/confirm.
    confirmed = back_from_shopify(client, httpx.get(confirmation, follow_redirects=False, timeout=10))
    assert "You are on the Growth plan now" in confirmed.text
    assert plan_code(client) == "growth"
    assert (row(world).status, row(world).pending_plan_code) == ("active", None)
    changes = [a for a in client.get("/api/v1/activity").json() if a["kind"] == "billing.plan_changed"]
    assert len(changes) == 1 and changes[0]["title"] == "Plan changed to Growth"
    assert changes[0]["details"] == {"before": "free", "after": "growth", "charge_id": charge_id}
    assert [c["status"] for c in charges(world)] == ["ACTIVE"]

    # The same return again (a reload) changes nothing and records nothing, and is no error.
    replay = client.get(f"/plans/confirm?charge_id={charge_id}", follow_redirects=False)
    assert replay.headers["location"] == "/plans"
    back = client.get(replay.headers["location"]).text
    assert "You are on the Growth plan now" in back and 'data-testid="plans-error"' not in back
    assert plan_code(client) == "growth"
    assert len([a for a in client.get("/api/v1/activity").json() if a["kind"] == "billing.plan_changed"]) == 1

    # The free plan needs no charge: Shopify's is cancelled and the change is immediate.
    freed = choose(client, "free")
    assert freed.status_code == 303 and freed.headers["location"] == "/plans"
    assert "You are on the Free plan now" in client.get(freed.headers["location"]).text
    assert plan_code(client) == "free"
    assert [c["status"] for c in charges(world)] == ["CANCELLED"]
    assert row(world).external_charge_id is None


def test_decline_forged_and_unanswered_charges_keep_the_plan(merchant_with_store):
    world, client = merchant_with_store(billing_auto_approve=False)
    confirmation = choose(client, "starter").headers["location"]
    charge_id = row(world).external_charge_id

    # A charge id made up, or another charge of the shop that Shopify reports active, changes nothing.
    assert "not one TokBridge is waiting for" in client.get("/plans/confirm?charge_id=1234").text
    other = _approved_charge_outside_tokbridge(world)
    assert "not one TokBridge is waiting for" in client.get(f"/plans/confirm?charge_id={other}").text
    assert plan_code(client) == "free" and row(world).status == "pending"

    # Back before answering (the merchant used the browser's Back button): still waiting.
    waiting = client.get(f"/plans/confirm?charge_id={charge_id}")
    assert "Shopify has not confirmed the charge for the Starter plan yet" in waiting.text
    assert row(world).status == "pending"

    # The merchant declines on the confirmation page.
    page = httpx.get(confirmation, timeout=10)
    assert "Approve" in page.text and "Decline" in page.text
    signature = re.search(r'name="signature" value="([^"]+)"', page.text).group(1)
    declined = httpx.post(
        confirmation.split("?")[0],
        data={"decision": "decline", "signature": signature},
        follow_redirects=False,
        timeout=10,
    )
    answer = back_from_shopify(client, declined)
    assert "You declined the charge for the Starter plan in Shopify, so you stay on the Free plan" in answer.text
    assert plan_code(client) == "free"
    declined_row = row(world)
    assert (declined_row.status, declined_row.pending_plan_code) == ("active", None)
    assert declined_row.external_charge_id == other  # the charge Shopify bills the shop for now
    assert not any(a["kind"] == "billing.plan_changed" for a in client.get("/api/v1/activity").json())


def _approved_charge_outside_tokbridge(world) -> str:
    """A charge of the same shop, approved, but not one this merchant's change waits for."""
    created = httpx.post(
        f"{world.shopify_url}/shops/{SHOP}/admin/api/2026-10/graphql.json",
        timeout=10,
        headers={"X-Shopify-Access-Token": SHOPIFY_TOKEN},
        json={
            "query": """mutation {
        appSubscriptionCreate(name: "Something else", returnUrl: "https://elsewhere.example/", test: true,
          lineItems: [{plan: {appRecurringPricingDetails: {price: {amount: 1, currencyCode: USD}}}}]) {
          appSubscription { id } confirmationUrl } }"""
        },
    ).json()["data"]["appSubscriptionCreate"]
    page = httpx.get(created["confirmationUrl"], timeout=10)
    signature = re.search(r'name="signature" value="([^"]+)"', page.text).group(1)
    httpx.post(
        created["confirmationUrl"].split("?")[0], data={"decision": "approve", "signature": signature}, timeout=10
    )
    return created["appSubscription"]["id"].rsplit("/", 1)[1]


def test_without_a_store_the_change_is_immediate(app_settings, client):
    create_account(app_settings, "No Store Yet", "nostore@billing.test")
    sign_in(client, "nostore@billing.test")
    changed = client.post("/plans/starter", data={"csrf_token": csrf(client.get("/plans").text)})
    assert "You are on the Starter plan now" in changed.text
    assert plan_code(client) == "starter"
    assert "not one TokBridge is waiting for" in client.get("/plans/confirm?charge_id=1").text


def test_two_requests_creating_the_subscription_at_once_share_one_row(engine, merchant_id):
    """PostgreSQL: the second request's insert waits on the first one's uncommitted row, then goes on with
    it instead of failing on the unique merchant (SQLite runs one writer at a time)."""
    import threading

    from tests.support.waiting import wait_for_lock_wait
    from tokbridge.billing import service as billing

    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time")
    outcome: dict[str, object] = {}

    def second_request() -> None:
        try:
            with session_scope(engine) as other:
                outcome["plan"] = billing.change_plan(other, merchant_id, "growth").plan_code
        except Exception as exc:  # noqa: BLE001 - the test reports it
            outcome["error"] = exc

    with session_scope(engine) as first:
        billing.change_plan(first, merchant_id, "starter")
        thread = threading.Thread(target=second_request)
        thread.start()
        wait_for_lock_wait(engine, "the second request to wait on the first", waiter=thread)
    thread.join(60)
    assert outcome == {"plan": "growth"}
    with session_scope(engine) as session:
        assert [s.plan_code for s in session.scalars(select(Subscription))] == ["growth"]


def test_next_billing_date_is_shopifys_charge_period_and_the_free_plan_has_none(merchant_with_store):
    world, client = merchant_with_store()
    with session_scope(world.engine) as session:  # signed up ten days ago: the sign-up day is not today
        session.get(Merchant, world.merchant_id).created_at = utcnow() - timedelta(days=10)

    def shown_dates() -> tuple[list[str], list[str], str | None]:
        dates = r'data-testid="next-billing-date">([\d-]+)<'
        return (
            re.findall(dates, client.get("/dashboard").text),
            re.findall(dates, client.get("/plans").text),
            client.get("/api/v1/dashboard").json()["plan"]["billing_date"],
        )

    # The free plan is never billed, so no billing date anywhere.
    assert shown_dates() == ([], [], None)
    assert "next billing date" not in client.get("/dashboard").text.lower()
    assert "next billing date" not in client.get("/plans").text.lower()

    sent = choose(client, "growth")
    back_from_shopify(client, httpx.get(sent.headers["location"], follow_redirects=False, timeout=10))
    (charge,) = charges(world)
    period_end = datetime.fromisoformat(charge["current_period_end"]).date().isoformat()
    assert shown_dates() == ([period_end], [period_end], period_end)

    # Back on the free plan (second pass): no billing date again.
    choose(client, "free")
    assert shown_dates() == ([], [], None)
