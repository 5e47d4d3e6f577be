"""The Shopify plugin's sandbox as the conformance suite's `SandboxAdmin` (the merchant's Shopify admin)."""

from __future__ import annotations

from contextlib import ExitStack

import httpx

from tests.contracts.admin import Account, Delivery, SeenOrder
from tests.support.live_server import serve
from tokbridge.channels.shopify.settings import get_shopify_settings
from tokbridge_sandboxes.shopify import SandboxConfig, create_app
from tokbridge_sandboxes.shopify.ids import parse_gid

SHOP = "tokbridge-demo.myshopify.com"
TOKEN = "shpat_contract_suite"
CLIENT_ID, CLIENT_SECRET = "contract-client-id", "contract-client-secret"


class ShopifyAdmin:
    def __init__(self, base_url: str):
        self.base_url = base_url
        self.account = Account(external_id=SHOP, name="Contract store", access_token=TOKEN)
        self.env = {
            "SHOPIFY_API_BASE_URL": base_url + "/shops/{shop}",
            "SHOPIFY_CLIENT_ID": CLIENT_ID,
            "SHOPIFY_CLIENT_SECRET": CLIENT_SECRET,
            # A small catalog still checkpoints midway, so resuming is exercised.
            "SHOPIFY_CATALOG_CHECKPOINT_LINES": "5",
        }

    def _control(self, method: str, path: str, **kwargs):
        with httpx.Client(base_url=self.base_url, timeout=30) as http:
            response = http.request(method, path.replace("{shop}", SHOP), **kwargs)
        assert response.status_code < 400, response.text
        return response.json() if response.content else None

    @staticmethod
    def _number(external_id: str, type_name: str) -> int:
        parsed = parse_gid(external_id, type_name)
        assert parsed is not None, f"not a {type_name} id: {external_id}"
        return parsed[1]

    def clear_cached_settings(self) -> None:
        get_shopify_settings.cache_clear()

    def product_ids(self) -> set[str]:
        products = self._control("GET", "/sandbox/shops/{shop}/products", params={"limit": 250})["products"]
        return {product["admin_graphql_api_id"] for product in products}

    def edit_product(self, product_external_id: str, title: str) -> None:
        self._control(
            "PATCH",
            f"/sandbox/shops/{{shop}}/products/{self._number(product_external_id, 'Product')}",
            json={"title": title},
        )

    def delete_product(self, product_external_id: str) -> None:
        self._control("DELETE", f"/sandbox/shops/{{shop}}/products/{self._number(product_external_id, 'Product')}")

    def stock(self, inventory_item_external_id: str, location_external_id: str) -> int:
        item = self._number(inventory_item_external_id, "InventoryItem")
        location = self._number(location_external_id, "Location")
        for product in self._control("GET", "/sandbox/shops/{shop}/products", params={"limit": 250})["products"]:
            for stock in product["stock"]:
                if (stock["inventory_item_id"], stock["location_id"]) == (item, location):
                    return stock["available"]
        raise AssertionError(f"no stock of {inventory_item_external_id} at {location_external_id}")

    def set_stock(self, inventory_item_external_id: str, location_external_id: str, available: int) -> None:
        self._control(
            "PUT",
            "/sandbox/shops/{shop}/inventory",
            json={
                "inventory_item_id": inventory_item_external_id,
                "location_id": location_external_id,
                "available": available,
            },
        )

    def order(self, order_external_id: str) -> SeenOrder:
        state = self._control("GET", f"/sandbox/shops/{{shop}}/orders/{self._number(order_external_id, 'Order')}")
        return SeenOrder(
            source_order_id=state["source_identifier"],
            cancelled=state["cancelled_at"] is not None,
            line_quantities=[line["quantity"] for line in state["line_items"]],
        )

    def ship(self, order_external_id: str, *, carrier: str, tracking_number: str) -> None:
        self._control(
            "POST",
            f"/sandbox/shops/{{shop}}/orders/{self._number(order_external_id, 'Order')}/fulfill",
            json={"company": carrier, "number": tracking_number},
        )

    def cancel(self, order_external_id: str) -> None:
        self._control(
            "POST",
            f"/sandbox/shops/{{shop}}/orders/{self._number(order_external_id, 'Order')}/cancel",
            json={"reason": "customer"},
        )

    def disconnect(self) -> None:
        self._control("POST", "/sandbox/shops/{shop}/uninstall")

    def send_webhooks_to(self, url: str) -> None:
        self._control("PUT", "/sandbox/webhooks", json={"app_webhook_uri": url})

    def webhooks_settled(self) -> bool:
        return self._control("GET", "/sandbox/webhooks/deliveries", params={"wait": 10})["idle"]

    def topic_of(self, delivery: Delivery) -> str:
        return {name.lower(): value for name, value in delivery.headers.items()}["x-shopify-topic"]


def start_shopify_sandbox(stack: ExitStack) -> ShopifyAdmin:
    config = SandboxConfig(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        default_shop=SHOP,
        preinstalled_token=TOKEN,
        catalog_size=12,
        webhook_retry_seconds=0.0,
    )
    return ShopifyAdmin(stack.enter_context(serve(create_app(config))))
