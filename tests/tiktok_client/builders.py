"""Product bodies for contract tests, built only from what the client reads off the API."""

from __future__ import annotations

from typing import Any

from tokbridge.channels.tiktok import models as m
from tokbridge.channels.tiktok.client import TikTokClient
from tokbridge_sandboxes.tiktok.images import png_bytes


def default_warehouse(client: TikTokClient) -> m.Warehouse:
    return next(w for w in client.get_warehouses() if w.type == "SALES_WAREHOUSE" and w.is_default)


def tshirt_category(client: TikTokClient, category_version: str = "v2") -> m.Category:
    return next(c for c in client.get_categories(category_version=category_version, keyword="T-shirt") if c.is_leaf)


def upload(client: TikTokClient, width: int = 800, height: int = 800) -> str:
    return client.upload_product_image(png_bytes(width, height), filename="tee.png", content_type="image/png").uri


def tshirt(
    client: TikTokClient,
    *,
    sku_count: int = 2,
    number: int = 1,
    stock: int = 500,
    category_version: str = "v2",
    currency: str = "USD",
    **overrides: Any,
) -> m.ProductInput:
    """A valid T-shirt (US by default): leaf category, required attributes, Color x Size variants,
    an uploaded image."""
    category = tshirt_category(client, category_version)
    attributes = client.get_attributes(category.id, category_version=category_version)
    color = next(a for a in attributes if a.type == "SALES_PROPERTY" and a.name == "Color")
    size = next(a for a in attributes if a.type == "SALES_PROPERTY" and a.name == "Size")
    required = [a for a in attributes if a.type == "PRODUCT_PROPERTY" and a.is_required]
    warehouse = default_warehouse(client)
    variants = [(c, s) for s in size.values for c in color.values][:sku_count]
    skus = [
        m.SkuInput(
            seller_sku=f"TEE-{number}-{index}",
            external_sku_id=f"gid://shopify/ProductVariant/{number}{index:03d}",
            sales_attributes=[
                m.SalesAttribute(id=color.id, value_id=c.id),
                m.SalesAttribute(id=size.id, value_id=s.id),
            ],
            price=m.Price(amount="19.99", currency=currency),
            inventory=[m.WarehouseStock(warehouse_id=warehouse.id, quantity=stock)],
        )
        for index, (c, s) in enumerate(variants)
    ]
    fields: dict[str, Any] = {
        "title": f"Organic Cotton Crew T-shirt {number}",
        "description": "<p>Soft organic cotton tee.</p>",
        "category_id": category.id,
        "category_version": category_version,
        "main_images": [m.ImageRef(uri=upload(client))],
        "product_attributes": [
            m.ProductAttribute(id=a.id, values=[m.AttributeValueRef(id=a.values[0].id)]) for a in required
        ],
        "package_weight": m.PackageWeight(value="0.3", unit="KILOGRAM"),
        "external_product_id": f"gid://shopify/Product/{number}",
        "skus": skus,
    }
    fields.update(overrides)
    return m.ProductInput(**fields)
