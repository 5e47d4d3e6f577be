"""The PrestaShop plugin's sandbox as the conformance suite's `SandboxAdmin` (the merchant's back office,
through the sandbox's control API). The connection's data is what connecting stores: read from the
sandbox by the plugin's own reader."""

from __future__ import annotations

from contextlib import ExitStack

import httpx

from tests.contracts.admin import Account, Delivery, SeenOrder
from tests.support.live_server import serve
from tokbridge.channels.prestashop.client import PrestaShopClient
from tokbridge.channels.prestashop.mapping import parse_variant_id
from tokbridge.channels.prestashop.settings import get_prestashop_settings
from tokbridge.channels.prestashop.shop import read_shop
from tokbridge_sandboxes.prestashop import SandboxConfig, create_app

KEY = "CONTRACTSUITEKEY0123456789ABCDEF"
CANCELLED = 6  # the sandbox's PS_OS_CANCELED


class PrestaShopAdmin:
    def __init__(self, base_url: str, config: SandboxConfig):
        self.base_url = base_url.rstrip("/")
        self.config = config
        with PrestaShopClient(self.base_url, KEY) as client:
            shop = read_shop(client, shop_id=None, language=None)
        data = {**shop.as_data(), "address": self.base_url, "can_patch": True}
        self.account = Account(external_id=self.base_url, name=shop.name, access_token=KEY, data=data)
        # A small catalog still spans several pages, so checkpoints and cursors are exercised.
        self.env = {"PRESTASHOP_ALLOW_HTTP": "true", "PRESTASHOP_PAGE_SIZE": "5"}

    def _control(self, method: str, path: str, **kwargs):
        with httpx.Client(base_url=self.base_url, timeout=30) as http:
            response = http.request(method, path, **kwargs)
        assert response.status_code < 400, response.text
        return response.json() if response.content else None

    def clear_cached_settings(self) -> None:
        get_prestashop_settings.cache_clear()

    def product_ids(self) -> set[str]:
        return {str(product["id_product"]) for product in self._control("GET", "/sandbox/products")["products"]}

    def edit_product(self, product_external_id: str, title: str) -> None:
        self._control("PATCH", f"/sandbox/products/{int(product_external_id)}", json={"name": title})

    def delete_product(self, product_external_id: str) -> None:
        self._control("DELETE", f"/sandbox/products/{int(product_external_id)}")

    @staticmethod
    def _row(inventory_item_external_id: str, location_external_id: str) -> dict:
        parsed = parse_variant_id(inventory_item_external_id)
        assert parsed is not None, f"not a PrestaShop stock item: {inventory_item_external_id}"
        return {"id_product": parsed[0], "id_product_attribute": parsed[1], "id_shop": int(location_external_id)}

    def stock(self, inventory_item_external_id: str, location_external_id: str) -> int:
        return self._control(
            "GET", "/sandbox/stock", params=self._row(inventory_item_external_id, location_external_id)
        )["quantity"]

    def set_stock(self, inventory_item_external_id: str, location_external_id: str, available: int) -> None:
        self._control(
            "PUT",
            "/sandbox/stock",
            json={**self._row(inventory_item_external_id, location_external_id), "quantity": available},
        )

    def order(self, order_external_id: str) -> SeenOrder:
        state = self._control("GET", f"/sandbox/orders/{int(order_external_id)}")
        # The plugin's placeholder customer: "{source}-{order id}@...".
        local = state["email"].partition("@")[0]
        return SeenOrder(
            source_order_id=local.partition("-")[2] or None,
            cancelled=state["current_state"] == CANCELLED,
            line_quantities=[row["product_quantity"] for row in state["rows"]],
        )

    def ship(self, order_external_id: str, *, carrier: str, tracking_number: str) -> None:
        with PrestaShopClient(self.base_url, KEY) as client:
            carriers = client.rows("carriers", {"display": "[id,name]"}, what="the carriers")
        [carrier_id] = [row["id"] for row in carriers if row["name"] == carrier]
        self._control(
            "POST",
            f"/sandbox/orders/{int(order_external_id)}/ship",
            json={"tracking_number": tracking_number, "id_carrier": int(carrier_id)},
        )

    def cancel(self, order_external_id: str) -> None:
        self._control("POST", f"/sandbox/orders/{int(order_external_id)}/state", json={"id_order_state": CANCELLED})

    def disconnect(self) -> None:
        """The merchant deletes the Webservice key: every later call is refused."""
        self._control("DELETE", f"/sandbox/keys/{KEY}")

    def send_webhooks_to(self, url: str) -> None:
        raise AssertionError("PrestaShop has no webhooks (capabilities.webhooks is false)")

    def webhooks_settled(self) -> bool:
        raise AssertionError("PrestaShop has no webhooks (capabilities.webhooks is false)")

    def topic_of(self, delivery: Delivery) -> str:
        raise AssertionError("PrestaShop has no webhooks (capabilities.webhooks is false)")


def prestashop_config(**overrides) -> SandboxConfig:
    # The shop's free carrier carries the shop's name, as in PrestaShop: the suite ships with "UPS".
    values = {"bootstrap_key": KEY, "catalog_size": 12, "shop_name": "UPS", **overrides}
    return SandboxConfig(**values)


def start_prestashop_sandbox(stack: ExitStack) -> PrestaShopAdmin:
    config = prestashop_config()
    return PrestaShopAdmin(stack.enter_context(serve(create_app(config))), config)
