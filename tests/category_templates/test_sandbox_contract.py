"""Contract: the validator and the TikTok sandbox agree on which products TikTok takes.

The sandbox runs over HTTP and is called through the production `TikTokClient` (signed requests,
real tokens). Category attributes and rules come from the sandbox too, as they would from TikTok.
For every product: the validator finds no blocking problem exactly when Check Product Listing passes.
Only checks the sandbox makes are in the set (the validator is stricter in a few documented places:
SKU codes, repeated characters in titles).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.live_server import serve
from tokbridge.category_templates.bundle import ImageView, OptionView, ProductBundle, VariantView
from tokbridge.category_templates.categories import fetch_category_info
from tokbridge.category_templates.limits import Market
from tokbridge.category_templates.mapper import map_product
from tokbridge.category_templates.problems import blocking
from tokbridge.category_templates.spec import TemplateSpec
from tokbridge.category_templates.validation import validate_product
from tokbridge.channels.tiktok.auth import AuthClient, InMemoryTokenStore, TokenManager
from tokbridge.channels.tiktok.client import TikTokClient
from tokbridge.channels.tiktok.models import ProductInput, TokenGrant
from tokbridge.channels.tiktok.settings import TikTokAppSettings
from tokbridge.channels.tiktok.transport import SignedTransport
from tokbridge_sandboxes.tiktok import SandboxConfig, create_app
from tokbridge_sandboxes.tiktok.images import png_bytes

TSHIRTS, EARPHONES = "9601302", "9824331"


@pytest.fixture(scope="module")
def tiktok() -> Iterator[TikTokClient]:
    # Rate limits are not what this test is about: a high ceiling keeps its ~50 quick calls unthrottled.
    config = SandboxConfig(
        app_key="contract_key", app_secret="contract_secret", shop_regions=["US"], seed=3, rate_limit_per_second=10_000
    )
    app = create_app(config)
    with serve(app) as base_url:
        state = app.state.sandbox.state
        shop = next(iter(state.shops.values()))
        token = state.bootstrap
        settings = TikTokAppSettings(app_key=config.app_key, app_secret=config.app_secret)
        transport = SignedTransport(settings, base_url)
        store = InMemoryTokenStore()
        store.save(
            shop.id,
            TokenGrant(
                access_token=token.access_token,
                access_token_expire_in=token.access_expires,
                refresh_token=token.refresh_token,
                refresh_token_expire_in=token.refresh_expires,
            ),
        )
        tokens = TokenManager(AuthClient(settings, base_url, transport), store, refresh_margin_seconds=0)
        yield TikTokClient(transport, shop_id=shop.id, shop_cipher=shop.cipher, tokens=tokens)
        transport.close()


@pytest.fixture(scope="module")
def world(tiktok: TikTokClient) -> dict[str, Any]:
    warehouses = [w.id for w in tiktok.get_warehouses() if w.type == "SALES_WAREHOUSE" and w.effect_status == "ENABLED"]
    images = [
        tiktok.upload_product_image(png_bytes(800, 800), filename=f"{n}.png", content_type="image/png").uri
        for n in range(10)
    ]
    return {
        "warehouse": warehouses[0],
        "warehouses": warehouses,
        "images": images,
        TSHIRTS: fetch_category_info(tiktok, TSHIRTS, category_version="v2"),
        EARPHONES: fetch_category_info(tiktok, EARPHONES, category_version="v2"),
    }


def mapped_tee(world) -> dict[str, Any]:
    """A real catalog product through a real template: the mapper's output must pass."""
    options = {"Color": "Red", "Size": "X-Large"}
    bundle = ProductBundle(
        id=1,
        external_id="gid://shopify/Product/77",
        title="Organic Cotton Crew T-shirt",
        description_html="<p>Soft organic cotton.</p>",
        vendor="Cotton Lane",
        product_type="T-Shirts",
        tags=("casual",),
        status="active",
        options=(OptionView("Color", 1, ("Red", "Blue")), OptionView("Size", 2, ("X-Large", "M"))),
        variants=tuple(
            VariantView(
                id=n,
                external_id=f"gid://shopify/ProductVariant/{n}",
                title="",
                position=n,
                sku=f"TEE-{n}",
                barcode=None,
                price=__import__("decimal").Decimal("19.99"),
                compare_at_price=None,
                option_values=values,
                weight_grams=__import__("decimal").Decimal("250"),
                inventory_tracked=True,
                levels={"gid://shopify/Location/1": 12},
            )
            for n, values in ((1, options), (2, {"Color": "Blue", "Size": "M"}))
        ),
        images=(ImageView("i1", "https://cdn.example/1.jpg", 1),),
    )
    spec = TemplateSpec.model_validate(
        {
            "name": "Tees",
            "category": {"id": TSHIRTS, "version": "v2"},
            "attributes": [
                {"attribute_id": "100347", "source": "fixed", "value_names": ["Cotton"]},
                {"attribute_id": "100392", "source": "product_field", "product_field": "tags"},
            ],
            "variants": [
                {"option_name": "Color", "attribute_id": "100000"},
                {"option_name": "Size", "attribute_id": "100007", "value_map": {"X-Large": "XL"}},
            ],
            "price": {"adjustment": "percentage", "amount": "10", "rounding": "end_99"},
            "inventory": {"warehouse_map": {"gid://shopify/Location/1": world["warehouse"]}, "reserve_percent": 10},
        }
    )
    body = map_product(
        bundle,
        spec,
        Market("US"),
        image_uris={"https://cdn.example/1.jpg": world["images"][0]},
        category=world[TSHIRTS],
    )
    return body.to_body()


def sku(world, n: int, **fields) -> dict[str, Any]:
    return {
        "seller_sku": f"SKU-{n}",
        "external_sku_id": f"gid://shopify/ProductVariant/{n}",
        "sales_attributes": [{"id": "100000", "value_id": ["1001003", "1001004", "1001005"][n % 3]}],
        "price": {"amount": "19.99", "currency": "USD"},
        "inventory": [{"warehouse_id": world["warehouse"], "quantity": 5}],
        **fields,
    }


def tee(world, **fields) -> dict[str, Any]:
    return {
        "title": "Organic Cotton Crew T-shirt",
        "description": "<p>Soft.</p>",
        "category_id": TSHIRTS,
        "category_version": "v2",
        "main_images": [{"uri": world["images"][0]}],
        "product_attributes": [{"id": "100347", "values": [{"id": "1004001"}]}],
        "package_weight": {"value": "0.5", "unit": "POUND"},
        "skus": [sku(world, 1), sku(world, 2)],
        **fields,
    }


def earphones(world, **fields) -> dict[str, Any]:
    return {
        "title": "Wireless Earbuds",
        "description": "<p>Bluetooth 5.3.</p>",
        "category_id": EARPHONES,
        "category_version": "v2",
        "main_images": [{"uri": world["images"][1]}],
        "product_attributes": [{"id": "102001", "values": [{"id": "1009001"}]}],
        "certifications": [{"id": "602362", "images": [{"uri": world["images"][2]}]}],
        "package_weight": {"value": "1", "unit": "POUND"},
        "package_dimensions": {"length": "6", "width": "4", "height": "2", "unit": "INCH"},
        "skus": [sku(world, 1, sales_attributes=None)],
        **fields,
    }


def cases(w) -> dict[str, dict[str, Any]]:
    all_images = [{"uri": uri} for uri in w["images"]]
    one = [sku(w, 1, sales_attributes=None)]
    return {
        # accepted
        "mapped product": mapped_tee(w),
        "hand-made tee": tee(w),
        "earphones with everything the category needs": earphones(w),
        "single SKU without sales attributes": tee(w, skus=one),
        "title of exactly 255": tee(w, title="T" + "-shirt" * 42 + "ab"),
        "nine images": tee(w, main_images=all_images[:9]),
        "price at the ceiling, sold out": tee(
            w,
            skus=[
                sku(
                    w,
                    1,
                    price={"amount": "7600", "currency": "USD"},
                    inventory=[{"warehouse_id": w["warehouse"], "quantity": 0}],
                )
            ],
        ),
        "custom sales attribute": tee(
            w,
            skus=[
                sku(w, n, sales_attributes=[{"name": "Fit", "value_name": v}]) for n, v in ((1, "Slim"), (2, "Loose"))
            ],
        ),
        "multi-value attribute": tee(
            w, product_attributes=[{"id": "100347", "values": [{"id": "1004001"}, {"id": "1004002"}]}]
        ),
        # refused
        "title too long": tee(w, title="T" * 256),
        "blank title": tee(w, title=" "),
        "HTML entity in title": tee(w, title="Crew&nbsp;Tee"),
        "emoji in title": tee(w, title="Crew Tee 👕"),
        "title of symbols": tee(w, title="*** ///"),
        "no description": tee(w, description=""),
        "description too long": tee(w, description="x" * 10_001),
        "v1 category in a US shop": tee(w, category_version="v1", category_id="601302"),
        "no image": tee(w, main_images=[]),
        "ten images": tee(w, main_images=all_images),
        "required attribute missing": tee(w, product_attributes=[]),
        "attribute not in category": tee(
            w,
            product_attributes=[
                {"id": "100347", "values": [{"id": "1004001"}]},
                {"id": "101395", "values": [{"id": "1006001"}]},
            ],
        ),
        "unknown attribute value": tee(w, product_attributes=[{"id": "100347", "values": [{"id": "999"}]}]),
        "two values for a single-value attribute": tee(
            w,
            product_attributes=[
                {"id": "100347", "values": [{"id": "1004001"}]},
                {"id": "100392", "values": [{"id": "1005001"}, {"id": "1005002"}]},
            ],
        ),
        "custom value for a fixed-list attribute": earphones(
            w, product_attributes=[{"id": "102001", "values": [{"name": "AA"}]}]
        ),
        "certification missing": earphones(w, certifications=None),
        "dimensions missing": earphones(w, package_dimensions=None),
        "zero weight": tee(w, package_weight={"value": "0", "unit": "POUND"}),
        "grams in the US": tee(w, package_weight={"value": "500", "unit": "GRAM"}),
        "fractional dimensions": tee(
            w, package_dimensions={"length": "6.5", "width": "4", "height": "2", "unit": "INCH"}
        ),
        "inches with kilograms": tee(
            w,
            package_weight={"value": "1", "unit": "KILOGRAM"},
            package_dimensions={"length": "6", "width": "4", "height": "2", "unit": "INCH"},
        ),
        "no SKUs": tee(w, skus=[]),
        "SKU code with a space": tee(w, skus=[sku(w, 1, seller_sku="SKU 1")]),
        "SKU code too long": tee(w, skus=[sku(w, 1, seller_sku="S" * 51)]),
        "duplicate SKU codes": tee(w, skus=[sku(w, 1), sku(w, 2, seller_sku="SKU-1")]),
        "zero price": tee(w, skus=[sku(w, 1, price={"amount": "0", "currency": "USD"})]),
        "price above the ceiling": tee(w, skus=[sku(w, 1, price={"amount": "7600.01", "currency": "USD"})]),
        "wrong currency": tee(w, skus=[sku(w, 1, price={"amount": "10", "currency": "EUR"})]),
        "no warehouse": tee(w, skus=[sku(w, 1, inventory=[])]),
        "unknown warehouse": tee(w, skus=[sku(w, 1, inventory=[{"warehouse_id": "123", "quantity": 1}])]),
        "quantity above the ceiling": tee(
            w, skus=[sku(w, 1, inventory=[{"warehouse_id": w["warehouse"], "quantity": 100_000}])]
        ),
        "four sales attributes": tee(
            w, skus=[sku(w, 1, sales_attributes=[{"name": n, "value_name": "x"} for n in "ABCD"])]
        ),
        "variants with different options": tee(
            w, skus=[sku(w, 1), sku(w, 2, sales_attributes=[{"name": "Fit", "value_name": "Slim"}])]
        ),
        "two identical variants": tee(w, skus=[sku(w, 1), sku(w, 4)]),
        "sales attribute of another category": tee(
            w, skus=[sku(w, 1, sales_attributes=[{"id": "100089", "value_id": "1003001"}])]
        ),
        "unknown sales attribute value": tee(
            w, skus=[sku(w, 1, sales_attributes=[{"id": "100000", "value_id": "42"}])]
        ),
    }


def test_validator_and_sandbox_agree(tiktok, world):
    disagreements = []
    accepted = 0
    for name, body in cases(world).items():
        product = ProductInput.model_validate(body)
        category = world.get(product.category_id)
        ours = blocking(validate_product(product, Market("US"), category=category, warehouse_ids=world["warehouses"]))
        theirs = tiktok.check_product_listing(product)
        accepted += theirs.passed
        if (not ours) != theirs.passed:
            disagreements.append((name, [p.code for p in ours], [r.message for r in theirs.fail_reasons]))
    assert disagreements == []
    assert 5 < accepted < len(cases(world)) - 20  # both sides of the contract are exercised


def test_a_mapped_and_validated_product_is_created(tiktok, world):
    body = ProductInput.model_validate({**mapped_tee(world), "idempotency_key": "contract-create-1"})
    assert (
        blocking(validate_product(body, Market("US"), category=world[TSHIRTS], warehouse_ids=world["warehouses"])) == []
    )
    created = tiktok.create_product(body)
    product = tiktok.get_product(created.product_id)
    assert product.external_product_id == "gid://shopify/Product/77"
    assert sorted(s.seller_sku for s in product.skus) == ["TEE-1", "TEE-2"]
