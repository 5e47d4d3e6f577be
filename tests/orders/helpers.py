"""Steps the order tests share: live products on TikTok, orders placed by the sandbox's buyers, jobs."""

from __future__ import annotations

import dataclasses

import httpx
from sqlalchemy import select

from tests.pipeline.helpers import (
    check_prerequisites,
    request,
    run_jobs,
    run_until_finished,
    sales_warehouse,
    tee_template,
    upgrade,
)
from tests.support.world import SHOP
from tokbridge.catalog.models import CatalogProduct, CatalogVariant
from tokbridge.channels.shopify.plugin import PLUGIN as SHOPIFY_PLUGIN
from tokbridge.db.engine import session_scope
from tokbridge.jobs.service import enqueue
from tokbridge.listings import service as listings
from tokbridge.orders import service
from tokbridge.orders.models import Order, OrderLine, Shipment
from tokbridge.tenancy.scoping import bind_merchant

__all__ = ["run_jobs", "upgrade"]

KEEPS_ORDERS = "keeps-orders"


class StoreWithoutOrders:
    """The Shopify plugin, declared unable to take outside orders: a real adapter over the sandbox's HTTP,
    only its declaration differs (the `store_without_orders` fixture registers it)."""

    kind = KEEPS_ORDERS
    display_name = "Store without orders"
    capabilities = dataclasses.replace(SHOPIFY_PLUGIN.capabilities, creates_orders=False)
    events = None

    def __getattr__(self, name):
        return getattr(SHOPIFY_PLUGIN, name)


def keeping_orders(world):
    """The world's store connection served by the plugin that takes no outside orders."""
    from tokbridge.channels.models import ChannelConnection

    with session_scope(world.engine) as session:
        session.get(ChannelConnection, world.shopify_connection_id).channel = KEEPS_ORDERS
    return world


def store_available(world, order_id: int, sku_id: str | None = None) -> int:
    """What the store has available of the order's first item (or the item of its line for TikTok SKU
    `sku_id`), read from the sandbox."""
    with session_scope(world.engine) as session:
        lines = select(OrderLine).where(OrderLine.order_id == order_id)
        if sku_id is not None:
            lines = lines.where(OrderLine.tiktok_sku_id == sku_id)
        line = session.scalars(lines.order_by(OrderLine.id)).first()
        variant = session.get(CatalogVariant, line.variant_id)
        product = session.get(CatalogProduct, variant.product_id)
        item, product_id = variant.inventory_item_external_id, product.external_id.rsplit("/", 1)[-1]
    state = ok(http(world.shopify_url).get(f"/sandbox/shops/{SHOP}/products/{product_id}"))
    return sum(
        level["available"] for level in state["stock"] if str(level["inventory_item_id"]) == item.rsplit("/", 1)[-1]
    )


PRODUCT_TYPES = [
    "T-Shirts",
    "Hoodies",
    "Sneakers",
    "Pet Supplies",
    "Kitchen",
    "Stationery",
    "Home Decor",
    "Jewelry",
    "Skincare",
    "Phone Accessories",
]


def live_world(world_factory, products: int = 30, template: dict | None = None, **options):
    """Both sandboxes, the catalog uploaded and approved: SKUs on sale on TikTok, linked to store variants.
    About a third of the store's products end up live (the rest fail TikTok's review or validation).
    `template`: changes to the T-shirt template (another region's category tree, say)."""
    world = world_factory(products=products, **options)
    upgrade(world)
    world.import_catalog()
    check_prerequisites(world)
    tee_template(
        world,
        sales_warehouse(world),
        selection={
            "match": "any",
            "rules": [{"field": "product_type", "operator": "equals", "value": name} for name in PRODUCT_TYPES],
        },
        **(template or {}),
    )
    request(world, listings.request_upload)
    run_until_finished(world, "listings.upload", timeout=600)
    advance(world, 120)  # TikTok's review
    request(world, listings.request_status_sync)
    run_until_finished(world, "listings.sync_shop", timeout=600)
    return world


def live_skus(world) -> list[dict]:
    """[{sku_id, seller_sku, stock}] of every live TikTok SKU with stock."""
    found = []
    for product in world.tiktok_control("GET", "/sandbox/products")["products"]:
        if product["status"] != "ACTIVATE":
            continue
        for sku in product["skus"]:
            stock = sum(w["quantity"] for w in sku["inventory"])
            if stock > 0:
                found.append(
                    {
                        "sku_id": sku["id"],
                        "seller_sku": sku.get("seller_sku"),
                        "stock": stock,
                        "product_id": product["id"],
                    }
                )
    return found


_clients: dict[str, httpx.Client] = {}


def http(base_url: str) -> httpx.Client:
    """One keep-alive client per sandbox: tests poll them often."""
    if base_url not in _clients:
        _clients[base_url] = httpx.Client(base_url=base_url, timeout=300)
    return _clients[base_url]


def ok(answer: httpx.Response):
    assert answer.status_code < 400, answer.text
    return answer.json() if answer.content else None


def place(world, items: list[dict], **flags) -> dict:
    return ok(http(world.tiktok_url).post("/sandbox/orders", json={"shop_id": world.shop_id, "items": items, **flags}))


def advance(world, seconds: float) -> dict:
    """Move TikTok's clock; the notifications that fall due are delivered before it answers."""
    return ok(http(world.tiktok_url).post("/sandbox/clock/advance", json={"seconds": seconds}))


def poll(world) -> None:
    """What the periodic fallback does, right now."""
    with session_scope(world.engine) as session:
        bind_merchant(session, world.merchant_id)
        enqueue(
            session,
            service.POLL_JOB,
            merchant_id=world.merchant_id,
            payload={"connection_id": world.tiktok_connection_id},
        )
    run_jobs(world)


def orders(world) -> list[Order]:
    with session_scope(world.engine) as session:
        return list(session.scalars(select(Order).order_by(Order.id)))


def order_lines(world, order_id: int) -> list[OrderLine]:
    with session_scope(world.engine) as session:
        return list(session.scalars(select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.id)))


def shipments(world) -> list[Shipment]:
    with session_scope(world.engine) as session:
        return list(session.scalars(select(Shipment).order_by(Shipment.id)))


def store_orders(world) -> list[dict]:
    return ok(http(world.shopify_url).get(f"/sandbox/shops/{SHOP}/orders"))["orders"]


def tiktok_orders(world) -> dict[str, dict]:
    return {o["id"]: o for o in ok(http(world.tiktok_url).get("/sandbox/orders"))["orders"]}


def as_merchant(world, call, *args, **kwargs):
    with session_scope(world.engine) as session:
        bind_merchant(session, world.merchant_id)
        return call(session, *args, **kwargs)
