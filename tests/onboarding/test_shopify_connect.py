"""Connecting a Shopify store through the browser, against the Shopify sandbox over HTTP."""

from __future__ import annotations

import html
import re
from collections import Counter
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from sqlalchemy import event, select

from tests.onboarding.conftest import SHOP
from tokbridge.activity.models import Activity
from tokbridge.catalog.models import CatalogProduct
from tokbridge.channels.shopify.connect import WEBHOOK_TOPICS as SHOPIFY_WEBHOOK_TOPICS
from tokbridge.db.engine import session_scope
from tokbridge.jobs.models import JobState


def _activities(world, merchant_id: int) -> list[Activity]:
    with session_scope(world.engine) as session:
        return list(session.scalars(select(Activity).where(Activity.merchant_id == merchant_id).order_by(Activity.id)))


@pytest.mark.slow
def test_connect_subscribe_and_import_the_whole_catalog(start_world):
    world = start_world(catalog=240)
    merchant = world.browser()

    done = world.connect_shopify(merchant)
    assert done.status_code == 303 and done.headers["location"] == "/dashboard"

    [connection] = world.connections("shopify")
    assert connection.merchant_id == merchant.merchant_id and connection.external_id == SHOP
    assert connection.status == "active" and connection.access_token.startswith("shp")
    assert connection.access_token not in (connection.access_token_ciphertext or "")
    assert "read_products" in connection.scopes

    progress, stop_watching = _watch_activity_progress(world.engine)
    world.settle()
    stop_watching()
    assert {job.kind for job in world.jobs()} >= {"catalog.import", "onboarding.subscribe_webhooks"}
    # Recent Activity moved while the import ran, not only at its end.
    assert {50, 100, 150, 200} <= set(progress) and max(progress) == 240
    assert all(job.state == JobState.SUCCEEDED for job in world.jobs("catalog.import"))

    # Webhooks point at our address, one subscription per topic.
    [shop_state] = [s for s in world.shopify_control("GET", "/sandbox/state")["shops"] if s["shop"] == SHOP]
    subscribed = {(w["topic"], w["uri"]) for w in shop_state["webhook_subscriptions"]}
    assert subscribed == {(topic, f"{world.base_url}/webhooks/shopify") for topic in SHOPIFY_WEBHOOK_TOPICS}

    # The whole catalog is here, as the store has it, and none of it is listed anywhere yet.
    with session_scope(world.engine) as session:
        products = list(
            session.scalars(select(CatalogProduct).where(CatalogProduct.merchant_id == merchant.merchant_id))
        )
    store_products = world.shopify_control("GET", "/sandbox/shops/{shop}/products", params={"limit": 1000})["products"]
    assert len(products) == len(store_products) == 240
    assert {p.title for p in products} == {p["title"] for p in store_products}

    # Recent Activity: connected, then the import job with its progress, then the summary.
    activities = _activities(world, merchant.merchant_id)
    import_row = next(a for a in activities if a.kind == "catalog.import")
    assert import_row.status == "succeeded" and import_row.progress_done == import_row.progress_total == 240
    assert any(a.title == f"Shopify store {SHOP} connected" for a in activities)
    by_status = Counter(p.status for p in products)
    assert any(
        a.title == f"240 products imported: {by_status['active']} active, {by_status['draft']} drafts "
        f"and {by_status['archived']} archived"
        for a in activities
    )
    store = world.connections("shopify")[0]
    assert (store.data["catalog"]["store_name"], store.currency) == ("Onboarding Test", "USD")
    assert world.connections("shopify")[0].data["catalog"]["reconciled_at"]

    # Connecting again (a reinstall) keeps one connection and does not fail on existing webhooks.
    again = world.connect_shopify(merchant)
    assert again.status_code == 303
    assert len(world.connections("shopify")) == 1
    world.settle()
    assert world.jobs("onboarding.subscribe_webhooks")[-1].state == JobState.SUCCEEDED


def _watch_activity_progress(engine):
    """Every `progress_done` value written to the activity table from now on, as the database saw it."""
    seen: list[int] = []

    def after_execute(_conn, _cursor, statement, parameters, _context, _executemany):
        if not statement.lstrip().upper().startswith("UPDATE ACTIVITY") or "progress_done" not in statement:
            return
        if isinstance(parameters, dict):
            seen.append(parameters["progress_done"])
        else:
            names = re.findall(r"(\w+)=\?", statement)
            seen.append(parameters[names.index("progress_done")])

    event.listen(engine, "after_cursor_execute", after_execute)
    return seen, lambda: event.remove(engine, "after_cursor_execute", after_execute)


def _page_error(response) -> str:
    assert response.status_code >= 400, response.text
    assert "Traceback" not in response.text and "What to do next" in response.text
    return response.text


def _with_query(url: str, **changes) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_callback_errors_end_on_a_page_that_says_what_to_do(start_world):
    world = start_world()
    merchant = world.browser()

    # A bad address never leaves TokBridge.
    bad = merchant.http.post("/connect/shopify", data={"shop": "evil.example.com/x", "csrf_token": merchant.csrf()})
    assert bad.status_code == 400 and "myshopify.com" in bad.text

    # Tampered callback: the hmac no longer matches.
    callback = world.approve_on_shopify(merchant)
    text = _page_error(merchant.http.get(_with_query(callback, code="forged-code")))
    assert "could not be verified" in text

    # A callback signed by Shopify but for another merchant's session: the state names someone else.
    intruder = world.browser("Intruder", "intruder@example.com")
    callback = world.approve_on_shopify(merchant)
    assert "does not belong to this session" in _page_error(intruder.http.get(callback))

    # Stale: Shopify's clock says the redirect is an hour old.
    world.shopify_control("POST", "/sandbox/clock", json={"seconds": -3600})
    callback = world.approve_on_shopify(merchant)
    world.shopify_control("POST", "/sandbox/clock", json={"seconds": 3600})
    assert "expired" in _page_error(merchant.http.get(callback))

    # The merchant removed permissions from the approval URL.
    callback = world.approve_on_shopify(
        merchant, edit_authorize_url=lambda url: _with_query(url, scope="read_products")
    )
    text = _page_error(merchant.http.get(callback))
    assert "permissions were not granted" in text and "write_inventory" in text
    assert world.connections("shopify") == []

    # The same store connected by one merchant cannot be taken by another.
    assert world.connect_shopify(merchant).status_code == 303
    response = intruder.http.get(world.approve_on_shopify(intruder))
    assert response.status_code == 409 and "connected to another TokBridge account" in response.text
    [connection] = world.connections("shopify")
    assert connection.merchant_id == merchant.merchant_id


def test_install_from_the_shopify_admin_opens_the_app_url_signed(start_world):
    world = start_world()
    merchant = world.browser()
    install = world.shopify_control(
        "GET", "/sandbox/shops/{shop}/install-request", params={"app_url": f"{world.base_url}/connect/shopify"}
    )["url"]
    path = install[len(world.base_url) :]

    forged = merchant.http.get(_with_query(path, shop="other-store.myshopify.com"))
    assert forged.status_code == 400 and "could not be verified" in forged.text

    start = merchant.http.get(path)
    assert start.status_code == 303
    approval = httpx.get(start.headers["location"], timeout=15, follow_redirects=False)
    assert merchant.http.get(approval.headers["location"]).status_code == 303
    [connection] = world.connections("shopify")
    assert connection.external_id == SHOP and connection.merchant_id == merchant.merchant_id


def test_missing_permissions_are_said_in_words(start_world):
    world = start_world(catalog=0)
    merchant = world.browser()
    callback = world.approve_on_shopify(
        merchant,
        edit_authorize_url=lambda url: _with_query(
            url, scope="write_products,read_inventory,read_locations,write_orders"
        ),
    )
    text = html.unescape(_page_error(merchant.http.get(callback)))
    # Each missing permission as the merchant reads it, with Shopify's name for it.
    assert "TokBridge needs these permissions on your store: change your stock (write_inventory); " in text
    assert "see the fulfilment of your orders (read_merchant_managed_fulfillment_orders)" in text
    # Granted ones (and reads implied by a granted write) are not asked again.
    assert "see your products" not in text and "see your orders" not in text and "see your stock" not in text
    assert "Start again from Connect Shopify and approve every permission" in text
    assert world.connections("shopify") == []


def test_the_connector_names_only_what_is_missing():
    from tokbridge.channels.shopify.connect import CONNECTOR

    assert CONNECTOR.missing_scopes(list(CONNECTOR.required_scopes)) == []
    writes = [s for s in CONNECTOR.required_scopes if s.startswith("write_")] + ["read_locations"]
    assert CONNECTOR.missing_scopes(writes) == []  # a write permission includes its read
    assert CONNECTOR.missing_scopes([]) == [
        "see your products (read_products)",
        "change your products (write_products)",
        "see your stock (read_inventory)",
        "change your stock (write_inventory)",
        "see your locations (read_locations)",
        "see your orders (read_orders)",
        "create and cancel orders (write_orders)",
        "see the fulfilment of your orders (read_merchant_managed_fulfillment_orders)",
        "fulfil and cancel your orders' fulfilments (write_merchant_managed_fulfillment_orders)",
    ]
