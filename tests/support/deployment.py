"""TokBridge as a merchant meets it: the web app with its embedded worker served over HTTP on a free port,
both sandboxes beside it, and a browser-like client signed in nowhere yet. For the end-to-end tests.

The store is a Shopify store by default; `store="etsy"` serves the Etsy sandbox instead (its app, its
seeded shop, the consent page sending the merchant back to TokBridge's callback) and aims the Etsy plugin
at it; `store="prestashop"` serves the PrestaShop sandbox (its seeded shop and a Webservice key with every
permission, `PRESTASHOP_KEY`, for the merchant to type into the connect form)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import httpx
from sqlalchemy import select

from tests.support.live_server import free_port, serve
from tests.support.waiting import wait_for
from tests.support.world import point_connector_at_sandboxes
from tokbridge.channels.tiktok.webhooks import compute_signature
from tokbridge.config import get_settings
from tokbridge.db.engine import get_engine, session_scope
from tokbridge.jobs.models import ACTIVE_STATES, Job
from tokbridge.web.app import create_app
from tokbridge_sandboxes.shopify import SandboxConfig as StoreConfig
from tokbridge_sandboxes.shopify import create_app as store_sandbox
from tokbridge_sandboxes.tiktok import SandboxConfig as TikTokConfig
from tokbridge_sandboxes.tiktok import create_app as tiktok_sandbox

APP_KEY, APP_SECRET = "e2e_key", "e2e_secret"
CLIENT_ID, CLIENT_SECRET = "e2e-client", "e2e-secret"
ETSY_KEYSTRING, ETSY_SHARED_SECRET = "e2eetsykeystring000001", "e2e-etsy-shared-secret"
ETSY_WEBHOOK_SECRET = "whsec_ZTJlLWV0c3ktd2ViaG9vay1zaWduaW5nLWtleQ=="
PRESTASHOP_KEY = "E2EPRESTASHOPWEBSERVICEKEY000001"


@dataclass
class Deployment:
    browser: httpx.Client
    tiktok: object  # the TikTok sandbox itself, for its clock and state
    tiktok_url: str
    store_url: str
    store: object = None  # the store sandbox itself
    base_url: str = ""  # where TokBridge serves


@contextmanager
def live_deployment(
    app_settings,
    monkeypatch,
    request,
    *,
    store_domain: str = "",
    catalog_size: int,
    store: str = "shopify",
    store_options: dict | None = None,
    **tiktok_options,
) -> Iterator[Deployment]:
    """`tiktok_options`: the TikTok sandbox's settings for this test (review delay, regions, seed...).
    `store`: which store sandbox serves the merchant's store ("shopify": the shop `store_domain`; "etsy": the
    Etsy sandbox's one seller and shop); `store_options`: that sandbox's settings for this test."""
    app_port = free_port()
    base = f"http://127.0.0.1:{app_port}"
    with ExitStack() as stack:
        tiktok = tiktok_sandbox(
            TikTokConfig(
                app_key=APP_KEY,
                app_secret=APP_SECRET,
                bootstrap_token=False,
                redirect_url=f"{base}/connect/tiktok/callback",
                tick_seconds=0.05,
                **tiktok_options,
            )
        )
        tiktok_url = stack.enter_context(serve(tiktok))
        if store in ("etsy", "prestashop"):
            serve_store = _etsy_store if store == "etsy" else _prestashop_store
            store_app, store_url, env = serve_store(stack, base, catalog_size, store_options or {})
            point_connector_at_sandboxes(
                stack,
                monkeypatch,
                request,
                app_settings.database_url,
                base=base,
                tiktok_url=tiktok_url,
                tiktok_app=(APP_KEY, APP_SECRET),
                extra=env,
            )
        else:
            store_app = store_sandbox(
                StoreConfig(
                    **{
                        "client_id": CLIENT_ID,
                        "client_secret": CLIENT_SECRET,
                        "catalog_size": catalog_size,
                        "default_shop": store_domain,
                        **(store_options or {}),
                    }
                )
            )
            store_url = stack.enter_context(serve(store_app))
            point_connector_at_sandboxes(
                stack,
                monkeypatch,
                request,
                app_settings.database_url,
                base=base,
                tiktok_url=tiktok_url,
                shopify_url=store_url,
                tiktok_app=(APP_KEY, APP_SECRET),
                shopify_app=(CLIENT_ID, CLIENT_SECRET),
            )
        stack.enter_context(serve(create_app(get_settings(), embedded_worker=True), port=app_port))
        browser = stack.enter_context(httpx.Client(base_url=base, follow_redirects=True, timeout=60))
        yield Deployment(browser, tiktok.state.sandbox, tiktok_url, store_url, store_app.state.sandbox, base)


def _etsy_store(stack: ExitStack, base: str, catalog_size: int, options: dict) -> tuple[object, str, dict[str, str]]:
    """The Etsy sandbox served (the seller approves on its consent page; its webhooks signed to TokBridge),
    and the environment that aims the Etsy plugin at it."""
    from tokbridge.channels.etsy.settings import get_etsy_settings
    from tokbridge_sandboxes.etsy import SandboxConfig as EtsyConfig
    from tokbridge_sandboxes.etsy import create_app as etsy_sandbox

    etsy = etsy_sandbox(
        EtsyConfig(
            **{
                "keystring": ETSY_KEYSTRING,
                "shared_secret": ETSY_SHARED_SECRET,
                "catalog_size": catalog_size,
                "redirect_uris": [f"{base}/connect/etsy/callback"],
                "bootstrap_token": False,
                "webhook_url": f"{base}/webhooks/etsy",
                "webhook_secret": ETSY_WEBHOOK_SECRET,
                # Functional, not about pacing: Etsy's quotas kept out of the way (bench/etsy_import.py measures them).
                "rate_limit_per_second": 100_000,
                "rate_limit_per_day": 10_000_000,
                **options,
            }
        )
    )
    url = stack.enter_context(serve(etsy))
    get_etsy_settings.cache_clear()
    stack.callback(get_etsy_settings.cache_clear)
    return (
        etsy,
        url,
        {
            "ETSY_KEYSTRING": ETSY_KEYSTRING,
            "ETSY_SHARED_SECRET": ETSY_SHARED_SECRET,
            "ETSY_API_BASE_URL": url,
            "ETSY_OAUTH_URL": f"{url}/oauth/connect",
            "ETSY_WEBHOOK_SECRET": ETSY_WEBHOOK_SECRET,
            "ETSY_RATE_LIMIT_PER_SECOND": "100000",
            "ETSY_RATE_LIMIT_PER_DAY": "10000000",
        },
    )


def _prestashop_store(
    stack: ExitStack, _base: str, catalog_size: int, options: dict
) -> tuple[object, str, dict[str, str]]:
    """The PrestaShop sandbox served (a self-hosted shop: no app to register, a Webservice key made in its
    back office), and the environment that lets the plugin reach it over http://."""
    from tokbridge.channels.prestashop.settings import get_prestashop_settings
    from tokbridge_sandboxes.prestashop import SandboxConfig as PrestaShopConfig
    from tokbridge_sandboxes.prestashop import create_app as prestashop_sandbox

    prestashop = prestashop_sandbox(
        PrestaShopConfig(**{"catalog_size": catalog_size, "bootstrap_key": PRESTASHOP_KEY, **options})
    )
    url = stack.enter_context(serve(prestashop))
    get_prestashop_settings.cache_clear()
    stack.callback(get_prestashop_settings.cache_clear)
    return prestashop, url, {"PRESTASHOP_ALLOW_HTTP": "true"}


def control(url: str, method: str, path: str, body: dict | None = None) -> dict:
    """A call to a sandbox's control API (what a merchant or a buyer does there), asserted to succeed."""
    answer = httpx.request(method, url + path, json=body, timeout=120)
    assert answer.status_code < 400, answer.text
    return answer.json() if answer.content else {}


def tiktok_products(tiktok_url: str) -> list[dict]:
    return control(tiktok_url, "GET", "/sandbox/products")["products"]


def tiktok_stock(tiktok_url: str, sku_id: str) -> int:
    """What TikTok has of a SKU, every warehouse together."""
    return next(
        sum(w["quantity"] for w in sku["inventory"])
        for product in tiktok_products(tiktok_url)
        for sku in product["skus"]
        if sku["id"] == sku_id
    )


def tiktok_order(tiktok_url: str, order_id: str) -> dict:
    return next(o for o in control(tiktok_url, "GET", "/sandbox/orders")["orders"] if o["id"] == order_id)


# TikTok's product statuses as the dashboard counts them.
DASHBOARD_OF = {
    "ACTIVATE": "live",
    "FAILED": "failed",
    "PENDING": "reviewing",
    "SELLER_DEACTIVATED": "inactive",
    "PLATFORM_DEACTIVATED": "failed",
    "FREEZE": "failed",
}


def upload_and_review(live: Deployment, review_seconds: int = 120) -> tuple[Counter, dict]:
    """Bulk Upload from the API, then TikTok's review (its clock moved past the review delay) until its
    webhooks brought the outcome to the dashboard: (TikTok's statuses counted, the dashboard's counts)."""
    browser = live.browser
    upload = browser.post("/api/v1/uploads", json={})
    assert upload.status_code == 202, upload.text
    job_id = upload.json()["job_id"]
    wait_for(
        lambda: browser.get(f"/api/v1/jobs/{job_id}").json()["state"] == "succeeded",
        timeout=300,
        what="the bulk upload",
    )
    control(live.tiktok_url, "POST", "/sandbox/clock/advance", {"seconds": review_seconds})

    def counts_match_truth():
        truth = Counter(DASHBOARD_OF[p["status"]] for p in tiktok_products(live.tiktok_url))
        counts = browser.get("/api/v1/dashboard").json()["products"]
        return (
            counts["reviewing"] == truth["reviewing"] == 0
            and counts["live"] == truth["live"]
            and counts["in_progress"] == 0
        ) and (truth, counts)

    return wait_for(counts_match_truth, timeout=120, what="review webhooks to reach the dashboard")


def buyer_cancels_and_merchant_approves(live: Deployment, tiktok_order_id: str) -> None:
    """The buyer asks TikTok to cancel a released order; the merchant approves the request in TokBridge."""
    control(live.tiktok_url, "POST", f"/sandbox/orders/{tiktok_order_id}/buyer_cancel")
    request = wait_for(
        lambda: [
            c
            for c in live.browser.get("/api/v1/orders/cancellations").json()
            if c.get("tiktok_order_id") == tiktok_order_id
        ],
        timeout=120,
        what="the buyer's cancellation request",
    )[0]
    approved = live.browser.post(f"/api/v1/orders/cancellations/{request['id']}/approve")
    assert approved.status_code == 202, approved.text


def connect_tiktok(browser: httpx.Client) -> None:
    """The seller approves TokBridge on TikTok's consent page and comes back to the dashboard."""
    page = browser.get("/connect/tiktok")
    link = re.search(r'href="([^"]*/open/authorize[^"]*)"', page.text).group(1).replace("&amp;", "&")
    consent = httpx.post(link, data={"decision": "allow"}, follow_redirects=False)
    done = browser.get(consent.headers["location"])
    assert done.url.path == "/dashboard", done.text[:500]


def redeliver(live: Deployment, order_id: str) -> int:
    """TikTok's notifications about this order, sent again, signed as TikTok signs them."""
    deliveries = [
        d
        for d in control(live.tiktok_url, "GET", "/sandbox/webhooks")["deliveries"]
        if (d["body"].get("data") or {}).get("order_id") == order_id
    ]
    assert deliveries, "TikTok sent no notification about the order"
    for delivery in deliveries:
        body = httpx.Request("POST", "/", json=delivery["body"]).content
        answer = live.browser.post(
            "/webhooks/tiktok",
            content=body,
            headers={"content-type": "application/json", "authorization": compute_signature(APP_KEY, APP_SECRET, body)},
        )
        assert answer.status_code == 200, answer.text
    return len(deliveries)


def work_left(kinds: tuple[str, ...]) -> list[tuple]:
    """Jobs of these kinds still queued or running (whenever due: a retry waiting for its time counts too)."""
    with session_scope(get_engine(get_settings().database_url)) as session:
        return list(
            session.execute(
                select(Job.id, Job.kind, Job.state, Job.attempts, Job.last_error).where(
                    Job.state.in_(ACTIVE_STATES), Job.kind.in_(kinds)
                )
            )
        )


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_up_and_connect(browser: httpx.Client, *, business: str, email: str, store_domain: str) -> None:
    """A merchant signs up, connects the store sandbox's shop through its install screen and their one TikTok
    shop through the seller's consent page; the browser then sends the session's CSRF token to the API."""
    page = browser.get("/signup")
    browser.post(
        "/signup",
        data={"business": business, "email": email, "password": "a long password", "csrf_token": csrf(page.text)},
    )
    page = browser.get("/connect/shopify")
    connected = browser.post("/connect/shopify", data={"shop": store_domain, "csrf_token": csrf(page.text)})
    assert connected.url.path == "/dashboard", connected.text[:500]
    connect_tiktok(browser)
    browser.headers["X-CSRF-Token"] = browser.get("/api/v1/me").json()["csrf_token"]


def template_body(name: str, product_type: str, category: str, warehouse: str) -> dict:
    """A category template for one product type of the store sandbox's catalog (cotton clothes by weight)."""
    return {
        "name": name,
        "selection": {
            "match": "all",
            "rules": [{"field": "product_type", "operator": "equals", "value": product_type}],
        },
        "category": {"id": category, "version": "v2"},
        "attributes": [{"attribute_id": "100347", "source": "fixed", "value_names": ["Cotton"]}],
        "inventory": {"default_warehouse_id": warehouse},
        "listing": {"package_weight": {"value": "0.5", "unit": "POUND"}},
    }


def store_catalog(store_url: str, domain: str) -> list[dict]:
    """Every product of the store sandbox, page by page (its control API lists 50 at a time)."""
    products: list[dict] = []
    while page := httpx.get(
        f"{store_url}/sandbox/shops/{domain}/products", params={"offset": len(products)}, timeout=60
    ).json()["products"]:
        products += page
    return products
