"""The control API changes listings as the seller would, and each change reaches the configured URL as
a Standard Webhooks delivery, checked here with an independent signature check."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tokbridge_sandboxes.serving import serve_in_thread


class Receiver:
    def __init__(self, status: int = 200) -> None:
        self.received: list[tuple[dict, bytes]] = []
        self.status = status
        self.lock = threading.Lock()

        async def hook(request: Request) -> Response:
            body = await request.body()
            with self.lock:
                self.received.append((dict(request.headers), body))
            return Response(status_code=self.status)

        self.app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])


@pytest.fixture
def receiver():
    target = Receiver()
    with serve_in_thread(target.app) as url:
        target.url = url + "/hook"
        yield target


def verify(secret: str, headers: dict, body: bytes) -> bool:
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(part.split(",", 1)[1], expected)
        for part in headers["webhook-signature"].split()
        if part.startswith("v1,")
    )


def deliveries(control) -> list[dict]:
    answer = control.get("/webhooks/deliveries", params={"wait": 10}).json()
    assert answer["idle"] is True
    return answer["deliveries"]


def test_stock_and_title_changes_send_signed_thin_webhooks(etsy, receiver, wait_until):
    listing_id = etsy.listing_with(lambda item: item.state == "active" and len(item.inventory.products) == 1)
    secret = etsy.config.webhook_secret
    with etsy.control() as control:
        control.put("/webhooks", json={"url": receiver.url})
        changed = control.put(f"/listings/{listing_id}/stock", json={"quantity": 3})
        assert changed.status_code == 200
        assert changed.json()["inventory"]["products"][0]["offerings"][0]["quantity"] == 3
        control.patch(f"/listings/{listing_id}", json={"title": "Renamed mug"})
        control.put(f"/listings/{listing_id}/stock", json={"quantity": 0})
        records = deliveries(control)
    assert [r["event_type"] for r in records] == ["inventory.updated", "listing.updated", "inventory.out_of_stock"]
    assert all(r["delivered"] and r["status"] == 200 for r in records)
    assert len(receiver.received) == 3
    for headers, body in receiver.received:
        assert verify(secret, headers, body)
        assert not verify("whsec_" + base64.b64encode(b"another key").decode(), headers, body)
        tampered = body.replace(b"shop_id", b"shop_iD")
        assert not verify(secret, headers, tampered)
    payloads = [json.loads(body) for _h, body in receiver.received]
    assert payloads[1] == {
        "event_type": "listing.updated",
        "shop_id": etsy.config.shop_id,
        "resource_url": f"https://openapi.etsy.com/v3/application/listings/{listing_id}",
    }
    assert payloads[0]["resource_url"].endswith(f"/listings/{listing_id}/inventory")
    with etsy.client() as client:
        listing = client.get(f"/v3/application/listings/{listing_id}").json()
        assert (listing["title"], listing["state"], listing["quantity"]) == ("Renamed mug", "sold_out", 0)


def test_duplicates_share_their_webhook_id(etsy, receiver):
    listing_id = etsy.listing_ids()[0]
    with etsy.control() as control:
        control.put("/webhooks", json={"url": receiver.url, "duplicate_rate": 1})
        control.patch(f"/listings/{listing_id}", json={"title": "Twice"})
        records = deliveries(control)
    assert len(records) == 2 and records[0]["webhook_id"] == records[1]["webhook_id"]
    assert [r["duplicate"] for r in records] == [False, True]
    assert len({h["webhook-id"] for h, _b in receiver.received}) == 1


def test_failed_deliveries_are_retried_then_given_up(make_etsy):
    failing = Receiver(status=500)
    with serve_in_thread(failing.app) as url:
        etsy = make_etsy(webhook_url=url + "/hook", webhook_max_attempts=3, webhook_retry_seconds=0)
        with etsy.control() as control:
            control.patch(f"/listings/{etsy.listing_ids()[0]}", json={"title": "Retried"})
            records = deliveries(control)
    assert records[0]["attempts"] == 3 and records[0]["delivered"] is False and records[0]["status"] == 500
    assert len(failing.received) == 3
    assert len({h["webhook-id"] for h, _b in failing.received}) == 1


def test_without_a_url_nothing_is_sent(etsy):
    with etsy.control() as control:
        control.patch(f"/listings/{etsy.listing_ids()[0]}", json={"title": "Quiet"})
        assert deliveries(control) == []


def test_added_listing_is_served_and_announced(etsy, receiver):
    with etsy.control() as control:
        control.put("/webhooks", json={"url": receiver.url})
        added = control.post("/listings", json={"title": "New candle", "price": 12.5, "quantity": 4, "sku": "NEW-1"})
        assert added.status_code == 201
        listing_id = added.json()["listing_id"]
        assert [r["event_type"] for r in deliveries(control)] == ["listing.created"]
    with etsy.client() as client:
        listing = client.get(f"/v3/application/listings/{listing_id}").json()
        assert listing["title"] == "New candle" and listing["state"] == "active"
        inventory = client.get(f"/v3/application/listings/{listing_id}/inventory").json()
        assert inventory["products"][0]["sku"] == "NEW-1"
        assert inventory["products"][0]["offerings"][0]["price"] == {
            "amount": 1250,
            "divisor": 100,
            "currency_code": "USD",
        }
        newest = client.get(
            f"/v3/application/shops/{etsy.config.shop_id}/listings", params={"sort_on": "created", "limit": 1}
        ).json()["results"][0]
        assert newest["listing_id"] == listing_id


def test_stock_on_a_listing_with_variations_names_the_product(etsy):
    listing_id = etsy.listing_with(
        lambda item: (
            item.state == "active"
            and len(item.inventory.products) > 1
            and item.inventory.quantity_on_property
            and item.inventory.products[1].sku
        )
    )
    sku = etsy.sandbox.listings[listing_id].inventory.products[1].sku
    ids = [p.product_id for p in etsy.sandbox.listings[listing_id].inventory.products]
    with etsy.control() as control:
        assert control.put(f"/listings/{listing_id}/stock", json={"quantity": 9}).status_code == 400
        assert control.put(f"/listings/{listing_id}/stock", json={"quantity": 9, "sku": "nope"}).status_code == 404
        changed = control.put(f"/listings/{listing_id}/stock", json={"quantity": 9, "sku": sku}).json()
    product = next(p for p in changed["inventory"]["products"] if p["sku"] == sku)
    assert product["offerings"][0]["quantity"] == 9
    assert [p["product_id"] for p in changed["inventory"]["products"]] == ids  # a sale keeps the ids


def test_state_reports_keys_tokens_and_counts(etsy):
    with etsy.control() as control:
        state = control.get("/state").json()
    assert state["x_api_key"] == etsy.api_key
    assert state["bootstrap"]["access_token"] == etsy.token
    assert sum(state["listings_by_state"].values()) == state["listings"] == 60
    assert set(state["listings_by_state"]) == {"active", "inactive", "draft", "sold_out", "expired"}


def test_catalog_is_deterministic_and_varied(etsy):
    with etsy.control() as control:
        first = control.get("/listings", params={"limit": 1000}).json()["results"]
        control.post("/catalog", json={"count": 60, "seed": 1})
        again = control.get("/listings", params={"limit": 1000}).json()["results"]
        assert [(x["listing_id"], x["title"], x["inventory"]) for x in first] == [
            (x["listing_id"], x["title"], x["inventory"]) for x in again
        ]
        control.post("/catalog", json={"count": 60, "seed": 2})
        other = control.get("/listings", params={"limit": 1000}).json()["results"]
        assert [x["title"] for x in other] != [x["title"] for x in first]
        control.post("/catalog", json={"count": 10_000, "seed": 5})
        big = control.get("/state").json()
    assert big["listings"] == 10_000
    listings = list(etsy.sandbox.listings.values())
    axes = {len(item.inventory.products[0].property_values) for item in listings}
    assert axes == {0, 1, 2, 3}
    custom = {v["property_id"] for item in listings for p in item.inventory.products for v in p.property_values}
    assert {513, 514} <= custom
    assert any(p.sku == "" for item in listings for p in item.inventory.products)
    assert any(item.state == "sold_out" and item.quantity() == 0 for item in listings)
    assert any(not item.images for item in listings) and any(len(item.images) >= 3 for item in listings)
    assert {o.readiness_state_id for item in listings for p in item.inventory.products for o in p.offerings} == {
        p.readiness_state_id for p in etsy.sandbox.profiles
    }
