"""An Etsy merchant end to end, over real HTTP everywhere, on SQLite and on PostgreSQL + Redis.

The app serves with its embedded worker; the Etsy and TikTok sandboxes serve beside it. A merchant signs
up, connects their Etsy shop through Etsy's consent page (OAuth with PKCE) and their TikTok shop, the
catalog is imported (Not Uploaded ends at the shop's active listings), a template is created and Bulk
Upload runs; TikTok's review makes products Live. Etsy cannot take an outside order, so a TikTok order
stays in TokBridge and its units leave Etsy's stock once, however often TikTok's notification comes; it
is shipped from TokBridge's order page with a tracking number that reaches TikTok; a cancelled order
puts its units back on Etsy once."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest

from tests.support.deployment import (
    Deployment,
    buyer_cancels_and_merchant_approves,
    connect_tiktok,
    control,
    csrf,
    live_deployment,
    redeliver,
    tiktok_order,
    tiktok_products,
    tiktok_stock,
    upload_and_review,
    work_left,
)
from tests.support.waiting import wait_for

KIND = "etsy"
TRACKING = "9400111899223197428599"
# TikTok's notifications and the order work they bring: the order side is settled when none of these is
# queued or running (whenever due: a retry waiting for its time counts too).
ORDER_WORK = (
    "inbox.process",
    "orders.intake",
    "orders.to_store",
    "orders.ship",
    "orders.cancel",
    "orders.cancel_in_store",
    "orders.decide_cancellation",
    "orders.restock_return",
)


@pytest.fixture
def deployment(app_settings, monkeypatch, request):
    with live_deployment(
        app_settings,
        monkeypatch,
        request,
        store=KIND,
        catalog_size=60,
        store_options={"catalog_seed": 7, "webhook_duplicate_rate": 0.3},
        review_delay_seconds=60,
        review_rejection_rate=0.0,
        on_hold_seconds=60,
        seed=23,
    ) as live:
        yield live


# --- the sandboxes, read over HTTP --------------------------------------------------------------


def etsy_listings(etsy_url: str) -> list[dict]:
    """Every listing of the Etsy sandbox's shop, with its inventory (its control API)."""
    listings: list[dict] = []
    while page := httpx.get(
        f"{etsy_url}/sandbox/listings", params={"offset": len(listings), "limit": 1000}, timeout=60
    ).json()["results"]:
        listings += page
    return listings


def etsy_product(etsy_url: str, sku: str) -> tuple[dict, dict]:
    """The listing and the product (variant) of its inventory with this SKU."""
    for listing in etsy_listings(etsy_url):
        for product in listing["inventory"]["products"]:
            if product["sku"] == sku:
                return listing, product
    raise AssertionError(f"Etsy has no product with SKU {sku}")


def etsy_quantity(etsy_url: str, sku: str) -> int:
    """The quantity Etsy has of the product (variant) with this SKU."""
    _listing, product = etsy_product(etsy_url, sku)
    return sum(o["quantity"] for o in product["offerings"] if o["is_enabled"])


def approve_on_etsy(consent_url: str) -> str:
    """The seller presses Allow on Etsy's consent page; returns where Etsy sends them back."""
    with httpx.Client(timeout=60, follow_redirects=False) as seller:
        page = seller.get(consent_url)
        assert page.status_code == 200, page.text[:500]
        form = re.search(r'<form[^>]*action="([^"]*)"[^>]*>(.*?)</form>', page.text, re.DOTALL)
        assert form, page.text[:500]
        fields = {
            unescape(name): unescape(value)
            for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form.group(2))
        }
        allow = re.search(r'<button[^>]*name="([^"]+)"[^>]*value="([^"]*)"[^>]*>\s*Allow', form.group(2))
        if allow:
            fields[allow.group(1)] = allow.group(2)
        answer = seller.post(urljoin(consent_url, unescape(form.group(1) or consent_url)), data=fields)
    assert answer.status_code in (302, 303), answer.text[:500]
    return answer.headers["location"]


def order_work_left() -> list[tuple]:
    """Jobs of notifications and orders still queued or running."""
    return work_left(ORDER_WORK)


# --- the test -------------------------------------------------------------------------------------


def connect_etsy(live: Deployment) -> None:
    browser = live.browser
    page = browser.get(f"/connect/{KIND}")
    assert page.status_code == 200, page.text[:500]
    start = browser.post(f"/connect/{KIND}", data={"csrf_token": csrf(page.text)}, follow_redirects=False)
    assert start.status_code == 303, start.text[:500]
    consent_url = start.headers["location"]
    asked = parse_qs(urlsplit(consent_url).query)
    assert consent_url.startswith(f"{live.store_url}/oauth/connect")
    assert asked["response_type"] == ["code"] and asked["code_challenge_method"] == ["S256"]
    assert len(asked["code_challenge"][0]) == 43 and asked["state"][0]  # a SHA-256 challenge, base64url
    back = approve_on_etsy(consent_url)
    assert back.startswith(f"{live.base_url}/connect/{KIND}/callback?"), back
    done = browser.get(back)
    assert done.url.path == "/dashboard", done.text[:500]
    assert "is connected" in done.text
    again = browser.get(back)  # a reload of the page Etsy sent the merchant back to connects nothing new
    assert again.url.path == "/dashboard", again.text[:500]


def listable(listing: dict) -> bool:
    """What a merchant can list on TikTok from Etsy: the shop's active listings."""
    return listing["state"] == "active"


@pytest.mark.slow
def test_an_etsy_shop_end_to_end(deployment):
    live = deployment
    browser, tiktok_url, etsy_url = live.browser, live.tiktok_url, live.store_url

    # Sign up, connect Etsy (consent page, PKCE) and TikTok.
    page = browser.get("/signup")
    browser.post(
        "/signup",
        data={
            "business": "Etsy Makers",
            "email": "maker@etsy-e2e.test",
            "password": "a long password",
            "csrf_token": csrf(page.text),
        },
    )
    connect_etsy(live)
    connect_tiktok(live.browser)
    browser.headers["X-CSRF-Token"] = browser.get("/api/v1/me").json()["csrf_token"]

    # The catalog import: Not Uploaded ends at the shop's active listings.
    listings = etsy_listings(etsy_url)
    assert len(listings) == 60
    active = sum(1 for listing in listings if listable(listing))
    assert 0 < active < len(listings)  # the shop has listings in other states too: they are not counted
    wait_for(
        lambda: browser.get("/api/v1/dashboard").json()["products"]["not_uploaded"] == active,
        timeout=120,
        what="the catalog import",
    )
    dashboard = browser.get("/api/v1/dashboard").json()
    assert dashboard["prerequisites"]["complete"] is True

    # Etsy bills no plans: a bigger plan is taken at once.
    change = browser.post("/api/v1/plans/scale/subscribe").json()
    assert change["code"] == "scale" and change["confirmation_url"] is None, change

    # One template for every listing, then the upload.
    warehouse = next(
        w["id"]
        for w in control(tiktok_url, "GET", "/sandbox/state")["shops"][0]["warehouses"]
        if w["type"] == "SALES_WAREHOUSE"
    )
    created = browser.post(
        "/api/v1/templates",
        json={
            "name": "Handmade",
            "selection": {"match": "all", "rules": [{"field": "title", "operator": "is_not_empty"}]},
            "category": {"id": "9601302", "version": "v2"},
            "attributes": [{"attribute_id": "100347", "source": "fixed", "value_names": ["Cotton"]}],
            "variants": [
                {"option_name": "Size", "attribute_id": "100007"},
                {"option_name": "Primary color", "attribute_id": "100000"},
            ],
            "inventory": {"default_warehouse_id": warehouse},
            "listing": {"package_weight": {"value": "0.5", "unit": "POUND"}},
        },
    )
    assert created.status_code == 201, created.text
    # Bulk Upload, then TikTok's review; its webhooks bring the outcome back.
    truth, counts = upload_and_review(live)
    assert counts["live"] > 0, (truth, counts)

    # Three live products with stock, a SKU of each that Etsy has too (only those can follow Etsy's stock).
    skus = [
        {"sku_id": sku["id"], "seller_sku": sku["seller_sku"], "product_id": product["id"]}
        for product in tiktok_products(tiktok_url)
        if product["status"] == "ACTIVATE"
        for sku in product["skus"]
        if sku.get("seller_sku")
        and sum(w["quantity"] for w in sku["inventory"]) >= 2
        and etsy_quantity(etsy_url, sku["seller_sku"]) >= 2
    ]
    one_per_product = list({s["product_id"]: s for s in skus}.values())
    assert len(one_per_product) >= 5, "too few live products with stock to order"
    kept_sku, cancelled_sku, changed_sku, *two_listings = one_per_product[:5]

    # A stock change on Etsy reaches TikTok (Etsy's signed webhook, sometimes twice; the listing read again).
    listing, _product = etsy_product(etsy_url, changed_sku["seller_sku"])
    quantity = etsy_quantity(etsy_url, changed_sku["seller_sku"]) + 11
    changed = httpx.put(
        f"{etsy_url}/sandbox/listings/{listing['listing_id']}/stock",
        timeout=60,
        json={"sku": changed_sku["seller_sku"], "quantity": quantity},
    )
    assert changed.status_code == 200, changed.text
    wait_for(
        lambda: tiktok_stock(tiktok_url, changed_sku["sku_id"]) == quantity,
        timeout=120,
        what="Etsy's stock change to reach TikTok",
    )
    deliveries = httpx.get(f"{etsy_url}/sandbox/webhooks/deliveries", params={"wait": 10}, timeout=60).json()
    assert deliveries["deliveries"] and all(d["delivered"] for d in deliveries["deliveries"]), deliveries

    # An order stays in TokBridge; its units leave Etsy's stock once, however often TikTok tells.
    before = etsy_quantity(etsy_url, kept_sku["seller_sku"])
    shop_id = control(tiktok_url, "GET", "/sandbox/state")["shops"][0]["id"]
    kept = control(
        tiktok_url,
        "POST",
        "/sandbox/orders",
        {"shop_id": shop_id, "items": [{"sku_id": kept_sku["sku_id"], "quantity": 2}]},
    )
    control(tiktok_url, "POST", "/sandbox/clock/advance", {"seconds": 180})  # paid, then past the hold

    def kept_order():
        found = browser.get("/api/v1/orders", params={"q": kept["id"]}).json()["items"]
        return found and found[0].get("store_sync") == "kept" and found[0]

    order = wait_for(kept_order, timeout=120, what="the order to be kept in TokBridge")
    wait_for(
        lambda: etsy_quantity(etsy_url, kept_sku["seller_sku"]) == before - 2,
        timeout=60,
        what="the order's units to leave Etsy's stock",
    )
    assert redeliver(live, kept["id"]) >= 1  # TikTok's notifications once more
    wait_for(lambda: not order_work_left(), timeout=120, what="the repeated notifications to be handled")
    kept_left = before - 2
    assert etsy_quantity(etsy_url, kept_sku["seller_sku"]) == kept_left  # still once
    assert tiktok_order(tiktok_url, kept["id"])["status"] == "AWAITING_SHIPMENT"

    # Shipped from TokBridge's order page: the tracking number reaches TikTok.
    ship_from_the_order_page(live, order["id"], tracking=TRACKING)

    def shipped():
        package = tiktok_order(tiktok_url, kept["id"])
        return package["status"] in ("AWAITING_COLLECTION", "IN_TRANSIT") and package

    package = wait_for(shipped, timeout=120, what="the shipment to reach TikTok")
    assert package["tracking_number"] == TRACKING, package
    assert {line["tracking_number"] for line in package["line_items"]} == {TRACKING}, package
    assert etsy_quantity(etsy_url, kept_sku["seller_sku"]) == kept_left  # shipping takes nothing more

    # Another order, cancelled on TikTok: its units go back to Etsy once.
    before = etsy_quantity(etsy_url, cancelled_sku["seller_sku"])
    cancelled = control(
        tiktok_url,
        "POST",
        "/sandbox/orders",
        {"shop_id": shop_id, "items": [{"sku_id": cancelled_sku["sku_id"], "quantity": 1}]},
    )
    control(tiktok_url, "POST", "/sandbox/clock/advance", {"seconds": 180})
    wait_for(
        lambda: etsy_quantity(etsy_url, cancelled_sku["seller_sku"]) == before - 1,
        timeout=120,
        what="the second order's unit to leave Etsy's stock",
    )
    buyer_cancels_and_merchant_approves(live, cancelled["id"])
    wait_for(
        lambda: tiktok_order(tiktok_url, cancelled["id"])["status"] == "CANCELLED",
        timeout=120,
        what="TikTok to cancel the order",
    )
    wait_for(
        lambda: etsy_quantity(etsy_url, cancelled_sku["seller_sku"]) == before,
        timeout=120,
        what="the unit to go back to Etsy",
    )
    redeliver(live, cancelled["id"])
    wait_for(lambda: not order_work_left(), timeout=120, what="the repeated cancellation to be handled")
    assert etsy_quantity(etsy_url, cancelled_sku["seller_sku"]) == before  # back once, not twice

    # An order of two listings whose second write fails once: Etsy takes no idempotency key, so the
    # retried job must not take the first listing's units again.
    before = {s["seller_sku"]: etsy_quantity(etsy_url, s["seller_sku"]) for s in two_listings}
    outage = httpx.put(
        f"{etsy_url}/sandbox/faults", json={"PUT /listings/{listing_id}/inventory": ["ok", "503"]}, timeout=60
    )
    assert outage.status_code == 200, outage.text
    two = control(
        tiktok_url,
        "POST",
        "/sandbox/orders",
        {"shop_id": shop_id, "items": [{"sku_id": s["sku_id"], "quantity": 1} for s in two_listings]},
    )
    control(tiktok_url, "POST", "/sandbox/clock/advance", {"seconds": 180})
    wait_for(
        lambda: all(etsy_quantity(etsy_url, sku) == quantity - 1 for sku, quantity in before.items()),
        timeout=120,
        what="both listings to lose one unit",
    )
    assert httpx.get(f"{etsy_url}/sandbox/faults", timeout=60).json() == {
        "PUT /listings/{listing_id}/inventory": []
    }  # the outage happened
    wait_for(lambda: not order_work_left(), timeout=120, what="the order's work to finish")
    assert {sku: etsy_quantity(etsy_url, sku) for sku in before} == {sku: q - 1 for sku, q in before.items()}
    assert browser.get("/api/v1/orders", params={"q": two["id"]}).json()["items"][0]["store_sync"] == "kept"


def ship_from_the_order_page(live: Deployment, order_id: int, tracking: str) -> None:
    """The merchant fills the order page's shipping form (carrier, tracking number) and sends it."""
    page = live.browser.get(f"/orders/{order_id}")
    assert page.status_code == 200, page.text[:500]
    assert 'data-testid="order-kept"' in page.text  # the page says the order is kept in TokBridge
    form = re.search(r'<form[^>]*action="([^"]*ship[^"]*)"[^>]*>(.*?)</form>', page.text, re.DOTALL)
    assert form, "the order page has no shipping form"
    carrier = re.search(r'<select[^>]*name="([^"]+)"[^>]*>.*?<option[^>]*value="([^"]+)"', form.group(2), re.DOTALL)
    tracking_field = re.search(r'<input[^>]*name="(tracking[^"]*)"', form.group(2)).group(1)
    data = {"csrf_token": csrf(form.group(2)), carrier.group(1): carrier.group(2), tracking_field: tracking}
    sent = live.browser.post(unescape(form.group(1)), data=data)
    assert sent.status_code == 200, sent.text[:500]
