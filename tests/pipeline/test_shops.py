"""One catalog, many shops (issue #14, items 1, 3 and 4 for listings): a merchant with a US and a GB
TikTok shop lists the same store product in both, each with its own binding, status, price in the
shop's currency and review reasons; a store change reaches both shops; an action in one shop leaves
the other alone; another merchant's shop is refused through the pages and the JSON API."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import add_user, sign_in
from tests.pipeline.helpers import (
    add_shop,
    attach_template,
    check_prerequisites,
    in_shop,
    request,
    run_jobs,
    sales_warehouse,
    tee_template,
)
from tests.pipeline.test_currency import import_catalog
from tokbridge.catalog.models import CatalogInventoryLevel, CatalogVariant
from tokbridge.category_templates.pricing import round_price
from tokbridge.channels.connections import TIKTOK
from tokbridge.channels.models import ChannelConnection
from tokbridge.db.engine import session_scope
from tokbridge.jobs.service import enqueue
from tokbridge.listings import currency, service
from tokbridge.listings.models import Listing, ListingSku, ListingStatus
from tokbridge.listings.repository import ON_TIKTOK
from tokbridge.tenancy.models import Merchant
from tokbridge.web.app import create_app

V1_TEES = {"id": "601302", "version": "v1", "name_path": ["Womenswear & Underwear", "Women's Tops", "T-shirts"]}
RATE = Decimal("0.8")


@pytest.fixture
def two_shops(world_factory):
    """A merchant with a US shop (the world's) and a GB shop of the same seller, both listing the same
    store; a T-shirt template in each (the GB one in the v1 tree, prices rounded to .99), and the
    merchant signed in."""
    world = world_factory(products=30, tiktok={"shop_regions": ["US", "GB"]})
    us, gb = world.tiktok_connection_id, add_shop(world, "GB")
    import_catalog(world)  # the job, which reads the store's currency too
    check_prerequisites(world)
    check_prerequisites(world, shop=gb)
    us_template = tee_template(world, sales_warehouse(world))
    gb_template = tee_template(
        world,
        sales_warehouse(world, shop=gb),
        name="T-shirts in the UK",
        category=V1_TEES,
        price={"rounding": "end_99"},
        listing={"package_weight": {"value": "0.5", "unit": "KILOGRAM"}},
    )
    products = attach_template(world, us_template, us)
    assert products
    attach_template(world, gb_template, gb, products)
    add_user(world.settings, world.merchant_id, "owner@world.test")
    with TestClient(create_app(world.settings), base_url="http://127.0.0.1") as client:
        sign_in(client, "owner@world.test")
        client.headers["X-CSRF-Token"] = client.get("/api/v1/me").json()["csrf_token"]
        yield world, client, us, gb, products


def shop_listings(world, shop: str) -> dict[int, Listing]:
    with session_scope(world.engine) as session:
        return {row.product_id: row for row in session.scalars(select(Listing).where(Listing.connection_id == shop))}


def on_tiktok(world) -> dict[str, dict]:
    return {p["id"]: p for p in world.tiktok_control("GET", "/sandbox/products")["products"]}


def store_prices(world) -> dict[str, Decimal]:
    with session_scope(world.engine) as session:
        return {v.external_id: Decimal(v.price) for v in session.scalars(select(CatalogVariant))}


def sku_stock(product: dict) -> dict[str, int]:
    return {sku["external_sku_id"]: sum(w["quantity"] for w in sku["inventory"]) for sku in product["skus"]}


def sync_statuses(world, *shops: str) -> None:
    for shop in shops:
        request(world, service.request_status_sync, shop=shop)
    run_jobs(world)


def test_one_product_lives_in_two_shops_independently(two_shops):
    world, client, us, gb, products = two_shops

    # The GB shop sells in pounds: nothing goes there before its rate, the US shop is not held up.
    with pytest.raises(service.ListingRefused, match="British pounds"):
        request(world, service.request_upload, shop=gb)
    in_shop(world, currency.set_rate, str(RATE), shop=gb)
    _job, queued_us = request(world, service.request_upload)
    _job, queued_gb = request(world, service.request_upload, shop=gb)
    assert queued_us == queued_gb == len(products)
    run_jobs(world)

    # One listing per shop for each product, each bound to its own TikTok product, at that shop's prices.
    in_us, in_gb = shop_listings(world, us), shop_listings(world, gb)
    sent_both = sorted(pid for pid in products if in_us[pid].tiktok_product_id and in_gb[pid].tiktok_product_id)
    assert len(sent_both) >= 2, [(in_us[p].last_error, in_gb[p].problems) for p in products]
    tiktok, store = on_tiktok(world), store_prices(world)
    for pid in sent_both:
        assert in_us[pid].tiktok_product_id != in_gb[pid].tiktok_product_id
        for sku in tiktok[in_us[pid].tiktok_product_id]["skus"]:
            price = sku["price"]
            assert (Decimal(price["sale_price"]), price["currency"]) == (store[sku["external_sku_id"]], "USD")
        for sku in tiktok[in_gb[pid].tiktok_product_id]["skus"]:
            price = sku["price"]
            assert (Decimal(price["sale_price"]), price["currency"]) == (
                round_price(store[sku["external_sku_id"]] * RATE, "end_99"),
                "GBP",
            )

    # TikTok approves the first product in the US and refuses it in the UK; the others pass in both.
    target, other = sent_both[0], sent_both[1]
    world.tiktok_control("POST", f"/sandbox/products/{in_us[target].tiktok_product_id}/review", {"outcome": "APPROVED"})
    world.tiktok_control(
        "POST",
        f"/sandbox/products/{in_gb[target].tiktok_product_id}/review",
        {"outcome": "FAILED", "reasons": ["The main image shows a price in dollars."]},
    )
    world.tiktok_control("POST", "/sandbox/clock/advance", {"seconds": 120})
    sync_statuses(world, us, gb)
    in_us, in_gb = shop_listings(world, us), shop_listings(world, gb)
    assert in_us[target].status == ListingStatus.LIVE and in_gb[target].status == ListingStatus.FAILED
    assert in_gb[target].review_reasons and not in_us[target].review_reasons
    assert in_us[other].status == in_gb[other].status == ListingStatus.LIVE

    # Each shop's dashboard counts its own listings; the plan counts the products in both shops.
    us_counts = request(world, service.status_counts)
    gb_counts = request(world, service.status_counts, shop=gb)
    assert us_counts["failed"] == sum(1 for row in in_us.values() if row.status == ListingStatus.FAILED)
    assert gb_counts["failed"] == sum(1 for row in in_gb.values() if row.status == ListingStatus.FAILED) >= 1
    assert in_shop(
        world, lambda session, merchant_id, _shop: service.product_usage(session, merchant_id)
    ).products_used == sum(1 for rows in (in_us, in_gb) for row in rows.values() if row.status in ON_TIKTOK)

    # The product's state in every shop, through the JSON API (the chosen shop named with ?shop=) and its page.
    detail = client.get(f"/api/v1/products/{target}?shop={gb}")
    assert detail.status_code == 200, detail.text
    assert detail.json()["status"] == "failed" and detail.json()["review_reasons"]
    shops = {row["shop"]: row for row in detail.json()["shops"]}
    assert shops[us]["status"] == "live" and shops[gb]["status"] == "failed"
    assert shops[us]["tiktok_product_id"] == in_us[target].tiktok_product_id
    assert shops[gb]["tiktok_product_id"] == in_gb[target].tiktok_product_id
    assert shops[gb]["review_reasons"] and not shops[us]["review_reasons"]
    assert all(price.endswith(" GBP") for price in shops[gb]["prices"]) and shops[gb]["prices"]
    assert all(price.endswith(" USD") for price in shops[us]["prices"]) and shops[us]["prices"]
    assert client.get(f"/api/v1/products/{target}?shop={us}").json()["status"] == "live"
    page = client.get(f"/products/{target}?shop={us}")
    assert page.status_code == 200
    assert page.text.count('data-testid="product-shop-row"') == 2
    assert "The main image shows a price in dollars." in page.text
    assert f"{shops[gb]['prices'][0]}" in page.text and f"{shops[us]['prices'][0]}" in page.text
    listed = client.get(f"/api/v1/products?shop={gb}&status=failed").json()["items"]
    assert target in {item["id"] for item in listed}
    assert target not in {
        item["id"] for item in client.get(f"/api/v1/products?shop={us}&status=failed").json()["items"]
    }

    # A stock change in the store reaches both shops, each through its own sync.
    with session_scope(world.engine) as session:
        variant = session.scalars(
            select(CatalogVariant).where(CatalogVariant.product_id == other).order_by(CatalogVariant.id)
        ).first()
        level = session.scalars(
            select(CatalogInventoryLevel).where(CatalogInventoryLevel.variant_id == variant.id)
        ).first()
        total = sum(
            row.available
            for row in session.scalars(
                select(CatalogInventoryLevel).where(CatalogInventoryLevel.variant_id == variant.id)
            )
        )
        external_id = variant.external_id
    world.shopify_control(
        "PUT",
        "/sandbox/shops/{shop}/inventory",
        {
            "inventory_item_id": variant.inventory_item_external_id,
            "location_id": level.location_external_id,
            "available": level.available + 7,
        },
    )
    world.import_catalog()  # what the inventory webhook or the reconciliation does
    with session_scope(world.engine) as session:  # what the catalog queues: it knows no shop
        enqueue(
            session,
            "listings.sync_product",
            merchant_id=world.merchant_id,
            payload={"product_id": other, "reason": "inventory"},
        )
    run_jobs(world)
    tiktok = on_tiktok(world)
    assert sku_stock(tiktok[in_us[other].tiktok_product_id])[external_id] == total + 7
    assert sku_stock(tiktok[in_gb[other].tiktok_product_id])[external_id] == total + 7
    with session_scope(world.engine) as session:
        pushed = {
            row.listing_id: row.pushed_quantity
            for row in session.scalars(select(ListingSku).where(ListingSku.variant_id == variant.id))
        }
    assert pushed == {in_us[other].id: total + 7, in_gb[other].id: total + 7}

    # Deactivating in the US shop leaves the UK listing live; a UK listing named in the US shop is refused.
    refused = client.post(
        f"/api/v1/listings/actions?shop={us}", json={"action": "deactivate", "listing_ids": [in_gb[other].id]}
    )
    assert refused.status_code == 409 and "this shop" in refused.json()["detail"]
    accepted = client.post(
        f"/api/v1/listings/actions?shop={us}", json={"action": "deactivate", "listing_ids": [in_us[other].id]}
    )
    assert accepted.status_code == 202, accepted.text
    run_jobs(world)
    in_us, in_gb = shop_listings(world, us), shop_listings(world, gb)
    assert in_us[other].status == ListingStatus.INACTIVE and in_gb[other].status == ListingStatus.LIVE
    tiktok = on_tiktok(world)
    assert tiktok[in_us[other].tiktok_product_id]["status"] == "SELLER_DEACTIVATED"
    assert tiktok[in_gb[other].tiktok_product_id]["status"] == "ACTIVATE"

    # Second pass: the failed product is sent to the UK shop again (its own Upload button); the US one
    # stays live and untouched.
    uploaded = client.post(f"/api/v1/uploads?shop={gb}", json={"product_ids": [target]})
    assert uploaded.status_code == 202 and uploaded.json()["queued"] == 1, uploaded.text
    run_jobs(world)
    again_us, again_gb = shop_listings(world, us)[target], shop_listings(world, gb)[target]
    assert again_gb.status == ListingStatus.REVIEWING and again_gb.tiktok_product_id == in_gb[target].tiktok_product_id
    assert again_us.status == ListingStatus.LIVE and again_us.updated_at == in_us[target].updated_at


def test_another_merchants_shop_is_refused_through_pages_and_the_api(two_shops):
    world, client, us, _gb, products = two_shops
    with session_scope(world.engine) as session:
        stranger = Merchant(name="Someone else")
        session.add(stranger)
        session.flush()
        shop = ChannelConnection(
            merchant_id=stranger.id,
            channel=TIKTOK,
            external_id="7000000000000000999",
            name="Their shop",
            region="US",
            data={},
            scopes=[],
        )
        session.add(shop)
        session.flush()
        theirs = shop.id

    for path in (
        f"/api/v1/products?shop={theirs}",
        f"/api/v1/products/{products[0]}?shop={theirs}",
        f"/api/v1/dashboard?shop={theirs}",
        f"/api/v1/settings/sync?shop={theirs}",
    ):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert "not one of your connected shops" in answer.json()["detail"]
    assert client.post(f"/api/v1/uploads?shop={theirs}", json={}).status_code == 404
    assert client.post(f"/api/v1/shop/sync?shop={theirs}").status_code == 404
    for path in (f"/products?shop={theirs}", f"/products/{products[0]}?shop={theirs}"):
        page = client.get(path)
        assert page.status_code == 404 and "Traceback" not in page.text
    # Nothing was queued for either shop.
    with session_scope(world.engine) as session:
        assert not session.scalars(select(Listing)).first()

    # With two shops and none chosen, the product list asks which one; the chosen shop's is served.
    assert client.get("/api/v1/products").status_code == 409
    assert client.get(f"/api/v1/products?shop={us}").status_code == 200
