"""The product pipeline end to end, over real HTTP everywhere: a merchant signs up, connects the
Shopify sandbox and the TikTok sandbox through the real authorization screens, the catalog of 500
products is imported, two templates are created, the upload runs in the embedded worker, TikTok's
review answers by webhook, and a stock change in the store reaches TikTok by webhook too.
The dashboard's counts must equal the sandboxes' truth."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest
from sqlalchemy import select

from tests.support.deployment import live_deployment, sign_up_and_connect, store_catalog, template_body
from tests.support.waiting import wait_for
from tokbridge.config import get_settings
from tokbridge.db.engine import get_engine, session_scope
from tokbridge.jobs.models import Job

SHOP = "e2e-store.myshopify.com"
DASHBOARD_OF = {
    "ACTIVATE": "live",
    "FAILED": "failed",
    "PENDING": "reviewing",
    "SELLER_DEACTIVATED": "inactive",
    "PLATFORM_DEACTIVATED": "failed",
    "FREEZE": "failed",
}


def stock_trail(shopify_url: str, inventory_item_id: str) -> str:
    """Where a stock change stopped: the store's webhook deliveries for the item, and the jobs that carry
    webhooks and product syncs (a failure message, so a rare miss says which step it was)."""
    deliveries = [
        d
        for d in httpx.get(f"{shopify_url}/sandbox/webhooks/deliveries", params={"wait": 0}, timeout=60)
        .json()
        .get("deliveries", [])
        if d.get("topic") == "inventory_levels/update"
    ]
    with session_scope(get_engine(get_settings().database_url)) as session:
        jobs = session.execute(
            select(Job.id, Job.kind, Job.state, Job.attempts, Job.last_error, Job.payload)
            .where(Job.kind.in_(["inbox.process", "listings.sync_product", "onboarding.subscribe_webhooks"]))
            .order_by(Job.id.desc())
            .limit(15)
        ).all()
    state = httpx.get(f"{shopify_url}/sandbox/state", timeout=60).json()
    return (
        f"store deliveries of stock updates (item {inventory_item_id}): {deliveries}\n"
        f"store state (webhook subscriptions): {state}\n"
        "latest webhook and sync jobs:\n" + "\n".join(map(str, jobs))
    )


@pytest.fixture
def deployment(app_settings, monkeypatch, request):
    with live_deployment(
        app_settings,
        monkeypatch,
        request,
        store_domain=SHOP,
        catalog_size=500,
        review_delay_seconds=60,
        review_rejection_rate=0.2,
        seed=21,
    ) as live:
        yield live.browser, live.tiktok, live.tiktok_url, live.store_url


@pytest.mark.slow
def test_connect_import_template_upload_review_and_sync(deployment):
    browser, tiktok, tiktok_url, shopify_url = deployment

    # Sign up, connect the store through Shopify's install screens, then TikTok through the seller's consent page.
    sign_up_and_connect(browser, business="E2E Outfitters", email="owner@e2e.test", store_domain=SHOP)

    # The import runs in the background; Not Uploaded ends at the store's active product count.
    store_products = store_catalog(shopify_url, SHOP)
    assert len(store_products) == 500
    active = sum(1 for p in store_products if p["status"].lower() == "active")
    wait_for(
        lambda: browser.get("/api/v1/dashboard").json()["products"]["not_uploaded"] == active,
        timeout=120,
        what="the catalog import",
    )
    dashboard = browser.get("/api/v1/dashboard").json()
    assert dashboard["prerequisites"]["complete"] is True

    # Two templates, then the upload.
    # A paid plan with a Shopify store: approved on Shopify's page (at once in the sandbox), then back.
    change = browser.post("/api/v1/plans/scale/subscribe").json()
    assert change["pending_plan"] == "scale" and change["code"] == "free", change
    back = browser.get(change["confirmation_url"], follow_redirects=True)
    assert back.url.path == "/plans" and "error" not in back.url.params, back.url
    assert browser.get("/api/v1/dashboard").json()["plan"]["code"] == "scale"
    warehouse = next(
        w["id"]
        for w in httpx.get(f"{tiktok_url}/sandbox/state").json()["shops"][0]["warehouses"]
        if w["type"] == "SALES_WAREHOUSE"
    )
    for name, product_type, category in (("T-shirts", "T-Shirts", "9601302"), ("Hoodies", "Hoodies", "9601303")):
        created = browser.post("/api/v1/templates", json=template_body(name, product_type, category, warehouse))
        assert created.status_code == 201, created.text
    upload = browser.post("/api/v1/uploads", json={})
    assert upload.status_code == 202, upload.text
    job_id = upload.json()["job_id"]
    wait_for(
        lambda: browser.get(f"/api/v1/jobs/{job_id}").json()["state"] == "succeeded",
        timeout=300,
        what="the bulk upload",
    )

    # TikTok reviews; its webhooks bring the outcome back.
    httpx.post(f"{tiktok_url}/sandbox/clock/advance", json={"seconds": 120}, timeout=60)

    def counts_match_truth():
        products = httpx.get(f"{tiktok_url}/sandbox/products", timeout=60).json()["products"]
        truth = Counter(DASHBOARD_OF[p["status"]] for p in products)
        counts = browser.get("/api/v1/dashboard").json()["products"]
        never_sent = len(browser.get("/api/v1/products?status=failed&limit=200").json()["items"]) - truth["failed"]
        return (
            counts["reviewing"] == truth["reviewing"] == 0
            and counts["live"] == truth["live"]
            and never_sent >= 0
            and counts["in_progress"] == 0
        ) and (truth, counts)

    truth, counts = wait_for(counts_match_truth, timeout=120, what="review webhooks to reach the dashboard")
    assert counts["live"] > 0 and truth["failed"] > 0

    # A stock change in the store reaches TikTok (webhook, import, continuous sync).
    live = browser.get("/api/v1/products?status=live&limit=1").json()["items"][0]
    tiktok_product = next(
        p
        for p in httpx.get(f"{tiktok_url}/sandbox/products").json()["products"]
        if p["id"] == live["tiktok_product_id"]
    )
    store_product = next(
        p for p in store_catalog(shopify_url, SHOP) if p["admin_graphql_api_id"] == live["external_id"]
    )
    variant = next(v for v in store_product["variants"] if v["sku"])
    levels = [s for s in store_product["stock"] if s["inventory_item_id"] == variant["inventory_item_id"]]
    changed = httpx.put(
        f"{shopify_url}/sandbox/shops/{SHOP}/inventory",
        timeout=60,
        json={
            "inventory_item_id": variant["inventory_item_id"],
            "location_id": levels[0]["location_id"],
            "available": levels[0]["available"] + 11,
        },
    )
    assert changed.status_code == 200, changed.text
    expected = sum(level["available"] for level in levels) + 11

    def tiktok_stock():
        product = next(
            p for p in httpx.get(f"{tiktok_url}/sandbox/products").json()["products"] if p["id"] == tiktok_product["id"]
        )
        sku = next(s for s in product["skus"] if s["seller_sku"] == variant["sku"])
        return sum(w["quantity"] for w in sku["inventory"]) == expected

    try:
        wait_for(tiktok_stock, timeout=120, what="the stock change to reach TikTok")
    except TimeoutError as timeout:
        raise AssertionError(f"{timeout}\n{stock_trail(shopify_url, variant['inventory_item_id'])}") from None
