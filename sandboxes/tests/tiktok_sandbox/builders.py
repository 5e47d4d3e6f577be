"""Valid request bodies built from what the sandbox reports (warehouses, categories)."""

from __future__ import annotations

from typing import Any

from .support import SignedClient

T_SHIRTS_V2 = "9601302"  # leaf "T-shirts" in the v2 (US) tree
MATERIAL, COTTON = "100347", "1004001"
COLOR, SIZE = "100000", "100007"
RED, BLUE, SIZE_M, SIZE_L = "1001003", "1001004", "1002003", "1002004"


def sales_warehouse(client: SignedClient) -> str:
    warehouses = client.ok("GET", "/logistics/202309/warehouses")["warehouses"]
    return next(w["id"] for w in warehouses if w["type"] == "SALES_WAREHOUSE" and w["is_default"])


def tshirt(client: SignedClient, warehouse_id: str, image_uri: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "title": "Organic Cotton Crew T-shirt",
        "description": "<p>Soft organic cotton tee.</p>",
        "category_id": T_SHIRTS_V2,
        "category_version": "v2",
        "main_images": [{"uri": image_uri}],
        "product_attributes": [{"id": MATERIAL, "values": [{"id": COTTON}]}],
        "package_weight": {"value": "0.3", "unit": "KILOGRAM"},
        "external_product_id": "gid://shopify/Product/1001",
        "skus": [
            {
                "seller_sku": "TEE-RED-M",
                "external_sku_id": "gid://shopify/ProductVariant/1",
                "sales_attributes": [{"id": COLOR, "value_id": RED}, {"id": SIZE, "value_id": SIZE_M}],
                "price": {"amount": "19.99", "currency": "USD"},
                "inventory": [{"warehouse_id": warehouse_id, "quantity": 10}],
            },
            {
                "seller_sku": "TEE-BLUE-L",
                "external_sku_id": "gid://shopify/ProductVariant/2",
                "sales_attributes": [{"id": COLOR, "value_id": BLUE}, {"id": SIZE, "value_id": SIZE_L}],
                "price": {"amount": "21.50", "currency": "USD"},
                "inventory": [{"warehouse_id": warehouse_id, "quantity": 5}],
            },
        ],
    }
    body.update(overrides)
    return body
