"""Continuous sync, read back from the TikTok sandbox: each switch (price, inventory, product information)
on and off decides what reaches TikTok, and product information adds and removes SKUs through Edit Product."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from tests.pipeline.helpers import listings, run_jobs, upload_and_review
from tokbridge.activity.models import Activity
from tokbridge.catalog.models import CatalogInventoryLevel, CatalogProduct, CatalogVariant
from tokbridge.db.engine import session_scope
from tokbridge.jobs.service import enqueue
from tokbridge.listings.models import Listing, ListingSku, ListingStatus
from tokbridge.listings.repository import ListingRepository
from tokbridge.tenancy.scoping import bind_merchant


def set_switches(world, *, info: bool, price: bool, inventory: bool) -> None:
    """What Settings (or PUT /api/v1/settings/sync) stores."""
    with session_scope(world.engine) as session:
        bind_merchant(session, world.merchant_id)
        switches = ListingRepository(session).sync_settings(world.merchant_id, world.tiktok_connection_id)
        switches.sync_product_info, switches.sync_price, switches.sync_inventory = info, price, inventory


def sync(world, product_id: int) -> None:
    """What a store webhook queues for the product."""
    with session_scope(world.engine) as session:
        enqueue(
            session,
            "listings.sync_product",
            merchant_id=world.merchant_id,
            payload={"product_id": product_id, "reason": "store change"},
        )
    run_jobs(world)


def on_tiktok(world, tiktok_product_id: str) -> dict:
    return next(p for p in world.tiktok_control("GET", "/sandbox/products")["products"] if p["id"] == tiktok_product_id)


def approve_edit(world, row: Listing) -> None:
    """TikTok's review passes the edited product, and its webhook makes TokBridge read it."""
    world.tiktok_control("POST", f"/sandbox/products/{row.tiktok_product_id}/review", {"outcome": "APPROVED"})
    with session_scope(world.engine) as session:
        enqueue(
            session,
            "listings.refresh_status",
            merchant_id=world.merchant_id,
            payload={"connection_id": world.tiktok_connection_id, "tiktok_product_ids": [row.tiktok_product_id]},
        )
    run_jobs(world)


def sku_rows(world, listing_id: int) -> dict[int, ListingSku]:
    with session_scope(world.engine) as session:
        rows = session.scalars(select(ListingSku).where(ListingSku.listing_id == listing_id))
        return {row.variant_id: row for row in rows}


def store_variants(world, product_id: int) -> list[CatalogVariant]:
    with session_scope(world.engine) as session:
        return list(
            session.scalars(
                select(CatalogVariant).where(CatalogVariant.product_id == product_id).order_by(CatalogVariant.position)
            )
        )


def sync_activities(world) -> int:
    with session_scope(world.engine) as session:
        return len(session.scalars(select(Activity).where(Activity.kind == "listings.sync")).all())


def numeric(gid: str) -> str:
    return gid.rsplit("/", 1)[-1]


def live_listing(world, min_variants: int = 1) -> Listing:
    return next(
        row
        for row in listings(world)
        if row.status == ListingStatus.LIVE and len(store_variants(world, row.product_id)) >= min_variants
    )


def test_each_switch_decides_what_reaches_tiktok(world_factory):
    world = world_factory(products=40)
    upload_and_review(world)
    row = live_listing(world)
    variant = store_variants(world, row.product_id)[0]
    sku = sku_rows(world, row.id)[variant.id]
    with session_scope(world.engine) as session:
        product = session.get(CatalogProduct, row.product_id)
        level = session.scalars(
            select(CatalogInventoryLevel).where(CatalogInventoryLevel.variant_id == variant.id)
        ).first()
    before = on_tiktok(world, row.tiktok_product_id)
    tiktok_sku = next(s for s in before["skus"] if s["id"] == sku.tiktok_sku_id)
    old_price = Decimal(tiktok_sku["price"]["sale_price"])
    old_stock = sum(w["quantity"] for w in tiktok_sku["inventory"])

    # The merchant changes title, price and stock in the store, with every switch off: nothing reaches TikTok.
    set_switches(world, info=False, price=False, inventory=False)
    new_price = Decimal(variant.price) + Decimal("3.00")
    world.shopify_control(
        "PATCH",
        f"/sandbox/shops/{{shop}}/products/{numeric(product.external_id)}",
        {"title": "Heavyweight cotton tee", "variants": [{"id": variant.external_id, "price": str(new_price)}]},
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
    world.import_catalog()
    sync(world, row.product_id)
    after = on_tiktok(world, row.tiktok_product_id)
    tiktok_sku = next(s for s in after["skus"] if s["id"] == sku.tiktok_sku_id)
    assert after["title"] == before["title"] and after["audit"]["status"] == before["audit"]["status"]
    assert Decimal(tiktok_sku["price"]["sale_price"]) == old_price
    assert sum(w["quantity"] for w in tiktok_sku["inventory"]) == old_stock
    assert sync_activities(world) == 0

    # Price on: only the price goes.
    set_switches(world, info=False, price=True, inventory=False)
    sync(world, row.product_id)
    after = on_tiktok(world, row.tiktok_product_id)
    tiktok_sku = next(s for s in after["skus"] if s["id"] == sku.tiktok_sku_id)
    assert Decimal(tiktok_sku["price"]["sale_price"]) != old_price
    assert Decimal(tiktok_sku["price"]["sale_price"]) == Decimal(sku_rows(world, row.id)[variant.id].pushed_price)
    assert sum(w["quantity"] for w in tiktok_sku["inventory"]) == old_stock and after["title"] == before["title"]

    # Inventory on as well: the stock goes.
    set_switches(world, info=False, price=True, inventory=True)
    sync(world, row.product_id)
    after = on_tiktok(world, row.tiktok_product_id)
    tiktok_sku = next(s for s in after["skus"] if s["id"] == sku.tiktok_sku_id)
    assert sum(w["quantity"] for w in tiktok_sku["inventory"]) == old_stock + 5
    assert after["title"] == before["title"] and after["audit"]["status"] == before["audit"]["status"]

    # Product information on: the title goes (TikTok reviews the edit and then shows it).
    set_switches(world, info=True, price=True, inventory=True)
    sync(world, row.product_id)
    assert on_tiktok(world, row.tiktok_product_id)["audit"]["status"] == "AUDITING"
    approve_edit(world, row)
    assert on_tiktok(world, row.tiktok_product_id)["title"] == "Heavyweight cotton tee"

    # Nothing changed since: a second sync sends nothing.
    sent = sync_activities(world)
    sync(world, row.product_id)
    assert sync_activities(world) == sent


def test_product_information_adds_and_removes_skus_through_edit_product(world_factory):
    world = world_factory(products=40)
    upload_and_review(world)
    row = live_listing(world, min_variants=3)
    kept, removed, *_ = store_variants(world, row.product_id)
    bound = sku_rows(world, row.id)
    kept_sku_id = bound[kept.id].tiktok_sku_id
    kept_before = next(s for s in on_tiktok(world, row.tiktok_product_id)["skus"] if s["id"] == kept_sku_id)
    kept_price = Decimal(kept_before["price"]["sale_price"])
    # The store drops one variant and gains one (what the import writes after products/update), and the
    # kept variant's price changes while the price switch is off.
    now = datetime.now(UTC)
    with session_scope(world.engine) as session:
        session.delete(session.get(CatalogVariant, removed.id))
        template = session.get(CatalogVariant, kept.id)
        template.price = str(Decimal(template.price) + Decimal("4.00"))
        options = {name: f"{value} XL" for name, value in template.option_values.items()}
        added = CatalogVariant(
            merchant_id=world.merchant_id,
            product_id=row.product_id,
            channel=template.channel,
            external_id="gid://shopify/ProductVariant/990000001",
            title="New size",
            position=99,
            sku="NEW-SIZE-001",
            barcode=None,
            price="25.00",
            compare_at_price=None,
            option_values=options,
            weight_grams=template.weight_grams,
            inventory_item_external_id="gid://shopify/InventoryItem/990000001",
            inventory_tracked=True,
            synced_at=now,
        )
        session.add(added)
        session.flush()
        location = session.scalars(
            select(CatalogInventoryLevel.location_external_id).where(CatalogInventoryLevel.variant_id == kept.id)
        ).first()
        session.add(
            CatalogInventoryLevel(
                merchant_id=world.merchant_id,
                variant_id=added.id,
                location_external_id=location,
                available=12,
                synced_at=now,
            )
        )
        added_id = added.id
    set_switches(world, info=True, price=False, inventory=True)
    sync(world, row.product_id)
    assert next(r for r in listings(world) if r.id == row.id).status == ListingStatus.REVIEWING
    approve_edit(world, row)

    product = on_tiktok(world, row.tiktok_product_id)
    assert product["id"] == row.tiktok_product_id
    by_seller_sku = {s["seller_sku"]: s for s in product["skus"]}
    assert "NEW-SIZE-001" in by_seller_sku, "the new store variant is a new TikTok SKU"
    assert bound[removed.id].tiktok_sku_id not in {s["id"] for s in product["skus"]}, "the removed one is gone"
    kept_on_tiktok = next(s for s in product["skus"] if s["id"] == kept_sku_id)  # kept under its id
    assert Decimal(kept_on_tiktok["price"]["sale_price"]) == kept_price, "price switch off: price left alone"
    rows = sku_rows(world, row.id)
    assert {r.tiktok_sku_id for r in rows.values()} == {s["id"] for s in product["skus"]}
    assert rows[added_id].tiktok_sku_id == by_seller_sku["NEW-SIZE-001"]["id"]
    assert next(r for r in listings(world) if r.id == row.id).status == ListingStatus.LIVE

    # Second pass: nothing changed since, nothing is sent.
    sent = sync_activities(world)
    sync(world, row.product_id)
    assert sync_activities(world) == sent
