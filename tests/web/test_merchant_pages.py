"""The merchant app's pages over HTTP (TestClient) against both sandboxes: what they show equals what
the API and the database say, their forms change what they claim, and bad input gets a message."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import add_user, create_account, sign_in
from tests.pipeline.helpers import check_prerequisites, run_jobs, sales_warehouse, tee_template, upgrade
from tests.support.world import world_factory  # noqa: F401  (fixture)
from tokbridge.activity.models import Activity
from tokbridge.activity.service import record
from tokbridge.channels.models import ChannelConnection
from tokbridge.db.base import utcnow
from tokbridge.db.engine import session_scope
from tokbridge.web.app import create_app


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def product_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-product-id="(\d+)"', html)]


@pytest.fixture
def shop(world_factory):  # noqa: F811
    world = world_factory(products=60)
    add_user(world.settings, world.merchant_id, "owner@world.test")
    with TestClient(create_app(world.settings), base_url="http://127.0.0.1") as client:
        sign_in(client, "owner@world.test")
        yield world, client


def test_dashboard_checklist_orders_sales_and_faqs(shop):
    world, client = shop
    world.import_catalog()
    page = client.get("/dashboard").text
    current = re.search(r'data-step="(\w+)"\s+aria-current="step"', page)
    assert current and current.group(1) == "prerequisites"  # store and shop connected, nothing checked yet
    orders = dict(re.findall(r'data-order-status="(\w+)"><span class="count">(\d+)</span>', page))
    api_orders = client.get("/api/v1/dashboard").json()["orders"]
    assert set(orders) == {
        "awaiting_shipment",
        "awaiting_collection",
        "in_transit",
        "delivered",
        "completed",
        "cancelled",
        "failed",
        "on_hold",
        "unpaid",
    }
    assert {k: int(v) for k, v in orders.items()} == {k: api_orders.get(k, 0) for k in orders}
    assert 'href="/orders?status=awaiting_shipment"' in page
    assert 'data-testid="sales-empty"' in page and "Which products are uploaded?" in page
    assert 'href="/plans"' in page

    check_prerequisites(world)
    tee_template(world, sales_warehouse(world))
    page = client.get("/dashboard").text
    assert re.search(r'data-step="(\w+)"\s+aria-current="step"', page).group(1) == "upload"
    assert client.get("/onboarding").text.count('class="done"') == 5


def test_products_filters_paging_and_product_page(shop):
    world, client = shop
    world.import_catalog()
    check_prerequisites(world)
    template_id = tee_template(world, sales_warehouse(world))

    tees = client.get("/products", params={"product_type": "T-Shirts"}).text
    api_tees = client.get("/api/v1/products", params={"product_type": "T-Shirts", "limit": 200}).json()["items"]
    assert product_ids(tees) == [p["id"] for p in api_tees] and api_tees
    by_template = client.get("/products", params={"template": template_id}).text
    assert product_ids(by_template) == [p["id"] for p in api_tees if p["template_id"] == template_id]
    vendor = api_tees[0]["vendor"]
    by_vendor = product_ids(client.get("/products", params={"vendor": vendor}).text)
    assert by_vendor == [p["id"] for p in client.get("/api/v1/products", params={"vendor": vendor}).json()["items"]]
    assert "No products match these filters" in client.get("/products", params={"q": "zz-no-such-title"}).text

    # Paging keeps the filters and never repeats a product.
    first = client.get("/products").text
    next_link = re.search(r'href="(/products\?[^"]*before=\d+[^"]*)" rel="next"', first).group(1).replace("&amp;", "&")
    second = client.get(next_link).text
    assert not set(product_ids(first)) & set(product_ids(second)) and len(product_ids(first)) == 50

    # The product page previews the mapper's output, with TikTok's category rules checked.
    product = api_tees[0]
    page = html.unescape(client.get(f"/products/{product['id']}").text)
    body = json.loads(re.search(r'<pre class="json">(.*?)</pre>', page, re.DOTALL).group(1))
    assert body["category_id"] == "9601302" and body["external_product_id"] == product["external_id"]
    assert re.search(r'data-testid="preview-title">([^<]*)<', page).group(1) == body["title"]
    assert len(re.findall(r"<tr><td>", page)) >= len(body["skus"]) > 0
    assert client.get("/products/999999").status_code == 404


def test_bulk_actions_upload_assign_and_refuse(shop):
    world, client = shop
    world.import_catalog()
    check_prerequisites(world)
    upgrade(world)
    tee_id = tee_template(world, sales_warehouse(world))
    token = csrf(client.get("/products").text)
    unlinked = client.get("/api/v1/products", params={"product_type": "Hoodies"}).json()["items"][:2]
    assert unlinked and all(p["template_id"] is None for p in unlinked)

    assigned = client.post(
        "/products/bulk",
        data={"csrf_token": token, "action": f"assign:{tee_id}", "product_id": [str(p["id"]) for p in unlinked]},
    )
    assert "2 products linked to the template" in assigned.text
    assert all(client.get(f"/api/v1/products/{p['id']}").json()["template_id"] == tee_id for p in unlinked)

    nothing = client.post("/products/bulk", data={"csrf_token": token, "action": "upload"})
    assert "Tick at least one product" in nothing.text
    unknown = client.post("/products/bulk", data={"csrf_token": token, "action": "explode", "product_id": "1"})
    assert "Choose an action" in unknown.text
    forged = client.post("/products/bulk", data={"action": "upload", "product_id": str(unlinked[0]["id"])})
    assert forged.status_code == 403

    uploaded = client.post(
        "/products/bulk", data={"csrf_token": token, "action": "upload", "product_id": [str(p["id"]) for p in unlinked]}
    )
    assert "2 products are on their way to TikTok" in uploaded.text
    run_jobs(world)
    statuses = {client.get(f"/api/v1/products/{p['id']}").json()["status"] for p in unlinked}
    assert statuses <= {"reviewing", "failed"} and "reviewing" in statuses

    deactivate = client.post(
        "/products/bulk",
        data={"csrf_token": token, "action": "deactivate", "product_id": [str(p["id"]) for p in unlinked]},
    )
    assert "Deactivation requested for" in deactivate.text


def test_settings_switches_warehouses_and_disconnect(shop):
    world, client = shop
    check_prerequisites(world)
    page = client.get("/settings").text
    assert 'Create a <a href="/templates/new">category template</a> first' in page
    token = csrf(page)
    saved = client.post(
        "/settings/sync",
        data={"csrf_token": token, "sync_product_info": "on", "sync_inventory": "on", "on_store_delete": "delete"},
    )
    assert "Sync settings saved" in saved.text
    assert client.get("/api/v1/settings/sync").json() == {
        "sync_product_info": True,
        "sync_price": False,
        "sync_inventory": True,
        "on_store_delete": "delete",
    }
    bad = client.post("/settings/sync", data={"csrf_token": token, "on_store_delete": "burn"})
    assert (
        "Choose what happens" in bad.text and client.get("/api/v1/settings/sync").json()["on_store_delete"] == "delete"
    )

    warehouse = sales_warehouse(world)
    template_id = tee_template(world, warehouse)
    page = client.get("/settings").text
    location = re.search(r'name="location:([^"]+)"', page).group(1)
    mapped = client.post("/settings/warehouses", data={"csrf_token": token, f"location:{location}": warehouse})
    assert "Warehouse mapping saved in 1 template of " in mapped.text
    spec = client.get(f"/api/v1/templates/{template_id}").json()
    assert spec["inventory"]["warehouse_map"] == {location: warehouse}

    assert (
        client.post(
            f"/settings/connections/{world.tiktok_connection_id}/disconnect", data={"csrf_token": token}
        ).status_code
        == 200
    )
    with session_scope(world.engine) as session:
        connection = session.get(ChannelConnection, world.tiktok_connection_id)
        assert connection.status == "disconnected" and connection.access_token is None
    assert client.get("/api/v1/dashboard").json()["connections"]["tiktok"] is None
    gone = client.post("/settings/connections/nope/disconnect", data={"csrf_token": token})
    assert "not connected to TokBridge any more" in gone.text


def test_plans_upgrade_and_refused_downgrade(shop):
    world, client = shop
    page = client.get("/plans").text
    assert re.search(r'data-testid="current-plan">Free<', page)
    token = csrf(page)
    # The store is connected, so Shopify confirms the charge first (the sandbox approves at once).
    confirmation = client.post("/plans/starter", data={"csrf_token": token}, follow_redirects=False)
    back = urlsplit(httpx.get(confirmation.headers["location"], follow_redirects=False, timeout=10).headers["location"])
    assert "You are on the Starter plan now" in client.get(f"{back.path}?{back.query}").text
    assert client.get("/api/v1/dashboard").json()["plan"]["code"] == "starter"
    assert "There is no such plan" in client.post("/plans/platinum", data={"csrf_token": token}).text

    # More products on TikTok than the Free plan's 25: the downgrade is refused with the way out.
    world.import_catalog()
    check_prerequisites(world)
    tee_template(world, sales_warehouse(world), selection={"match": "all", "rules": []})
    client.post("/dashboard/upload", data={"csrf_token": token})
    used = 500 - client.get("/api/v1/dashboard").json()["plan"]["products_left"]
    assert used > 25, f"the test needs more than 25 products on TikTok, has {used}"
    refused = client.post("/plans/free", data={"csrf_token": token})
    assert f"Deactivate or delete {used - 25} first" in refused.text
    assert client.get("/api/v1/dashboard").json()["plan"]["code"] == "starter"
    # Refused before Shopify: its one charge is still the Starter plan's.
    charges = world.shopify_control("GET", "/sandbox/shops/{shop}/app-subscriptions")["app_subscriptions"]
    assert [(c["name"], c["status"]) for c in charges] == [("TokBridge Starter", "ACTIVE")]
    kinds = [a["kind"] for a in client.get("/api/v1/activity").json()]
    assert "billing.plan_changed" in kinds


def test_activity_filters_and_before_after(shop):
    world, client = shop
    now = utcnow()
    with session_scope(world.engine) as session:
        old = record(session, world.merchant_id, "catalog.imported", "Imported long ago", status="succeeded")
        old.created_at = now - timedelta(days=10)
        record(
            session,
            world.merchant_id,
            "listings.sync",
            "Sent store changes of “Tee”",
            status="succeeded",
            details={
                "changes": [
                    {"field": "price", "sku": "TEE-1", "before": "10.00", "after": "12.50"},
                    {"field": "stock", "sku": "TEE-1", "before": 3, "after": 14},
                ],
                "product_id": 1,
            },
        )
        record(
            session,
            world.merchant_id,
            "listings.upload",
            "Upload failed",
            status="failed",
            message="TikTok refused the token; reconnect TikTok Shop.",
        )
    page = client.get("/activity").text
    assert "12.50" in page and "10.00" in page and "14" in page
    listings_only = client.get("/activity", params={"kind": "listings"}).text
    assert "Imported long ago" not in listings_only and "Upload failed" in listings_only
    failed = client.get("/activity", params={"status": "failed"}).text
    assert "reconnect TikTok Shop" in failed and "Sent store changes" not in failed
    recent = client.get("/activity", params={"since": (now - timedelta(days=1)).date().isoformat()}).text
    assert "Imported long ago" not in recent and "Upload failed" in recent
    old_only = client.get("/activity", params={"until": (now - timedelta(days=5)).date().isoformat()}).text
    assert "Imported long ago" in old_only and "Upload failed" not in old_only
    assert "YYYY-MM-DD" in client.get("/activity", params={"since": "last tuesday"}).text
    with session_scope(world.engine) as session:
        assert session.scalar(select(Activity).where(Activity.title == "Imported long ago")) is not None


def test_another_merchants_product_is_not_found(shop):
    world, client = shop
    world.import_catalog()
    theirs = client.get("/api/v1/products?limit=1").json()["items"][0]["id"]
    create_account(world.settings, "Other", "other@else.test")
    client.post("/logout", data={"csrf_token": csrf(client.get("/dashboard").text)})
    sign_in(client, "other@else.test")
    assert client.get(f"/products/{theirs}").status_code == 404
    assert 'data-testid="products-empty"' in client.get("/products").text


def test_sales_figures_and_chart_equal_the_api(shop):
    from tokbridge.orders.models import Order, OrderLine

    world, client = shop
    now = utcnow()
    placed = [
        (now - timedelta(days=d, hours=1), status, total, units)
        for d, status, total, units in (
            (0, "completed", 2500, 1),
            (1, "awaiting_shipment", 4000, 2),
            (1, "delivered", 1250, 1),
            (10, "completed", 9900, 3),
            (40, "completed", 700, 1),
            (2, "cancelled", 5000, 1),
        )
    ]
    with session_scope(world.engine) as session:
        for n, (when, status, total, units) in enumerate(placed):
            order = Order(
                merchant_id=world.merchant_id,
                connection_id=world.tiktok_connection_id,
                tiktok_order_id=f"57600000{n}",
                tiktok_status=status.upper(),
                status=status,
                currency="USD",
                total_minor=total,
                units=units,
                placed_at=when,
                paid_at=when,
                raw={},
            )
            session.add(order)
            session.flush()
            session.add(
                OrderLine(
                    merchant_id=world.merchant_id,
                    order_id=order.id,
                    tiktok_line_id=f"L{n}",
                    tiktok_product_id="1729" + str(n % 2),
                    product_name=f"Best seller {n % 2}",
                    sale_minor=total,
                )
            )
    for period in (7, 30, 90):
        expected = client.get("/api/v1/dashboard", params={"sales_days": period}).json()["sales"]
        page = client.get("/dashboard", params={"period": period}).text
        amount = re.search(r'data-testid="sales-amount">([^<]*)<', page).group(1)
        assert amount == f"{float(expected['amount']):,.2f} {expected['currency']}"
        chart = re.search(r'<svg class="chart".*?</svg>', page, re.DOTALL).group(0)
        assert chart.count("<rect") == period == len(expected["per_day"])
        assert f"{expected['orders']} in all" in chart
        assert all(p["name"] in html.unescape(page) for p in expected["top_products"])
    assert (
        client.get("/api/v1/dashboard", params={"sales_days": 7}).json()["sales"]["orders"] == 3
    )  # the cancelled one is no sale
    ninety = client.get("/dashboard", params={"period": 90}).text
    assert re.search(r'data-testid="sales-amount">([^<]*)<', ninety).group(1) == "183.50 USD"
    assert 'data-testid="sales-empty"' not in ninety
    assert 'aria-current="true">90 days' in ninety and client.get("/dashboard?period=13").status_code == 200


def test_template_form_conditions_category_search_preview_save_and_edit(shop):
    world, client = shop
    world.import_catalog()
    warehouse = sales_warehouse(world)
    conditions = {
        "name": "Tees",
        "match": "all",
        "rule_field": ["product_type", "vendor"],
        "rule_operator": ["equals", "is_not_empty"],
        "rule_value": ["T-Shirts", ""],
    }
    step_one = client.get("/templates/new", params={**conditions, "category_q": "t-shirt", "step": "search"}).text
    count = int(re.search(r'data-testid="match-count">(\d+) products match', step_one).group(1))
    assert (
        count
        == client.post(
            "/api/v1/templates/count",
            headers={"X-CSRF-Token": csrf(client.get("/settings").text)},
            json={
                "match": "all",
                "rules": [
                    {"field": "product_type", "operator": "equals", "value": "T-Shirts"},
                    {"field": "vendor", "operator": "is_not_empty"},
                ],
            },
        ).json()["count"]
        > 0
    )
    results = re.search(r'data-testid="category-results">(.*?)</div>', step_one, re.DOTALL).group(1)
    assert 'value="9601302"' in results and "Hoodies" not in results
    assert "No category matches" in client.get("/templates/new", params={"category_q": "zzz", "step": "search"}).text
    bad = client.get(
        "/templates/new",
        params={"rule_field": "price", "rule_operator": "contains", "rule_value": "x", "step": "search"},
    ).text
    assert "Check the conditions" in html.unescape(bad)

    price = {
        "price_adjustment": "percentage",
        "price_direction": "up",
        "price_amount": "10",
        "price_rounding": "end_99",
        "reserve_percent": "10",
        "max_quantity": "",
    }
    step_two = client.get("/templates/new", params={**conditions, **price, "category_id": "9601302", "step": "next"})
    assert 'name="attr_100347"' in step_two.text and "required by TikTok" in step_two.text
    assert 'name="variant_Size"' in step_two.text and 'name="variant_Title"' not in step_two.text
    form = {
        **conditions,
        **price,
        "category_id": "9601302",
        "version": "v2",
        "csrf_token": csrf(step_two.text),
        "category_label": "Womenswear & Underwear > Women's Tops > T-shirts",
        "warehouse_id": warehouse,
        "weight": "0.5",
        "attr_100347": re.search(r'name="attr_100347"[^>]*>\s*<option value="(\d+)"', step_two.text).group(1),
    }
    preview = client.post("/templates/new", data={**form, "intent": "preview"}).text
    prices = re.findall(r'data-testid="tiktok-price">([^<]+)<', preview)
    assert prices and all(p.endswith(".99") for p in prices)
    assert client.get("/api/v1/templates").json() == []  # a preview saves nothing

    invalid = client.post("/templates/new", data={**form, "name": "", "intent": "save"})
    assert invalid.status_code == 422 and 'data-testid="template-errors"' in invalid.text
    saved = client.post("/templates/new", data={**form, "intent": "save"})
    assert saved.url.path == "/templates" and "Template saved" in saved.text
    stored = client.get("/api/v1/templates").json()
    assert stored[0]["linked_products"] == count
    spec = client.get(f"/api/v1/templates/{stored[0]['id']}").json()
    assert spec["price"]["rounding"] == "end_99" and spec["inventory"]["reserve_percent"] == 10
    assert spec["inventory"]["default_warehouse_id"] == warehouse

    # Editing starts from the stored template and keeps what the form does not show.
    template_id = stored[0]["id"]
    edit = client.get(f"/templates/{template_id}/edit").text
    assert 'value="Tees"' in edit and 'value="T-Shirts"' in edit
    form["csrf_token"] = csrf(client.get("/settings").text)
    client.post(f"/templates/{template_id}/edit", data={**form, "price_amount": "20", "intent": "save"})
    assert client.get(f"/api/v1/templates/{template_id}").json()["price"]["amount"] == "20"
    deleted = client.post(f"/templates/{template_id}/delete", data={"csrf_token": form["csrf_token"]})
    assert "Template deleted" in deleted.text and client.get("/api/v1/templates").json() == []
    assert client.get(f"/templates/{template_id}/edit").status_code == 404


def test_notification_preferences_are_stored(shop):
    from tokbridge.activity.models import NotificationSettings

    world, client = shop
    page = client.get("/settings").text
    assert page.count('name="on_failed') == 2 and 'name="on_plan_limit" checked' in page  # defaults: all on
    token = csrf(page)
    bad = client.post("/settings/notifications", data={"csrf_token": token, "email": "not an email"})
    assert "does not look right" in bad.text
    with session_scope(world.engine) as session:
        assert session.scalar(select(NotificationSettings)) is None  # nothing stored by a refusal
    saved = client.post(
        "/settings/notifications", data={"csrf_token": token, "email": "ops@world.test", "on_failed_order": "on"}
    )
    assert "Notification settings saved" in saved.text
    with session_scope(world.engine) as session:
        stored = session.scalar(select(NotificationSettings))
        saved_values = (stored.email, stored.on_failed_upload, stored.on_failed_order, stored.on_plan_limit)
        assert saved_values == ("ops@world.test", False, True, False)
    assert 'value="ops@world.test"' in client.get("/settings").text


def test_pages_say_what_to_do_when_tiktok_does_not_answer(shop):
    world, client = shop
    world.import_catalog()
    check_prerequisites(world)
    tee_template(world, sales_warehouse(world))
    product = client.get("/api/v1/products", params={"product_type": "T-Shirts", "limit": 1}).json()["items"][0]
    world.tiktok_control("POST", "/sandbox/faults", {"queue": [{"kind": "error", "count": 50}]})
    try:
        page = client.get(f"/products/{product['id']}")
        assert page.status_code == 200
        assert "TikTok did not answer, so the category's own rules were not checked" in html.unescape(page.text)
        assert '<pre class="json">' in page.text  # the mapper's output is still shown
        form = client.get("/templates/new", params={"name": "x", "category_id": "9601302", "step": "next"})
        assert form.status_code == 502 and "Wait a minute and reload" in form.text
    finally:
        world.tiktok_control("DELETE", "/sandbox/faults")
    assert (
        client.get("/templates/new", params={"name": "x", "category_id": "9601302", "step": "next"}).status_code == 200
    )


def test_status_counts_leave_out_products_no_longer_listable(shop):
    from tokbridge.catalog.models import CatalogProduct

    world, client = shop
    world.import_catalog()
    check_prerequisites(world)
    upgrade(world)
    tee_template(world, sales_warehouse(world))
    client.post("/dashboard/upload", data={"csrf_token": csrf(client.get("/dashboard").text)})
    run_jobs(world)
    before = client.get("/api/v1/dashboard").json()["products"]
    reviewing = client.get("/api/v1/products", params={"status": "reviewing", "limit": 2}).json()["items"]
    assert before["reviewing"] >= 2
    with session_scope(world.engine) as session:  # archived in the store after the upload
        session.get(CatalogProduct, reviewing[0]["id"]).status = "archived"
        session.get(CatalogProduct, reviewing[1]["id"]).status = "draft"
    after = client.get("/api/v1/dashboard").json()["products"]
    assert after == {**before, "reviewing": before["reviewing"] - 2}
    page = client.get("/dashboard").text
    shown = {k: int(v) for k, v in re.findall(r'data-status="(\w+)"><span class="count">(\d+)</span>', page)}
    assert shown == after
