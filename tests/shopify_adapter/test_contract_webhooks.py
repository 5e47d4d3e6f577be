"""Webhooks from the sandbox, received over HTTP by an endpoint built on our verification."""

import threading
from contextlib import contextmanager

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.shopify_adapter.test_contract_orders import a_tracked_variant, tiktok_order
from tests.support.live_server import serve
from tokbridge.channels.shopify import bulk, webhooks


class Receiver:
    def __init__(self, secrets: list[str]):
        self.secrets = secrets
        self.accepted: list[webhooks.WebhookEnvelope] = []
        self.refused: list[int] = []
        self.lock = threading.Lock()

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        try:
            envelope = webhooks.receive(body, request.headers, self.secrets)
        except webhooks.InvalidWebhook as exc:
            with self.lock:
                self.refused.append(exc.status_code)
            return Response(status_code=exc.status_code)
        with self.lock:
            self.accepted.append(envelope)
        return Response(status_code=200)

    def topics(self) -> list[str]:
        with self.lock:
            return [e.topic for e in self.accepted]


@contextmanager
def receiving(shop, secrets):
    receiver = Receiver(secrets)
    app = Starlette(routes=[Route("/webhooks", receiver.endpoint, methods=["POST"])])
    with serve(app) as url:
        shop.control("PUT", "/sandbox/webhooks", json={"app_webhook_uri": url + "/webhooks"})
        yield receiver


def settle(shop) -> None:
    assert shop.control("GET", "/sandbox/webhooks/deliveries", params={"wait": 10}).json()["idle"]


def test_every_topic_arrives_verified_with_its_envelope(live_shop):
    shop = live_shop()
    products = shop.control("GET", "/sandbox/shops/{shop}/products", params={"limit": 5}).json()["products"]
    product = products[0]
    with receiving(shop, [shop.config.client_secret]) as receiver:
        shop.control("PATCH", f"/sandbox/shops/{{shop}}/products/{product['id']}", json={"title": "New title"})
        stock = product["stock"][0]
        shop.control(
            "PUT",
            "/sandbox/shops/{shop}/inventory",
            json={"inventory_item_id": stock["inventory_item_id"], "location_id": stock["location_id"], "available": 3},
        )
        shop.control("DELETE", f"/sandbox/shops/{{shop}}/products/{products[1]['id']}")
        for topic in sorted(webhooks.COMPLIANCE_TOPICS):
            shop.control("POST", f"/sandbox/shops/{{shop}}/privacy/{topic}", json={})
        store = shop.store(wait_when_throttled=True)
        variant, _ = a_tracked_variant(shop)
        shipped = store.create_order(tiktok_order(variant, "2001")).external_id.rsplit("/", 1)[-1]
        cancelled = store.create_order(tiktok_order(variant, "2002")).external_id
        shop.control(
            "POST", f"/sandbox/shops/{{shop}}/orders/{shipped}/fulfill", json={"company": "UPS", "number": "1Z1"}
        )
        store.cancel_order(cancelled)
        client = store.client
        operation = bulk.start(client, "{ products { edges { node { id } } } }")
        bulk.wait(client, operation.id, timeout=30, sleep=lambda s: None)
        shop.control("POST", "/sandbox/shops/{shop}/uninstall")
        settle(shop)

        topics = set(receiver.topics())
        assert {
            "products/update",
            "inventory_levels/update",
            "products/delete",
            "bulk_operations/finish",
            "fulfillments/create",
            "orders/cancelled",
            "app/uninstalled",
            *webhooks.COMPLIANCE_TOPICS,
        } <= topics
        assert receiver.refused == []
        for envelope in receiver.accepted:
            assert envelope.shop_domain == "tokbridge-demo.myshopify.com"
            assert envelope.event_id and envelope.webhook_id and envelope.api_version and envelope.triggered_at
        update = next(e for e in receiver.accepted if e.topic == "products/update")
        assert update.payload["title"] == "New title"
        finish = next(e for e in receiver.accepted if e.topic == "bulk_operations/finish")
        assert finish.payload["admin_graphql_api_id"] == operation.id


def test_wrong_secret_is_refused_with_401(live_shop):
    shop = live_shop()
    product = shop.control("GET", "/sandbox/shops/{shop}/products", params={"limit": 1}).json()["products"][0]
    with receiving(shop, ["not-the-app-secret"]) as receiver:
        shop.control("PATCH", f"/sandbox/shops/{{shop}}/products/{product['id']}", json={"title": "x"})
        settle(shop)
        assert receiver.accepted == [] and receiver.refused and set(receiver.refused) == {401}


def test_duplicates_share_the_event_id(live_shop):
    shop = live_shop()
    product = shop.control("GET", "/sandbox/shops/{shop}/products", params={"limit": 1}).json()["products"][0]
    with receiving(shop, [shop.config.client_secret]) as receiver:
        shop.control("PUT", "/sandbox/webhooks", json={"duplicate_rate": 1.0})
        shop.control("PATCH", f"/sandbox/shops/{{shop}}/products/{product['id']}", json={"title": "twice"})
        settle(shop)
        updates = [e for e in receiver.accepted if e.topic == "products/update"]
        assert len(updates) >= 2
        assert len({e.dedup_key for e in updates}) == 1


def test_missing_headers_get_400():
    receiver = Receiver(["s"])
    app = Starlette(routes=[Route("/webhooks", receiver.endpoint, methods=["POST"])])
    with serve(app) as url:
        body = b'{"id": 1}'
        assert httpx.post(url + "/webhooks", content=body).status_code == 400
        signed = {"X-Shopify-Hmac-Sha256": webhooks.compute_hmac(body, "s")}
        assert httpx.post(url + "/webhooks", content=body, headers=signed).status_code == 400  # no topic/shop
