"""A PrestaShop merchant end to end, over real HTTP everywhere, on SQLite and on PostgreSQL + Redis.

The app serves with its embedded worker; the PrestaShop and TikTok sandboxes serve beside it. A merchant
signs up and connects the PrestaShop shop with a Webservice key: first one missing a permission (told
which, in plain words, and nothing is stored), then a good one. The catalog is imported, the order status
mapping chosen, a template created and Bulk Upload run; TikTok's review makes products Live. A TikTok
order is created in PrestaShop once, however often TikTok's notification comes, in the mapped state and
not in "Payment error" (its total equals its cart's). PrestaShop sends no webhooks: the tracking number
the merchant enters in PrestaShop, a stock change there and a product edit reach TikTok through the
periodic polls, fired as the workers' maintenance pass fires them in production (the next period, not a
sleep). Delivered on TikTok, the store order moves to the mapped delivered state once; cancelled on
TikTok, to the mapped cancelled state."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from xml.etree import ElementTree

import httpx
import pytest
from sqlalchemy import func, select

from tests.support.deployment import (
    PRESTASHOP_KEY,
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
from tokbridge.channels import registry
from tokbridge.channels.models import ChannelConnection
from tokbridge.config import get_settings
from tokbridge.db.base import utcnow
from tokbridge.db.engine import get_engine, session_scope
from tokbridge.jobs.maintenance import run_maintenance

KIND = "prestashop"
TRACKING = "1Z999AA10123456784"
# The shop's free carrier, named after the shop as PrestaShop names its first one: the merchant maps it to
# a TikTok shipping provider in Order settings.
SHOP_CARRIER = "TokBridge Sandbox Shop"
# PrestaShop's order states (its configuration's PS_OS_*), as the sandbox seeds them.
PS_OS_PAYMENT, PS_OS_PREPARATION, PS_OS_SHIPPING, PS_OS_DELIVERED, PS_OS_CANCELED, PS_OS_ERROR = 2, 3, 4, 5, 6, 8
# The work TikTok's notifications, the polls and the orders bring: settled when none is queued or running.
ORDER_WORK = (
    "inbox.process",
    "orders.intake",
    "orders.to_store",
    "orders.ship",
    "orders.cancel",
    "orders.cancel_in_store",
    "orders.decide_cancellation",
    "orders.deliver_in_store",
    "orders.poll_stores",
    "orders.poll_store",
    "orders.poll_all",
    "orders.poll",
)
CATALOG_WORK = ("catalog.reconcile_all", "catalog.reconcile", "listings.sync_product", "listings.sync_shop")


@pytest.fixture
def deployment(app_settings, monkeypatch, request):
    with live_deployment(
        app_settings,
        monkeypatch,
        request,
        store=KIND,
        catalog_size=30,
        store_options={"seed": 7, "currency": "USD"},
        review_delay_seconds=60,
        review_rejection_rate=0.0,
        on_hold_seconds=60,
        in_transit_to_delivered_seconds=3600,
        delivered_to_completed_seconds=7200,
        seed=23,
    ) as live:
        yield live


# --- the sandboxes, read and driven over HTTP -------------------------------------------------------


def prestashop_products(store_url: str) -> list[dict]:
    return control(store_url, "GET", "/sandbox/products")["products"]


def prestashop_orders(store_url: str) -> list[dict]:
    return control(store_url, "GET", "/sandbox/orders")["orders"]


def prestashop_stock(store_url: str, product_id: int, combination_id: int) -> int:
    return control(store_url, "GET", f"/sandbox/stock?id_product={product_id}&id_product_attribute={combination_id}")[
        "quantity"
    ]


def order_history_posts(store_url: str) -> int:
    """How many order state changes TokBridge sent PrestaShop (POST order_histories)."""
    return sum(
        1
        for r in control(store_url, "GET", "/sandbox/requests")["requests"]
        if r["method"] == "POST" and r["path"].rstrip("/").endswith("/order_histories")
    )


# --- TokBridge ---------------------------------------------------------------------------------------


class Polls:
    """The periodic jobs, fired as every worker's maintenance pass fires them: once per period, each call a
    period later than the last (the store's clock is not involved: this is TokBridge's schedule)."""

    def __init__(self):
        self.periods = 0

    def run(self) -> None:
        self.periods += 1
        fired = run_maintenance(get_settings(), now=utcnow() + timedelta(hours=self.periods))
        assert fired["periodic"] > 0, fired


def store_connections() -> int:
    with session_scope(get_engine(get_settings().database_url)) as session:
        return session.scalar(
            select(func.count()).select_from(ChannelConnection).where(ChannelConnection.channel == KIND)
        )


def connect_form(live: Deployment, key: str) -> httpx.Response:
    """The merchant fills the connect form: the shop's address, and the key in the secret field."""
    page = live.browser.get(f"/connect/{KIND}")
    assert page.status_code == 200, page.text[:500]
    fields = registry.plugin(KIND).connector.form_fields
    assert [field.secret for field in fields].count(True) == 1  # the key, typed as a password
    for index, field in enumerate(fields):  # a browser asks for the address and the key, not the choices
        tag = re.search(rf'<input[^>]*name="{field.name}"[^>]*>', page.text).group(0)
        assert (" required" in tag) == (index == 0 or field.secret), tag
        assert ('type="password"' in tag) == field.secret, tag
    # The shop's address first, the key in the secret field, the optional choices (shop, language) left empty.
    answers = {
        field.name: key if field.secret else live.store_url if index == 0 else "" for index, field in enumerate(fields)
    }
    return live.browser.post(f"/connect/{KIND}", data={"csrf_token": csrf(page.text), **answers})


def connect_with_keys(live: Deployment) -> None:
    """A key without the right to create orders is refused, naming it; the bootstrap key connects."""
    store_url = live.store_url
    # The resources the shop's Webservice offers, as the key with every permission lists them.
    every = httpx.get(f"{store_url}/api/", auth=(PRESTASHOP_KEY, ""), timeout=60)
    assert every.status_code == 200, every.text
    resources = sorted(node.tag for node in ElementTree.fromstring(every.content).find("api"))
    assert "orders" in resources and "products" in resources, resources
    weak_key = "WEAKPRESTASHOPKEYWITHOUTORDERS01"
    control(
        store_url,
        "POST",
        "/sandbox/keys",
        {
            "key": weak_key,
            "permissions": {
                name: (["GET", "HEAD"] if name == "orders" else ["GET", "PUT", "POST", "PATCH", "DELETE", "HEAD"])
                for name in resources
            },
        },
    )
    refused = connect_form(live, weak_key)
    assert refused.status_code == 400, refused.text[:500]
    error = unescape(re.search(r'data-testid="connect-error">(.*?)</p>', refused.text, re.DOTALL).group(1))
    assert "orders" in error.lower(), error  # told which
    assert not re.search(r"Traceback|\b40[135]\b|<\w+>|ws_key", error), error  # in plain words
    assert weak_key not in refused.text  # the key is not written back into the page
    assert store_connections() == 0  # nothing stored

    done = connect_form(live, PRESTASHOP_KEY)
    assert done.url.path == "/dashboard", re.findall(r'data-testid="connect-error">(.*?)</p>', done.text, re.S)
    assert "is connected" in done.text
    assert store_connections() == 1


def choose_order_states(live: Deployment) -> dict[str, str]:
    """The order settings page offers the store's states, never "Payment error" for new orders (refused
    when posted anyway), and saves the merchant's choice: new orders in "Processing in progress"."""
    browser = live.browser
    # The shop does not answer: the page says so in words and shows no mapping to save by mistake.
    control(live.store_url, "POST", "/sandbox/faults", {"operation": "GET order_states", "status": 500, "times": 5})
    unread = browser.get("/settings/orders")
    assert unread.status_code == 200 and 'data-testid="state-mapping"' not in unread.text
    words = unescape(re.search(r'data-testid="state-mapping-error">([^<]*)<', unread.text).group(1))
    assert "could not be read" in words and "Traceback" not in words and "500" not in words, words
    control(live.store_url, "DELETE", "/sandbox/faults")
    page = browser.get("/settings/orders")
    assert page.status_code == 200, page.text[:500]
    assert 'data-testid="state-mapping"' in page.text
    selects = dict(re.findall(r'<select name="(\w+_state)">(.*?)</select>', page.text, re.DOTALL))
    assert set(selects) == {"new_order_state", "delivered_state", "cancelled_state"}
    offered = {
        name: dict(
            (v, unescape(label)) for v, label in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', options)
        )
        for name, options in selects.items()
    }
    picked = {
        name: re.search(r'<option value="([^"]*)" selected', options).group(1) for name, options in selects.items()
    }
    # Defaults from the states' meaning: paid, delivered, cancelled.
    assert picked == {
        "new_order_state": str(PS_OS_PAYMENT),
        "delivered_state": str(PS_OS_DELIVERED),
        "cancelled_state": str(PS_OS_CANCELED),
    }, picked
    assert str(PS_OS_ERROR) not in offered["new_order_state"], offered["new_order_state"]
    assert str(PS_OS_ERROR) in offered["delivered_state"]  # the other statuses list every state
    form = {
        "csrf_token": csrf(page.text),
        "restock_on_cancel": "1",
        "restock_on_return": "1",
        "unknown_sku": "fail",
        "carrier_map": f"{SHOP_CARRIER} = USPS",
        "delivered_state": str(PS_OS_DELIVERED),
        "cancelled_state": str(PS_OS_CANCELED),
    }
    refused = browser.post("/settings/orders", data={**form, "new_order_state": str(PS_OS_ERROR)})
    words = unescape(re.search(r'role="alert">([^<]*)<', refused.text).group(1))
    assert "payment" in words.lower() and "paid" in words, words
    saved = browser.post("/settings/orders", data={**form, "new_order_state": str(PS_OS_PREPARATION)})
    assert "Order settings saved" in saved.text, saved.text[:500]
    api_refused = browser.put(
        "/api/v1/settings/orders",
        json={
            "restock_on_cancel": True,
            "restock_on_return": True,
            "unknown_sku": "fail",
            "new_order_state": str(PS_OS_ERROR),
        },
    )
    assert api_refused.status_code == 422 and "paid orders" in api_refused.text, api_refused.text
    api = browser.get("/api/v1/settings/orders").json()
    assert (api["new_order_state"], api["delivered_state"], api["cancelled_state"]) == (
        str(PS_OS_PREPARATION),
        str(PS_OS_DELIVERED),
        str(PS_OS_CANCELED),
    ), api
    assert {s["meaning"] for s in api["order_states"]} >= {"paid", "delivered", "cancelled", "payment_error"}
    return offered["new_order_state"]


def place_order(live: Deployment, sku_id: str, quantity: int) -> dict:
    shop_id = control(live.tiktok_url, "GET", "/sandbox/state")["shops"][0]["id"]
    placed = control(
        live.tiktok_url,
        "POST",
        "/sandbox/orders",
        {"shop_id": shop_id, "items": [{"sku_id": sku_id, "quantity": quantity}]},
    )
    control(live.tiktok_url, "POST", "/sandbox/clock/advance", {"seconds": 180})  # paid, then past the hold
    return placed


def waiting(live: Deployment, tiktok_order_id: str, condition, what: str):
    """`wait_for`, telling on a timeout where the order and its work are."""
    try:
        return wait_for(condition, timeout=120, what=what)
    except TimeoutError as timeout:
        found = live.browser.get("/api/v1/orders", params={"q": tiktok_order_id}).json()["items"]
        raise AssertionError(f"{timeout}: {found} {work_left(ORDER_WORK)}") from None


def store_order_of(live: Deployment, tiktok_order_id: str) -> dict:
    """The PrestaShop order TokBridge created for a TikTok order, once it is bound."""

    def bound():
        found = live.browser.get("/api/v1/orders", params={"q": tiktok_order_id}).json()["items"]
        return found and found[0]["store_order_id"] and found[0]

    order = waiting(live, tiktok_order_id, bound, "the TikTok order to be created in PrestaShop")
    return control(live.store_url, "GET", f"/sandbox/orders/{order['store_order_id']}")


@pytest.mark.slow
def test_a_prestashop_shop_end_to_end(deployment):
    live = deployment
    browser, tiktok_url, store_url = live.browser, live.tiktok_url, live.store_url
    polls = Polls()

    page = browser.get("/signup")
    browser.post(
        "/signup",
        data={
            "business": "Boutique Presta",
            "email": "owner@prestashop-e2e.test",
            "password": "a long password",
            "csrf_token": csrf(page.text),
        },
    )
    checklist = browser.get("/dashboard").text
    assert f'<a href="/connect/{KIND}">PrestaShop</a>' in checklist  # "Connect your …, PrestaShop or … store"
    chooser = browser.get("/connect").text
    assert f'href="/connect/{KIND}"' in chooser and "PrestaShop" in chooser
    connect_with_keys(live)
    connect_tiktok(live.browser)
    browser.headers["X-CSRF-Token"] = browser.get("/api/v1/me").json()["csrf_token"]

    # The catalog import: Not Uploaded ends at the shop's active products.
    products = prestashop_products(store_url)
    active = sum(1 for product in products if product["active"])
    assert len(products) == 30 and 0 < active < len(products)
    wait_for(
        lambda: browser.get("/api/v1/dashboard").json()["products"]["not_uploaded"] == active,
        timeout=180,
        what="the catalog import",
    )
    assert browser.get("/api/v1/dashboard").json()["prerequisites"]["complete"] is True
    change = browser.post("/api/v1/plans/scale/subscribe").json()
    assert change["code"] == "scale", change

    choose_order_states(live)

    # One template for every product, then the upload; TikTok's review makes them Live.
    warehouse = next(
        w["id"]
        for w in control(tiktok_url, "GET", "/sandbox/state")["shops"][0]["warehouses"]
        if w["type"] == "SALES_WAREHOUSE"
    )
    template = {
        "name": "Boutique",
        "selection": {"match": "all", "rules": [{"field": "title", "operator": "is_not_empty"}]},
        "category": {"id": "9601302", "version": "v2"},
        "attributes": [{"attribute_id": "100347", "source": "fixed", "value_names": ["Cotton"]}],
        "variants": [
            {"option_name": "Size", "attribute_id": "100007"},
            {"option_name": "Colour", "attribute_id": "100000"},
        ],
        "inventory": {"default_warehouse_id": warehouse},
        "listing": {"package_weight": {"value": "0.5", "unit": "KILOGRAM"}},
    }
    created = browser.post("/api/v1/templates", json=template)
    assert created.status_code == 201, created.text
    truth, counts = upload_and_review(live)
    assert counts["live"] > 0, (truth, counts, browser.get("/api/v1/products", params={"status": "failed"}).text)
    live_products = len(tiktok_products(tiktok_url))

    # The product page shows the shop's images through TokBridge: the shop serves them only to its key,
    # which never reaches the browser (else the browser would ask the merchant for a login).
    product_id = browser.get("/api/v1/products", params={"status": "live", "limit": 1}).json()["items"][0]["id"]
    page = browser.get(f"/products/{product_id}").text
    sources = [unescape(src) for src in re.findall(r'<img src="([^"]+)"', page)]
    assert sources and all(src.startswith(f"/products/{product_id}/images/") for src in sources), sources
    image = browser.get(sources[0])
    assert image.status_code == 200 and image.headers["content-type"].startswith("image/"), image.text[:200]
    assert browser.get(f"/products/{product_id}/images/999999999").status_code == 404

    # Live SKUs with stock, one per product; the stock change goes to a product without combinations (its
    # TikTok product has one SKU: the product's own stock row).
    store_id_of = {
        item["tiktok_product_id"]: item["external_id"]
        for item in browser.get("/api/v1/products", params={"status": "live", "limit": 200}).json()["items"]
    }
    simple = {str(p["id_product"]) for p in products if not p["combinations"]}
    skus = [
        {"sku_id": sku["id"], "product_id": product["id"], "store_product_id": store_id_of[product["id"]]}
        for product in tiktok_products(tiktok_url)
        if product["status"] == "ACTIVATE"
        for sku in product["skus"]
        if sum(w["quantity"] for w in sku["inventory"]) >= 2
    ]
    one_per_product = list({s["product_id"]: s for s in skus}.values())
    changed_sku = next(s for s in one_per_product if s["store_product_id"] in simple)
    ordered_sku, cancelled_sku = [s for s in one_per_product if s is not changed_sku][:2]

    # A TikTok order is created in PrestaShop once, in the mapped state, its total its cart's.
    orders_before = len(prestashop_orders(store_url))
    placed = place_order(live, ordered_sku["sku_id"], 2)
    store_order = store_order_of(live, placed["id"])
    assert int(store_order["current_state"]) == PS_OS_PREPARATION, store_order
    assert int(store_order["current_state"]) != PS_OS_ERROR
    assert store_order["cart_total"] == store_order["total_paid"], store_order
    assert sum(row["product_quantity"] for row in store_order["rows"]) == 2, store_order
    assert redeliver(live, placed["id"]) >= 1  # TikTok's notifications once more
    wait_for(lambda: not work_left(ORDER_WORK), timeout=120, what="the repeated notifications to be handled")
    assert len(prestashop_orders(store_url)) == orders_before + 1  # still once

    # Tracking entered in PrestaShop's back office reaches TikTok through the store poll.
    control(store_url, "POST", f"/sandbox/orders/{store_order['id_order']}/ship", {"tracking_number": TRACKING})
    polls.run()

    def shipped():
        package = tiktok_order(tiktok_url, placed["id"])
        return package["status"] in ("AWAITING_COLLECTION", "IN_TRANSIT") and package

    package = waiting(live, placed["id"], shipped, "PrestaShop's tracking number to reach TikTok")
    assert package["tracking_number"] == TRACKING, package

    # Delivered on TikTok: the store order moves to the mapped delivered state, once.
    histories_before = order_history_posts(store_url)
    control(tiktok_url, "POST", "/sandbox/clock/advance", {"seconds": 3700})
    wait_for(
        lambda: (
            int(control(store_url, "GET", f"/sandbox/orders/{store_order['id_order']}")["current_state"])
            == PS_OS_DELIVERED
        ),
        timeout=120,
        what="the delivered order's state to reach PrestaShop",
    )
    control(tiktok_url, "POST", "/sandbox/clock/advance", {"seconds": 7300})  # completed on TikTok
    wait_for(
        lambda: tiktok_order(tiktok_url, placed["id"])["status"] == "COMPLETED",
        timeout=60,
        what="TikTok to complete the order",
    )
    redeliver(live, placed["id"])
    polls.run()
    wait_for(lambda: not work_left(ORDER_WORK), timeout=120, what="the completed order to be handled")
    assert order_history_posts(store_url) == histories_before + 1  # moved once

    # A stock change in PrestaShop (no date_upd bump, no webhook) reaches TikTok through the catalog poll.
    changed_product, changed_combination = int(changed_sku["store_product_id"]), 0
    quantity = prestashop_stock(store_url, changed_product, changed_combination) + 11
    control(
        store_url,
        "PUT",
        "/sandbox/stock",
        {"id_product": changed_product, "id_product_attribute": changed_combination, "quantity": quantity},
    )
    polls.run()
    wait_for(
        lambda: tiktok_stock(tiktok_url, changed_sku["sku_id"]) == quantity,
        timeout=120,
        what="PrestaShop's stock change to reach TikTok",
    )

    # Cancelled on TikTok: the store order moves to the mapped cancelled state.
    cancelled = place_order(live, cancelled_sku["sku_id"], 1)
    cancelled_store_order = store_order_of(live, cancelled["id"])
    buyer_cancels_and_merchant_approves(live, cancelled["id"])
    wait_for(
        lambda: (
            int(control(store_url, "GET", f"/sandbox/orders/{cancelled_store_order['id_order']}")["current_state"])
            == PS_OS_CANCELED
        ),
        timeout=120,
        what="the cancellation to reach PrestaShop",
    )

    # A second pass: a product edited in PrestaShop reaches TikTok by the poll, and uploading again
    # creates nothing twice.
    edited_tiktok, edited_store_id = ordered_sku["product_id"], ordered_sku["store_product_id"]
    control(store_url, "PATCH", f"/sandbox/products/{edited_store_id}", {"name": "Renamed in the back office"})
    polls.run()
    wait_for(
        lambda: (
            next(p for p in tiktok_products(tiktok_url) if p["id"] == edited_tiktok)["title"]
            == "Renamed in the back office"
        ),
        timeout=120,
        what="the product edit to reach TikTok",
    )
    upload_everything(browser)
    wait_for(lambda: not work_left(CATALOG_WORK), timeout=120, what="the second pass to settle")
    assert len(tiktok_products(tiktok_url)) == live_products  # nothing created twice


def upload_everything(browser: httpx.Client) -> None:
    upload = browser.post("/api/v1/uploads", json={})
    assert upload.status_code == 202, upload.text
    job_id = upload.json()["job_id"]
    wait_for(
        lambda: browser.get(f"/api/v1/jobs/{job_id}").json()["state"] == "succeeded",
        timeout=300,
        what="the bulk upload",
    )
