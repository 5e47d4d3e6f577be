"""Prices in the TikTok shop's currency (issue #12, item 5): the store's currency is read from the store,
a shop selling in another one takes no upload or price until the merchant sets a conversion rate, and
then gets converted prices (the template's rounding after the conversion); a new rate re-prices it."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import add_user, sign_in
from tests.pipeline.helpers import check_prerequisites, listings, request, run_jobs, sales_warehouse, tee_template
from tests.support.waiting import wait_for
from tokbridge.activity.models import Activity
from tokbridge.catalog.models import CatalogInventoryLevel, CatalogProduct, CatalogVariant
from tokbridge.category_templates.models import ProductTemplateAssignment
from tokbridge.category_templates.pricing import round_price
from tokbridge.db.engine import session_scope
from tokbridge.jobs.models import Job
from tokbridge.jobs.service import enqueue
from tokbridge.listings import service
from tokbridge.web.app import create_app

V1_TEES = {"id": "601302", "version": "v1", "name_path": ["Womenswear & Underwear", "Women's Tops", "T-shirts"]}


@pytest.fixture
def merchant(world_factory):
    """A world whose TikTok shop is in `region` (more sandbox options in `tiktok`, connector settings in
    `env`), and the merchant signed in to the app."""
    clients = []

    def start(region: str, *, products: int = 30, tiktok: dict | None = None, env: dict | None = None):
        world = world_factory(products=products, tiktok={"shop_regions": [region], **(tiktok or {})}, env=env)
        add_user(world.settings, world.merchant_id, "owner@world.test")
        client = TestClient(create_app(world.settings), base_url="http://127.0.0.1").__enter__()
        clients.append(client)
        sign_in(client, "owner@world.test")
        return world, client

    yield start
    for client in clients:
        client.__exit__(None, None, None)


def import_catalog(world) -> None:
    """The catalog import job, as connecting the store queues it, run until Shopify's export is read."""
    with session_scope(world.engine) as session:
        job_id = enqueue(
            session,
            "catalog.import",
            merchant_id=world.merchant_id,
            payload={"connection_id": world.shopify_connection_id},
        ).id

    def finished() -> bool:
        run_jobs(world)  # the job looks at the export again once its short wait is over
        with session_scope(world.engine) as session:
            return session.get(Job, job_id).state == "succeeded"

    wait_for(finished, what="the catalog import")


def csrf(client) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/dashboard").text).group(1)


def store_prices(world) -> dict[str, Decimal]:
    with session_scope(world.engine) as session:
        return {v.external_id: Decimal(v.price) for v in session.scalars(select(CatalogVariant))}


def tiktok_prices(world, status: str | None = None) -> dict[str, tuple[str, str]]:
    """external SKU id -> (amount, currency) of every SKU the TikTok sandbox holds (of products in `status`)."""
    return {
        sku["external_sku_id"]: (sku["price"]["sale_price"], sku["price"]["currency"])
        for product in world.tiktok_control("GET", "/sandbox/products")["products"]
        if status is None or product["status"] == status
        for sku in product["skus"]
    }


def linked_variant(world) -> tuple[int, str, Decimal]:
    """A product the template links, one of its variants' external id, and that variant's store price."""
    with session_scope(world.engine) as session:
        product_id = session.scalar(
            select(ProductTemplateAssignment.product_id).order_by(ProductTemplateAssignment.product_id).limit(1)
        )
        variant = session.scalars(select(CatalogVariant).where(CatalogVariant.product_id == product_id)).first()
        return product_id, variant.external_id, Decimal(variant.price)


def tiktok_stock(world, external_sku_id: str) -> int:
    return next(
        sum(w["quantity"] for w in sku["inventory"])
        for product in world.tiktok_control("GET", "/sandbox/products")["products"]
        for sku in product["skus"]
        if sku["external_sku_id"] == external_sku_id
    )


def set_rate(client, rate: str):
    return client.post("/settings/currency", data={"rate": rate, "csrf_token": csrf(client)})


def test_a_shop_in_the_store_currency_needs_no_rate(merchant):
    world, client = merchant("US")
    import_catalog(world)
    check_prerequisites(world)
    tee_template(world, sales_warehouse(world))
    assert "both use US dollars" in client.get("/settings").text

    uploaded = client.post("/dashboard/upload", data={"csrf_token": csrf(client)})
    assert "on their way to TikTok" in uploaded.text
    run_jobs(world)
    sent, store = tiktok_prices(world), store_prices(world)
    assert sent
    for external_id, (amount, currency) in sent.items():
        assert (Decimal(amount), currency) == (store[external_id], "USD")  # the store's price, unchanged


def test_a_pound_shop_with_a_dollar_store_waits_for_the_rate_then_gets_converted_prices(merchant):
    world, client = merchant("GB")
    import_catalog(world)
    check_prerequisites(world)
    tee_template(
        world,
        sales_warehouse(world),
        category=V1_TEES,
        price={"rounding": "end_99"},
        listing={"package_weight": {"value": "0.5", "unit": "KILOGRAM"}},
    )

    # Without a rate: refused, with the way to Settings, and nothing reaches TikTok.
    refused = client.post("/dashboard/upload", data={"csrf_token": csrf(client)})
    assert "prices are in US dollars" in refused.text and "sells in British pounds" in refused.text
    assert 'href="/settings#currency"' in refused.text
    assert world.tiktok_control("GET", "/sandbox/products")["products"] == [] and listings(world) == []
    assert "No rate yet" in client.get("/settings").text
    product_id, variant_id, store_price = linked_variant(world)
    assert "labelled as British pounds" in client.get(f"/products/{product_id}").text

    saved = set_rate(client, "0.8")
    assert "Conversion rate saved for " in saved.text
    assert re.search(r"1 USD = 0.8 GBP, set on \d{4}-\d\d-\d\d \d\d:\d\d UTC", saved.text)
    refused_text = set_rate(client, "-1")
    assert "as a number above 0" in refused_text.text

    uploaded = client.post("/dashboard/upload", data={"csrf_token": csrf(client)})
    assert "on their way to TikTok" in uploaded.text
    run_jobs(world)
    sent, store = tiktok_prices(world), store_prices(world)
    assert sent
    for external_id, (amount, currency) in sent.items():
        assert currency == "GBP"
        assert Decimal(amount) == round_price(store[external_id] * Decimal("0.8"), "end_99")

    # The product page shows the converted price.
    page = client.get(f"/products/{product_id}").text
    assert f"<td>{round_price(store_price * Decimal('0.8'), 'end_99')} GBP</td>" in page
    assert "labelled as" not in page

    # TikTok's review passes; the merchant changes the rate: the live products get the new prices.
    world.tiktok_control("POST", "/sandbox/clock/advance", {"seconds": 120})
    request(world, lambda session, merchant_id: service.request_status_sync(session, merchant_id))
    run_jobs(world)
    assert "live" in {row.status for row in listings(world)}
    resent = set_rate(client, "0.9")
    assert re.search(r"New prices are on their way for \d+ products? on TikTok", resent.text)
    run_jobs(world)
    live = tiktok_prices(world, "ACTIVATE")
    assert live
    for external_id, (amount, currency) in live.items():
        assert (Decimal(amount), currency) == (round_price(store[external_id] * Decimal("0.9"), "end_99"), "GBP")
    assert "1 USD = 100 GBP" in set_rate(client, "100").text  # as written, not 1E+2


def test_compare_at_prices_are_converted_too(merchant):
    world, client = merchant("GB")
    import_catalog(world)
    check_prerequisites(world)
    tee_template(
        world,
        sales_warehouse(world),
        category=V1_TEES,
        listing={"package_weight": {"value": "0.5", "unit": "KILOGRAM"}},
    )
    set_rate(client, "0.5")
    client.post("/dashboard/upload", data={"csrf_token": csrf(client)})
    run_jobs(world)
    with session_scope(world.engine) as session:
        compare_at = {
            v.external_id: Decimal(v.compare_at_price)
            for v in session.scalars(select(CatalogVariant))
            if v.compare_at_price
        }
    struck = [
        (sku["external_sku_id"], sku["external_list_prices"][0])
        for product in world.tiktok_control("GET", "/sandbox/products")["products"]
        for sku in product["skus"]
        if sku.get("external_list_prices")
    ]
    assert struck, "some store variants have a compare-at price above the price"
    for external_id, price in struck:
        assert (Decimal(price["amount"]), price["currency"]) == (
            (compare_at[external_id] / 2).quantize(Decimal("0.01")),
            "GBP",
        )


def test_a_shop_listed_before_the_currency_was_known_gets_stock_but_no_price_until_the_rate(merchant):
    world, client = merchant("GB")
    world.import_catalog()  # as stores connected before TokBridge read currencies: the currency is unknown
    check_prerequisites(world)
    tee_template(
        world,
        sales_warehouse(world),
        category=V1_TEES,
        listing={"package_weight": {"value": "0.5", "unit": "KILOGRAM"}},
    )
    client.post("/dashboard/upload", data={"csrf_token": csrf(client)})
    run_jobs(world)
    world.tiktok_control("POST", "/sandbox/clock/advance", {"seconds": 120})
    request(world, lambda session, merchant_id: service.request_status_sync(session, merchant_id))
    run_jobs(world)
    live = next(row for row in listings(world) if row.status == "live")
    with session_scope(world.engine) as session:
        product = session.get(CatalogProduct, live.product_id)
        variant = session.scalars(
            select(CatalogVariant).where(CatalogVariant.product_id == live.product_id).order_by(CatalogVariant.id)
        ).first()
        level = session.scalars(
            select(CatalogInventoryLevel).where(CatalogInventoryLevel.variant_id == variant.id)
        ).first()
    before = tiktok_prices(world)[variant.external_id]
    stock_before = tiktok_stock(world, variant.external_id)

    # The store's price and stock change; the next import also reads the store's currency (US dollars).
    world.shopify_control(
        "PATCH",
        f"/sandbox/shops/{{shop}}/products/{product.external_id.rsplit('/', 1)[-1]}",
        {"variants": [{"id": variant.external_id, "price": "30.00"}]},
    )
    world.shopify_control(
        "PUT",
        "/sandbox/shops/{shop}/inventory",
        {
            "inventory_item_id": variant.inventory_item_external_id,
            "location_id": level.location_external_id,
            "available": level.available + 5,
        },
    )
    import_catalog(world)
    with session_scope(world.engine) as session:
        for reason in ("price", "inventory"):
            enqueue(
                session,
                "listings.sync_product",
                merchant_id=world.merchant_id,
                payload={"product_id": live.product_id, "reason": reason},
            )
    run_jobs(world)
    assert tiktok_stock(world, variant.external_id) == stock_before + 5  # the stock went
    assert tiktok_prices(world)[variant.external_id] == before  # not 30.00 labelled as pounds
    with session_scope(world.engine) as session:
        held = session.scalars(select(Activity).where(Activity.kind == "listings.sync.price_blocked")).first()
    assert held is not None and "Set the conversion rate from USD to GBP in Settings" in held.message

    set_rate(client, "0.8")
    run_jobs(world)
    assert tiktok_prices(world)[variant.external_id] == ("24.00", "GBP")
