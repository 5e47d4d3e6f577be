"""The Etsy plugin's sandbox as the conformance suite's `SandboxAdmin` (the seller's Etsy shop manager)."""

from __future__ import annotations

import json
from contextlib import ExitStack

import httpx

from tests.contracts.admin import Account, Delivery, SeenOrder
from tests.support.live_server import serve
from tokbridge.channels.etsy import inventory as etsy_inventory
from tokbridge.channels.etsy.mapping import listing_of, live_products, variant_ids
from tokbridge.channels.etsy.settings import get_etsy_settings
from tokbridge_sandboxes.etsy import SandboxConfig, create_app

KEYSTRING, SHARED_SECRET = "contractkeystring0001", "contract-shared-secret"
ACCESS_TOKEN = "81234567.contract-suite-access-token"
REFRESH_TOKEN = "81234567.contract-suite-refresh-token"


class EtsyAdmin:
    def __init__(self, base_url: str, config: SandboxConfig):
        self.base_url = base_url
        self.config = config
        self.account = Account(external_id=str(config.shop_id), name=config.shop_name, access_token=ACCESS_TOKEN)
        self.env = {
            "ETSY_API_BASE_URL": base_url,
            "ETSY_OAUTH_URL": base_url + "/oauth/connect",
            "ETSY_KEYSTRING": KEYSTRING,
            "ETSY_SHARED_SECRET": SHARED_SECRET,
            "ETSY_WEBHOOK_SECRET": config.webhook_secret,
            # A small catalog still spans several pages, so checkpoints and cursors are exercised.
            "ETSY_PAGE_SIZE": "5",
            "ETSY_RATE_LIMIT_PER_SECOND": "200",
        }

    def _control(self, method: str, path: str, **kwargs):
        with httpx.Client(base_url=self.base_url, timeout=30) as http:
            response = http.request(method, path, **kwargs)
        assert response.status_code < 400, response.text
        return response.json() if response.content else None

    def clear_cached_settings(self) -> None:
        get_etsy_settings.cache_clear()

    def product_ids(self) -> set[str]:
        listings = self._control("GET", "/sandbox/listings", params={"limit": 1000})["results"]
        return {str(listing["listing_id"]) for listing in listings}

    def edit_product(self, product_external_id: str, title: str) -> None:
        self._control("PATCH", f"/sandbox/listings/{int(product_external_id)}", json={"title": title})

    def delete_product(self, product_external_id: str) -> None:
        self._control("DELETE", f"/sandbox/listings/{int(product_external_id)}")

    def _product(self, inventory_item_external_id: str) -> tuple[int, dict, int]:
        listing_id = listing_of(inventory_item_external_id)
        assert listing_id is not None, f"not an Etsy variant id: {inventory_item_external_id}"
        inventory = self._control("GET", f"/sandbox/listings/{listing_id}")["inventory"]
        ids = variant_ids(listing_id, live_products(inventory))
        assert inventory_item_external_id in ids, f"no such variant any more: {inventory_item_external_id}"
        return listing_id, inventory, ids.index(inventory_item_external_id)

    def stock(self, inventory_item_external_id: str, location_external_id: str) -> int:
        assert location_external_id == self.account.external_id, "Etsy's one location is the shop"
        _listing_id, inventory, index = self._product(inventory_item_external_id)
        return etsy_inventory.quantity(inventory, index)

    def set_stock(self, inventory_item_external_id: str, location_external_id: str, available: int) -> None:
        listing_id, inventory, index = self._product(inventory_item_external_id)
        product_id = live_products(inventory)[index]["product_id"]
        self._control(
            "PUT", f"/sandbox/listings/{listing_id}/stock", json={"quantity": available, "product_id": product_id}
        )

    def order(self, order_external_id: str) -> SeenOrder:
        raise AssertionError("Etsy takes no outside orders (capabilities.creates_orders is false)")

    def ship(self, order_external_id: str, *, carrier: str, tracking_number: str) -> None:
        raise AssertionError("Etsy takes no outside orders (capabilities.creates_orders is false)")

    def cancel(self, order_external_id: str) -> None:
        raise AssertionError("Etsy takes no outside orders (capabilities.creates_orders is false)")

    def disconnect(self) -> None:
        """The seller removes TokBridge from their Etsy account's apps: its tokens stop working."""
        self._control("POST", "/sandbox/tokens/revoke", json={})

    def send_webhooks_to(self, url: str) -> None:
        self._control("PUT", "/sandbox/webhooks", json={"url": url})

    def webhooks_settled(self) -> bool:
        return self._control("GET", "/sandbox/webhooks/deliveries", params={"wait": 10})["idle"]

    def topic_of(self, delivery: Delivery) -> str:
        return json.loads(delivery.body)["event_type"]


def etsy_config(**overrides) -> SandboxConfig:
    values = {
        "keystring": KEYSTRING,
        "shared_secret": SHARED_SECRET,
        "catalog_size": 12,
        "bootstrap_token": True,
        "bootstrap_access_token": ACCESS_TOKEN,
        "bootstrap_refresh_token": REFRESH_TOKEN,
        "webhook_retry_seconds": 0.0,
        "rate_limit_per_second": 1000,
        "rate_limit_per_day": 1_000_000,
        **overrides,
    }
    return SandboxConfig(**values)


def start_etsy_sandbox(stack: ExitStack) -> EtsyAdmin:
    config = etsy_config()
    return EtsyAdmin(stack.enter_context(serve(create_app(config))), config)
