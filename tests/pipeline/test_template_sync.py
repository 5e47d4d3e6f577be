"""A template edit reaches the products already on TikTok: their sync is queued, Recent Activity says
what changed, and the product page tells what TikTok has from what the next sync sends."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from tests.pipeline.helpers import run_jobs, upload_and_review
from tests.pipeline.template_form import edit_in_browser
from tests.pipeline.test_api import api  # noqa: F401  (fixture)
from tokbridge.activity.models import Activity
from tokbridge.catalog.models import CatalogVariant
from tokbridge.db.engine import session_scope
from tokbridge.jobs.models import Job, JobState
from tokbridge.listings.models import Listing, ListingSku, ListingStatus


def tiktok_prices(world) -> dict[str, Decimal]:
    """TikTok SKU id -> the price the sandbox holds, for every product on TikTok."""
    return {
        sku["id"]: Decimal(sku["price"]["sale_price"])
        for product in world.tiktok_control("GET", "/sandbox/products")["products"]
        for sku in product["skus"]
    }


def on_tiktok(world) -> dict[str, Decimal]:
    """TikTok SKU id -> store price, for the SKUs of live products."""
    with session_scope(world.engine) as session:
        rows = session.execute(
            select(ListingSku.tiktok_sku_id, CatalogVariant.price)
            .join(Listing, Listing.id == ListingSku.listing_id)
            .join(CatalogVariant, CatalogVariant.id == ListingSku.variant_id)
            .where(Listing.status == ListingStatus.LIVE)
        ).all()
    return {sku_id: Decimal(price) for sku_id, price in rows}


def marked_up(prices: dict[str, Decimal], percent: int) -> dict[str, Decimal]:
    return {
        sku_id: (price * (100 + percent) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        for sku_id, price in prices.items()
    }


def edit_activities(world) -> list[Activity]:
    with session_scope(world.engine) as session:
        return list(session.scalars(select(Activity).where(Activity.kind == "templates.edited").order_by(Activity.id)))


def test_a_price_rule_edit_reaches_the_products_on_tiktok(api):  # noqa: F811
    world, client = api
    upload_and_review(world)
    store_prices = on_tiktok(world)
    assert store_prices, "some products are live"
    assert {k: v for k, v in tiktok_prices(world).items() if k in store_prices} == store_prices
    template_id = client.get("/api/v1/templates").json()[0]["id"]
    live_products = len({row.product_id for row in _live(world)})

    # Through the JSON API.
    spec = client.get(f"/api/v1/templates/{template_id}").json()
    spec.pop("id")
    spec["price"] = {**spec["price"], "adjustment": "percentage", "direction": "up", "amount": "10"}
    assert client.put(f"/api/v1/templates/{template_id}", json=spec).status_code == 200
    [edited] = edit_activities(world)
    assert edited.title == (
        f"Template “T-shirts” edited: price rule same as the store → +10 %; "
        f"{live_products} products on TikTok queued for sync"
    )
    # Templates belong to a shop: Recent Activity names it, and each sync job works in it.
    assert edited.connection_id == world.tiktok_connection_id
    with session_scope(world.engine) as session:
        queued = session.scalars(
            select(Job).where(Job.kind == "listings.sync_product", Job.state == JobState.QUEUED)
        ).all()
    assert len(queued) == live_products
    assert {job.payload["connection_id"] for job in queued} == {world.tiktok_connection_id}
    product_page = client.get(f"/products/{_live(world)[0].product_id}").text
    assert "exactly" not in product_page and "What TokBridge will send at the next sync" in product_page
    run_jobs(world)
    prices = tiktok_prices(world)
    assert {k: prices[k] for k in store_prices} == marked_up(store_prices, 10)
    assert "TikTok has these prices and stock" in client.get(f"/products/{_live(world)[0].product_id}").text

    # Through the browser form, twice.
    previous = 10
    for percent in (20, 25):
        saved = edit_in_browser(client, template_id, price_amount=str(percent))
        assert saved.url.path == "/templates", saved.text
        latest = edit_activities(world)[-1]
        assert latest.title.startswith(f"Template “T-shirts” edited: price rule +{previous} % → +{percent} %")
        previous = percent
        run_jobs(world)
        prices = tiktok_prices(world)
        assert {k: prices[k] for k in store_prices} == marked_up(store_prices, percent)

    # Saving without a change queues nothing and says nothing.
    before = len(edit_activities(world))
    assert edit_in_browser(client, template_id).url.path == "/templates"
    assert len(edit_activities(world)) == before


def _live(world) -> list[Listing]:
    with session_scope(world.engine) as session:
        return list(session.scalars(select(Listing).where(Listing.status == ListingStatus.LIVE).order_by(Listing.id)))


def test_a_priority_edit_that_moves_products_on_tiktok_sends_their_new_template(api):  # noqa: F811
    world, client = api
    upload_and_review(world)
    store_prices = on_tiktok(world)
    live_products = len({row.product_id for row in _live(world)})
    spec = client.get(f"/api/v1/templates/{client.get('/api/v1/templates').json()[0]['id']}").json()
    spec.pop("id")
    spec.update(name="Tees plus 30", priority=500, price={"adjustment": "percentage", "amount": "30"})
    created = client.post("/api/v1/templates", json=spec)
    assert created.status_code == 201, created.text
    run_jobs(world)
    assert {k: v for k, v in tiktok_prices(world).items() if k in store_prices} == store_prices  # it took none

    # Its priority now beats the first template's: the live products move to it, and TikTok follows.
    spec["priority"] = 1
    assert client.put(f"/api/v1/templates/{created.json()['id']}", json=spec).status_code == 200
    [edited] = edit_activities(world)
    assert edited.title == (
        f"Template “Tees plus 30” edited: priority 500 → 1; {live_products} products on TikTok queued for sync"
    )
    assert edited.message.startswith(f"{live_products} of them changed template with this edit.")
    run_jobs(world)
    prices = tiktok_prices(world)
    assert {k: prices[k] for k in store_prices} == marked_up(store_prices, 30)


def test_a_new_template_that_takes_products_on_tiktok_and_its_deletion_reach_tiktok(api):  # noqa: F811
    world, client = api
    upload_and_review(world)
    store_prices = on_tiktok(world)
    live_products = len({row.product_id for row in _live(world)})
    spec = client.get(f"/api/v1/templates/{client.get('/api/v1/templates').json()[0]['id']}").json()
    spec.pop("id")
    spec.update(name="Tees plus 30", priority=1, price={"adjustment": "percentage", "amount": "30"})
    created = client.post("/api/v1/templates", json=spec)
    assert created.status_code == 201, created.text
    [made] = [a for a in _activities(world) if a.kind == "templates.created"]
    assert made.title == f"Template “Tees plus 30” created; {live_products} products on TikTok queued for sync"
    run_jobs(world)
    prices = tiktok_prices(world)
    assert {k: prices[k] for k in store_prices} == marked_up(store_prices, 30)

    # Deleted: the products go back to the first template, and to its prices.
    assert client.delete(f"/api/v1/templates/{created.json()['id']}").status_code == 204
    [deleted] = [a for a in _activities(world) if a.kind == "templates.deleted"]
    assert deleted.title == f"Template “Tees plus 30” deleted; {live_products} products on TikTok queued for sync"
    run_jobs(world)
    prices = tiktok_prices(world)
    assert {k: prices[k] for k in store_prices} == store_prices


def _activities(world) -> list[Activity]:
    with session_scope(world.engine) as session:
        return list(session.scalars(select(Activity).order_by(Activity.id)))


def test_the_warehouse_mapping_in_settings_reaches_the_products_on_tiktok(api):  # noqa: F811
    from tests.pipeline.helpers import sales_warehouse
    from tokbridge.catalog.models import CatalogInventoryLevel

    world, client = api
    upload_and_review(world)
    live_products = len({row.product_id for row in _live(world)})
    with session_scope(world.engine) as session:
        locations = sorted(set(session.scalars(select(CatalogInventoryLevel.location_external_id))))
    saved = client.post("/settings/warehouses", data={f"location:{locations[0]}": sales_warehouse(world)})
    assert "Warehouse mapping saved" in saved.text
    [edited] = edit_activities(world)
    assert edited.title == (
        f"Template “T-shirts” edited: warehouses changed; {live_products} products on TikTok queued for sync"
    )
    run_jobs(world)
    assert "TikTok has these prices and stock" in client.get(f"/products/{_live(world)[0].product_id}").text


def test_a_product_tiktok_rejected_is_not_promised_a_sync(api):  # noqa: F811
    from tests.pipeline.helpers import check_prerequisites, request, sales_warehouse, tee_template
    from tokbridge.listings import service

    world, client = api
    world.import_catalog()
    check_prerequisites(world)
    template_id = tee_template(world, sales_warehouse(world))
    request(world, service.request_upload)
    run_jobs(world)
    with session_scope(world.engine) as session:
        sent = session.scalars(select(Listing).where(Listing.tiktok_product_id.is_not(None))).first()
    world.tiktok_control("POST", f"/sandbox/products/{sent.tiktok_product_id}/review", {"outcome": "FAILED"})
    request(world, service.request_status_sync)
    run_jobs(world)
    spec = client.get(f"/api/v1/templates/{template_id}").json()
    spec.pop("id")
    spec["price"] = {"adjustment": "percentage", "amount": "10"}
    assert client.put(f"/api/v1/templates/{template_id}", json=spec).status_code == 200
    page = client.get(f"/products/{sent.product_id}").text
    assert 'data-testid="product-status">Failed' in page
    assert "next sync" not in page and "the upload sends exactly this" in page
