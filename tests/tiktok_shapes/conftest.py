"""One sandbox for the module, filled so that its answers are full: a product with every optional field
set on create, orders in every state (shipped and delivered with a return, cancelled by the seller,
with a buyer's cancel request, unpaid), and the webhooks all of that sent.

`ShapeWorld.sent` keeps every request the client sent and `answered` the `data` of every successful answer,
both read off the wire (httpx hooks): the tests compare what TikTok's production client really exchanged."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.tiktok_client.builders import default_warehouse, upload
from tests.tiktok_client.conftest import Connected, open_connection
from tokbridge.channels.tiktok import models as m
from tokbridge.channels.tiktok.client import TikTokClient
from tokbridge.channels.tiktok.errors import TikTokError
from tokbridge.channels.tiktok.transport import Endpoint

ON_HOLD_AND_PAYMENT = 3700  # sandbox seconds from a placed order to AWAITING_SHIPMENT
DELIVERY = 2 * 24 * 3600 + 60
SPEAKERS = "Bluetooth Speakers"


@dataclass
class ShapeWorld:
    tiktok: Connected
    sent: list[tuple[str, str, Any]]  # (method, path, JSON body) of every request
    answered: list[tuple[str, str, Any]]  # (method, path, data) of every answer with code 0
    refused: list[tuple[str, str, int]]  # (method, path, code) of every answer with another code
    product_id: str = ""
    sku_ids: list[str] = field(default_factory=list)
    order_ids: dict[str, str] = field(default_factory=dict)  # by what happened to the order
    package_id: str = ""
    return_id: str = ""
    cancel_ids: list[str] = field(default_factory=list)

    def control(self, method: str, path: str, body: Any = None) -> Any:
        return self.tiktok.sandbox_control(method, path, body)

    def bodies_sent(self, endpoint: Endpoint) -> list[Any]:
        return [body for method, path, body in self.sent if endpoint.method == method and matches(endpoint, path)]

    def refusals(self, endpoint: Endpoint) -> list[int]:
        return [code for method, path, code in self.refused if endpoint.method == method and matches(endpoint, path)]

    def answers(self, endpoint: Endpoint) -> list[Any]:
        return [data for method, path, data in self.answered if endpoint.method == method and matches(endpoint, path)]


def matches(endpoint: Endpoint, path: str) -> bool:
    return re.fullmatch(re.sub(r"\{[a-z_]+\}", "[^/]+", endpoint.path), path) is not None


def attribute_value(attribute: m.Attribute) -> m.ProductAttribute:
    """The first built-in value, or a number for a free-form one (a battery's capacity)."""
    value = m.AttributeValueRef(id=attribute.values[0].id) if attribute.values else m.AttributeValueRef(name="2000")
    return m.ProductAttribute(id=attribute.id, values=[value])


def full_product(client, title: str = "Lumen Pocket Bluetooth Speaker", number: int = 1) -> m.ProductInput:
    """A speaker with every optional field of Create Product the sandbox can accept set."""
    category = next(c for c in client.get_categories(category_version="v2", keyword="speaker") if c.is_leaf)
    attributes = client.get_attributes(category.id, category_version="v2")
    rules = client.get_category_rules(category.id, category_version="v2")
    sales = [a for a in attributes if a.type == "SALES_PROPERTY"][:2]
    required = [a for a in attributes if a.type == "PRODUCT_PROPERTY"]
    brand = next(
        b
        for b in client.get_brands(category_id=category.id, category_version="v2").brands
        if b.authorized_status == "AUTHORIZED"
    )
    warehouse = default_warehouse(client)
    image = upload(client)
    certifications = [
        m.Certification(
            id=c["id"],
            images=[m.ImageRef(uri=upload(client))],
            files=[{"id": "v09ea0g40000cj91373c77u3mid3g1s0", "name": "declaration.pdf", "format": "PDF"}],
            expiration_date=1893456000,
        )
        for c in rules.product_certifications
    ]
    skus = []
    for index, (first, second) in enumerate([(a, b) for a in sales[0].values[:2] for b in sales[1].values[:1]]):
        skus.append(
            m.SkuInput(
                seller_sku=f"SPK-{index}",
                external_sku_id=f"store-variant-{index}",
                sales_attributes=[
                    m.SalesAttribute(
                        id=sales[0].id,
                        value_id=first.id,
                        sku_img=m.ImageRef(uri=image),
                        supplementary_sku_images=[m.ImageRef(uri=image)],
                    ),
                    m.SalesAttribute(id=sales[1].id, value_id=second.id),
                ],
                price=m.Price(amount="49.99", currency="USD"),
                inventory=[
                    m.WarehouseStock(warehouse_id=warehouse.id, quantity=300, backorder_quantity=5, handling_time=3)
                ],
                identifier_code=m.IdentifierCode(code=f"0012345678905{index}"[:12], type="UPC"),
                list_price=m.ListPrice(amount="59.99", currency="USD"),
                external_list_prices=[m.ExternalListPrice(amount="59.99", currency="USD")],
                sku_unit_count="1.00",
                external_urls=["https://store.example/products/speaker"],
                extra_identifier_codes=["00012345678912"],
                fees=[{"type": "PFAND", "amount": "0.25", "additional_attribute": "SINGLE_USE"}],
                pre_sale={
                    "type": "PRE_ORDER",
                    "fulfillment_type": {"handling_duration_days": 7, "release_date": 1893456000},
                },
            )
        )
    return m.ProductInput(
        title=title,
        description="<p>A pocket speaker with twelve hours of play.</p>",
        category_id=category.id,
        category_version="v2",
        brand_id=brand.id,
        main_images=[m.ImageRef(uri=image)],
        product_attributes=[attribute_value(a) for a in required],
        package_weight=m.PackageWeight(value="0.6", unit="POUND"),
        package_dimensions=m.PackageDimensions(length="6", width="4", height="3", unit="INCH"),
        certifications=certifications,
        size_chart={"image": {"uri": image}, "template": {"id": "7267563252536723205"}},
        shipping_template_id="7181398425357543210",
        video={"id": "v10b5cg40000cjm3o7bc77u8s1a2b3c4"},
        is_cod_allowed=False,
        external_product_id=f"store-product-{number}",
        skus=skus,
        is_not_for_sale=False,
        minimum_order_quantity=1,
        shipping_insurance_requirement="OPTIONAL",
        is_pre_owned=False,
        manufacturer_ids=["7234567890123456789"],
        responsible_person_ids=["7234567890123456790"],
        idempotency_key=f"0b8f1f3e-3f4c-4a59-9a43-7d2a3c1e5b1{number}",
    )


@pytest.fixture(scope="module")
def world() -> Iterator[ShapeWorld]:
    sent: list[tuple[str, str, Any]] = []
    answered: list[tuple[str, str, Any]] = []
    refused: list[tuple[str, str, int]] = []

    def record(request: httpx.Request) -> None:
        is_json = request.headers.get("content-type", "").startswith("application/json")
        body = json.loads(request.content) if is_json and request.content else None
        sent.append((request.method, request.url.path, body))

    def record_answer(response: httpx.Response) -> None:
        response.read()
        with contextlib.suppress(ValueError):
            envelope = response.json()
            request = response.request
            if isinstance(envelope, dict) and envelope.get("code") == 0:
                answered.append((request.method, request.url.path, envelope.get("data")))
            elif isinstance(envelope, dict) and isinstance(envelope.get("code"), int):
                refused.append((request.method, request.url.path, envelope["code"]))

    with contextlib.ExitStack() as stack:
        hooks = {"request": [record], "response": [record_answer]}
        http = stack.enter_context(httpx.Client(timeout=10, event_hooks=hooks))
        tiktok = open_connection(
            stack, http=http, webhook_url="http://127.0.0.1:9/unreachable", seed=11, shop_regions=["US", "DE"]
        )
        built = ShapeWorld(tiktok, sent, answered, refused)
        client = tiktok.client
        created = client.create_product(full_product(client))
        built.product_id, built.sku_ids = created.product_id, [s.id for s in created.skus]
        built.control("POST", f"/sandbox/products/{created.product_id}/review", {"outcome": "APPROVED"})

        def order(quantity: int = 2) -> str:
            items = [{"sku_id": sku, "quantity": quantity} for sku in built.sku_ids]
            return built.control("POST", "/sandbox/orders", {"items": items})["id"]

        shipped, seller_cancelled, buyer_requested = order(), order(1), order(1)
        built.control("POST", "/sandbox/clock/advance", {"seconds": ON_HOLD_AND_PAYMENT})
        built.order_ids.update(
            shipped=shipped, seller_cancelled=seller_cancelled, buyer_requested=buyer_requested, unpaid=order(1)
        )
        warehouse = default_warehouse(client)
        option = client.get_delivery_options(warehouse.id)[0]
        provider = client.get_shipping_providers(option.id)[0]
        # Two packages: the order is split, its first package carries half of the line items.
        items = [item.id for item in client.get_orders([shipped])[0].line_items]
        built.package_id = (
            client.mark_package_shipped(
                shipped,
                tracking_number="9400111899223197428490",
                shipping_provider_id=provider.id,
                order_line_item_ids=items[: len(items) // 2],
            ).package_id
            or ""
        )
        client.mark_package_shipped(shipped, tracking_number="9400111899223197428499", shipping_provider_id=provider.id)
        client.update_order_shipping_info(
            shipped, tracking_number="9400111899223197428491", shipping_provider_id=provider.id
        )
        client.update_package_shipping_info(
            built.package_id, tracking_number="9400111899223197428492", shipping_provider_id=provider.id
        )
        reasons = "seller_cancel_reason_out_of_stock"
        built.cancel_ids.append(
            client.cancel_order(m.CancelOrderInput(order_id=seller_cancelled, cancel_reason=reasons)).cancel_id
        )
        built.cancel_ids.append(built.control("POST", f"/sandbox/orders/{buyer_requested}/buyer_cancel")["cancel_id"])
        built.control("POST", "/sandbox/clock/advance", {"seconds": DELIVERY})
        built.return_id = built.control("POST", f"/sandbox/orders/{shipped}/return", {})["return_id"]
        exercise_the_rest(built, provider.id)
        yield built


# Served by the sandbox, not called by the client: reached with plain signed HTTP.
SEARCH_PACKAGES = Endpoint("POST", "/fulfillment/202309/packages/search")


def shop_client(tiktok: Connected, region: str) -> TikTokClient:
    """A client for the seller's shop in `region`, on the same grant as the first shop's."""
    grant = tiktok.store.load(tiktok.shop.id)
    assert grant is not None
    shop = next(s for s in tiktok.auth.authorized_shops(grant.access_token) if s.region == region)
    tiktok.store.save(shop.id, grant)
    return TikTokClient(tiktok.transport, shop_id=shop.id, shop_cipher=shop.cipher, tokens=tiktok.tokens)


def exercise_the_rest(built: ShapeWorld, provider_id: str) -> None:
    """Every other call of the client, once, so each endpoint it uses has an answer to compare."""
    client = built.tiktok.client
    speakers = next(c for c in client.get_categories(category_version="v2", keyword="speaker") if c.is_leaf)
    client.recommend_category(m.RecommendCategoryInput(product_title="Pocket bluetooth speaker", category_version="v2"))
    shop_id = built.tiktok.shop.id
    built.control("PUT", f"/sandbox/shops/{shop_id}/prerequisites", {"failing": ["SHOP_TAX"]})
    client.check_listing_prerequisites()
    built.control("PUT", f"/sandbox/shops/{shop_id}/prerequisites", {"failing": []})
    # Create Product's own fields (is_not_for_sale, idempotency_key) are not part of these two calls.
    listing = full_product(client, title="Lumen Pocket Bluetooth Speaker Mini").model_copy(
        update={"idempotency_key": None, "is_not_for_sale": None}
    )
    client.check_product_listing(listing)
    client.check_product_listing(listing.model_copy(update={"certifications": []}))  # fails: FCC is required
    product = client.get_product(built.product_id)
    client.search_products(m.ProductSearch(status="ALL"))
    client.get_category_rules(speakers.id, category_version="v2")
    # A German shop (the UK/EU tree): drinks there carry a bottle deposit fee.
    german = shop_client(built.tiktok, "DE")
    drinks = next(c for c in german.get_categories(category_version="v1", keyword="Sparkling Water") if c.is_leaf)
    german.get_category_rules(drinks.id, category_version="v1")
    # A second product, refused in review, with a shipping template TikTok clears with a warning.
    refused = client.create_product(
        full_product(client, "Lumen Replica Speaker", number=2).model_copy(update={"shipping_template_id": "standard"})
    ).product_id
    built.control("POST", f"/sandbox/products/{refused}/review", {"outcome": "FAILED"})
    client.get_product(refused)
    client.edit_product(built.product_id, listing.model_copy(update={"shipping_template_id": "standard"}))
    client.partial_edit_product(built.product_id, {"title": "Lumen Pocket Bluetooth Speaker II"})
    warehouse = default_warehouse(client)
    stock = [m.WarehouseStock(warehouse_id=warehouse.id, quantity=250)]
    client.update_inventory(built.product_id, [m.InventoryUpdate(id=sku.id, inventory=stock) for sku in product.skus])
    # A warehouse the SKU was not created with: refused per SKU, with the warehouse's own error.
    client.update_inventory(
        built.product_id,
        [
            m.InventoryUpdate(
                id=product.skus[0].id, inventory=[m.WarehouseStock(warehouse_id="7000000000000000009", quantity=1)]
            )
        ],
    )
    client.update_price(
        built.product_id,
        [m.PriceUpdate(id=sku.id, price=m.Price(amount="44.99", currency="USD")) for sku in product.skus],
    )
    orders = list(built.order_ids.values())
    client.search_orders()
    client.get_orders(orders)
    client.get_package(built.package_id)
    built.tiktok.transport.call(
        SEARCH_PACKAGES,
        access_token=built.tiktok.tokens.access_token(client.shop_id),
        shop_id=client.shop_id,
        shop_cipher=client.shop_cipher,
        query={"page_size": 10},
        body={},
    )
    with contextlib.suppress(TikTokError):  # Ship Package is for SEA and LATAM shops: a US shop refuses it
        client.ship_package(built.package_id, tracking_number="1", shipping_provider_id=provider_id)
    client.search_cancellations()
    client.get_reject_reasons(built.cancel_ids[1])
    client.approve_cancellation(built.cancel_ids[1])
    client.search_returns()
    client.get_reject_reasons(built.return_id)
    client.approve_return(built.return_id, decision="APPROVE_RETURN")
    client.search_returns()  # now with the return label and tracking
    client.update_shop_webhook("ORDER_STATUS_CHANGE", "https://hooks.example.com/tiktok")
    client.get_shop_webhooks()
    client.delete_shop_webhook("ORDER_STATUS_CHANGE")
    unknown = "1729000000000000001"  # batch calls answer per-item errors for ids that do not exist
    client.deactivate_products([built.product_id, unknown])
    client.activate_products([built.product_id, unknown])
    client.delete_products([built.product_id, unknown])
    client.recover_products([built.product_id, unknown])
    # Refusals, whose codes the tests hold to the documented ones.
    shipped = built.order_ids["shipped"]
    refusals = [
        lambda: client.get_product(unknown),
        lambda: client.mark_package_shipped(
            shipped, tracking_number="9400111899223197428493", shipping_provider_id=provider_id
        ),
        lambda: client.cancel_order(
            m.CancelOrderInput(order_id=shipped, cancel_reason="seller_cancel_reason_out_of_stock")
        ),
        lambda: client.approve_return(built.return_id, decision="APPROVE_RETURN"),
        lambda: client.approve_cancellation(built.cancel_ids[0]),
        lambda: client.get_category_rules(speakers.id[:-1], category_version="v2"),
    ]
    for refused in refusals:
        with contextlib.suppress(TikTokError):
            refused()
    # Last, as they end the seller's authorization: webhooks 7 and 6.
    built.control("POST", "/sandbox/seller/upcoming_expiration")
    built.control("POST", "/sandbox/seller/deauthorize")
