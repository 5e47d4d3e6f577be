"""Several TikTok shops end to end, over real HTTP everywhere: one merchant, one store priced in dollars, a
US shop (dollars, the v2 category tree) and a UK shop (pounds, the v1 tree) authorized together on TikTok's
consent page. One product is listed in both, at the UK shop's converted price; TikTok's review passes it in
one shop and fails it in the other, and each shop shows its own status; a buyer orders in each shop and each
order reaches the store exactly once, in the currency it was paid in, with both sides' amounts recorded;
each shop's dashboard and the overview equal the sandbox's truth."""

from __future__ import annotations

import re
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

import httpx
import pytest

from tests.support.deployment import csrf, live_deployment, store_catalog
from tests.support.waiting import wait_for

STORE = "two-shops.myshopify.com"
RATE = Decimal("0.79")
CURRENCY = {"US": "USD", "GB": "GBP"}  # one dollar in pounds, as the merchant sets it for the UK shop
DASHBOARD_OF = {
    "ACTIVATE": "live",
    "FAILED": "failed",
    "PENDING": "reviewing",
    "SELLER_DEACTIVATED": "inactive",
    "PLATFORM_DEACTIVATED": "failed",
    "FREEZE": "failed",
}


@pytest.fixture
def deployment(app_settings, monkeypatch, request):
    with live_deployment(
        app_settings,
        monkeypatch,
        request,
        store_domain=STORE,
        catalog_size=40,
        shop_regions=["US", "GB"],
        review_delay_seconds=10**9,
        seed=7,
    ) as live:
        yield live.browser, live.tiktok_url, live.store_url


def tiktok(url: str, method: str, path: str, body: dict | None = None) -> dict:
    answer = httpx.request(method, f"{url}{path}", json=body, timeout=60)
    assert answer.status_code < 300, answer.text
    return answer.json()


def store_orders(store_url: str) -> list[dict]:
    return httpx.get(f"{store_url}/sandbox/shops/{STORE}/orders", timeout=60).json()["orders"]


@pytest.mark.slow
def test_one_store_two_shops_listed_reviewed_ordered_and_counted_apart(deployment):
    browser, tiktok_url, store_url = deployment

    # Sign up, connect the store, then TikTok: its consent covers both shops, and the merchant keeps both.
    page = browser.get("/signup")
    browser.post(
        "/signup",
        data={
            "business": "Two Shops Ltd",
            "email": "owner@shops.test",
            "password": "a long password",
            "csrf_token": csrf(page.text),
        },
    )
    page = browser.get("/connect/shopify")
    assert (
        browser.post("/connect/shopify", data={"shop": STORE, "csrf_token": csrf(page.text)}).url.path == "/dashboard"
    )
    page = browser.get("/connect/tiktok")
    link = re.search(r'href="([^"]*/open/authorize[^"]*)"', page.text).group(1).replace("&amp;", "&")
    consent = httpx.post(link, data={"decision": "allow"}, follow_redirects=False)
    choose = browser.get(consent.headers["location"])
    offered = re.findall(r'name="connection_id" value="([^"]+)"', choose.text)
    assert len(offered) == 2, choose.text[:800]
    done = browser.post("/connect/tiktok/choose", data={"connection_id": offered, "csrf_token": csrf(choose.text)})
    assert done.url.path == "/dashboard", done.text[:500]
    browser.headers["X-CSRF-Token"] = browser.get("/api/v1/me").json()["csrf_token"]

    shops = {s["region"]: s for s in browser.get("/api/v1/shops").json()}
    assert sorted(shops) == ["GB", "US"] and (shops["US"]["currency"], shops["GB"]["currency"]) == ("USD", "GBP")
    us, gb = shops["US"]["id"], shops["GB"]["id"]
    truth = {s["region"]: s for s in tiktok(tiktok_url, "GET", "/sandbox/state")["shops"]}

    # The catalog is imported once, for both shops.
    catalog = store_catalog(store_url, STORE)
    active = sum(1 for p in catalog if p["status"].lower() == "active")
    for shop in (us, gb):
        wait_for(
            lambda shop=shop: (
                browser.get("/api/v1/dashboard", params={"shop": shop}).json()["products"]["not_uploaded"] == active
            ),
            timeout=120,
            what="the catalog import",
        )

    # The UK shop sells in pounds: its rate, set on its own settings.
    settings_page = browser.get("/settings", params={"shop": gb})
    saved = browser.post(
        f"/settings/currency?shop={gb}", data={"rate": str(RATE), "csrf_token": csrf(settings_page.text)}
    )
    assert saved.status_code == 200 and "rate saved" in saved.text.lower(), saved.text[:500]

    # A T-shirt template in the US shop, copied to the UK shop with the UK tree's category.
    warehouses = {
        region: next(w["id"] for w in shop["warehouses"] if w["type"] == "SALES_WAREHOUSE")
        for region, shop in truth.items()
    }
    tees = {"match": "all", "rules": [{"field": "product_type", "operator": "equals", "value": "T-Shirts"}]}
    created = browser.post(
        "/api/v1/templates",
        params={"shop": us},
        json={
            "name": "T-shirts",
            "selection": tees,
            "category": {"id": "9601302", "version": "v2"},
            "attributes": [{"attribute_id": "100347", "source": "fixed", "value_names": ["Cotton"]}],
            "inventory": {"default_warehouse_id": warehouses["US"]},
            "listing": {"package_weight": {"value": "0.5", "unit": "POUND"}},
        },
    )
    assert created.status_code == 201, created.text
    refused = browser.post(f"/api/v1/templates/{created.json()['id']}/copy", json={"shop": gb})
    assert refused.status_code in (409, 422) and "categor" in refused.text.lower(), refused.text
    copied = browser.post(
        f"/api/v1/templates/{created.json()['id']}/copy",
        json={"shop": gb, "category": {"id": "601302", "version": "v1"}},
    )
    assert copied.status_code == 201, copied.text
    template_gb = copied.json()
    edited = browser.put(
        f"/api/v1/templates/{template_gb['id']}",
        params={"shop": gb},
        json={**_spec(template_gb), "inventory": {"default_warehouse_id": warehouses["GB"]}},
    )
    assert edited.status_code == 200, edited.text

    # One product, uploaded to both shops.
    tee = next(
        p
        for p in browser.get("/api/v1/products", params={"shop": us, "limit": 200}).json()["items"]
        if p.get("template_id") and p["status"] == "not_uploaded"
    )
    for shop in (us, gb):
        upload = browser.post("/api/v1/uploads", params={"shop": shop}, json={"product_ids": [tee["id"]]})
        assert upload.status_code == 202, upload.text
        job = upload.json()["job_id"]
        wait_for(
            lambda job=job: browser.get(f"/api/v1/jobs/{job}").json()["state"] == "succeeded",
            timeout=180,
            what="the upload",
        )
    detail = browser.get(f"/api/v1/products/{tee['id']}").json()
    in_shop = {s["shop"]: s for s in detail["shops"]}
    on_tiktok = {p["id"]: p for p in tiktok(tiktok_url, "GET", "/sandbox/products")["products"]}
    assert {on_tiktok[in_shop[s]["tiktok_product_id"]]["shop_id"] for s in (us, gb)} == {
        truth["US"]["id"],
        truth["GB"]["id"],
    }

    # The UK price is the store's dollar price converted at the UK shop's rate, on TikTok and in TokBridge.
    def sku_prices(shop: str) -> list[tuple[Decimal, str]]:
        product = on_tiktok[in_shop[shop]["tiktok_product_id"]]
        return sorted((Decimal(s["price"]["sale_price"]), s["price"]["currency"]) for s in product["skus"])

    dollars, pounds = sku_prices(us), sku_prices(gb)
    assert {currency for _, currency in dollars} == {"USD"} and {currency for _, currency in pounds} == {"GBP"}
    assert [p for p, _ in pounds] == [(d * RATE).quantize(Decimal("0.01"), ROUND_HALF_UP) for d, _ in dollars]
    store_product = next(p for p in catalog if p["admin_graphql_api_id"] == tee["external_id"])
    assert {d for d, _ in dollars} <= {Decimal(v["price"]) for v in store_product["variants"]}
    assert sorted(in_shop[gb]["prices"]) == sorted(f"{p} GBP" for p, _ in pounds), in_shop[gb]["prices"]
    assert (in_shop[us]["currency"], in_shop[gb]["currency"]) == ("USD", "GBP")

    # TikTok's review: approved in the US, refused in the UK; each shop shows its own outcome.
    for shop, outcome in ((us, "APPROVED"), (gb, "FAILED")):
        tiktok(
            tiktok_url,
            "POST",
            f"/sandbox/products/{in_shop[shop]['tiktok_product_id']}/review",
            {"outcome": outcome, "reasons": ["The main image shows a watermark."]},
        )

    def statuses():
        shops_now = {s["shop"]: s["status"] for s in browser.get(f"/api/v1/products/{tee['id']}").json()["shops"]}
        return shops_now if shops_now.get(us) == "live" and shops_now.get(gb) == "failed" else None

    wait_for(statuses, timeout=120, what="each shop's review outcome")
    failed = next(s for s in browser.get(f"/api/v1/products/{tee['id']}").json()["shops"] if s["shop"] == gb)
    assert failed["review_reasons"], failed

    # The merchant sends the UK product again (a fix made); TikTok approves it this time.
    resent = browser.post("/api/v1/uploads", params={"shop": gb}, json={"product_ids": [tee["id"]]})
    assert resent.status_code == 202, resent.text
    wait_for(
        lambda: browser.get(f"/api/v1/jobs/{resent.json()['job_id']}").json()["state"] == "succeeded",
        timeout=180,
        what="the second upload",
    )
    assert {s["shop"]: s["status"] for s in browser.get(f"/api/v1/products/{tee['id']}").json()["shops"]} == {
        us: "live",
        gb: "reviewing",
    }
    tiktok(tiktok_url, "POST", f"/sandbox/products/{in_shop[gb]['tiktok_product_id']}/review", {"outcome": "APPROVED"})
    wait_for(
        lambda: (
            {s["shop"]: s["status"] for s in browser.get(f"/api/v1/products/{tee['id']}").json()["shops"]}.get(gb)
            == "live"
        ),
        timeout=180,
        what="the UK listing to go live",
    )

    # A buyer orders in each shop.
    placed = {}
    for region, shop in (("US", us), ("GB", gb)):
        product = tiktok(tiktok_url, "GET", "/sandbox/products")["products"]
        sku = next(s["id"] for p in product if p["id"] == in_shop[shop]["tiktok_product_id"] for s in p["skus"])
        placed[region] = tiktok(
            tiktok_url,
            "POST",
            "/sandbox/orders",
            {"shop_id": truth[region]["id"], "items": [{"sku_id": sku, "quantity": 1}]},
        )

    # Paid, past TikTok's remorse window (an hour): awaiting shipment, so each goes to the store.
    tiktok(tiktok_url, "POST", "/sandbox/clock/advance", {"seconds": 3700})

    def both_orders_in_store():
        by_source = Counter(o.get("source_identifier") for o in store_orders(store_url))
        return all(by_source[o["id"]] == 1 for o in placed.values()) and by_source

    wait_for(both_orders_in_store, timeout=180, what="both TikTok orders to reach the store")
    by_source = {o["source_identifier"]: o for o in store_orders(store_url)}
    assert {o["source_identifier"] for o in store_orders(store_url)} >= {o["id"] for o in placed.values()}
    assert by_source[placed["US"]["id"]]["presentment_currency"] == "USD"
    assert by_source[placed["GB"]["id"]]["presentment_currency"] == "GBP"
    for region, shop in (("US", us), ("GB", gb)):
        orders = browser.get("/api/v1/orders", params={"shop": shop}).json()["items"]
        assert [o["tiktok_order_id"] for o in orders] == [placed[region]["id"]]
        assert (orders[0]["currency"], orders[0]["shop_id"]) == (CURRENCY[region], shop)
        detail = browser.get(f"/api/v1/orders/{orders[0]['id']}").json()
        store_order = by_source[placed[region]["id"]]
        # Both sides' amounts: the buyer's on TikTok, the store order's in the store's currency.
        assert (detail["store_currency"], Decimal(str(detail["store_total"]))) == (
            "USD",
            Decimal(str(store_order["total_price"])),
        ), (detail, store_order)
        assert Decimal(str(detail["total"])) == Decimal(str(placed[region]["payment"]["total_amount"]))
        buyer_side = store_order["total_price_set"]["presentment_money"]
        assert (buyer_side["currency_code"], Decimal(buyer_side["amount"])) == (
            CURRENCY[region],
            Decimal(placed[region]["payment"]["total_amount"]),
        )

    # Each shop's dashboard, and the overview, equal the sandbox's truth.
    products_now = tiktok(tiktok_url, "GET", "/sandbox/products")["products"]
    overview = {s["id"]: s for s in browser.get("/api/v1/overview").json()["shops"]}
    for region, shop in (("US", us), ("GB", gb)):
        mine = Counter(DASHBOARD_OF[p["status"]] for p in products_now if p["shop_id"] == truth[region]["id"])
        counts = browser.get("/api/v1/dashboard", params={"shop": shop}).json()["products"]
        assert (counts["live"], counts["failed"], counts["reviewing"]) == (
            mine["live"],
            mine["failed"],
            mine["reviewing"],
        )
        assert overview[shop]["products"]["live"] == mine["live"] and overview[shop]["orders"] == 1


def _spec(template: dict) -> dict:
    keep = (
        "name",
        "priority",
        "selection",
        "category",
        "attributes",
        "variants",
        "price",
        "inventory",
        "listing",
        "auto_assign",
        "is_active",
    )
    return {key: template[key] for key in keep if key in template}
