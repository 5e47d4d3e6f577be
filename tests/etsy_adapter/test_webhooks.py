"""Etsy's webhooks: Standard Webhooks signatures (whsec_ secret, id.timestamp.body, constant-time compare,
timestamp tolerance) and thin payloads translated into events naming the listing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest

from tokbridge.channels import base
from tokbridge.channels.base import InvalidDelivery
from tokbridge.channels.etsy import events
from tokbridge.kit.errors import PermanentError

SECRET = "whsec_" + base64.b64encode(b"a-signing-key-of-the-endpoint").decode()


def signed(body: bytes, *, webhook_id: str = "msg_1", at: int | None = None, secret: str = SECRET) -> dict:
    timestamp = str(int(time.time()) if at is None else at)
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signature = base64.b64encode(
        hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    ).decode()
    return {"webhook-id": webhook_id, "webhook-timestamp": timestamp, "webhook-signature": f"v1,{signature}"}


BODY = json.dumps(
    {
        "event_type": "listing.updated",
        "shop_id": 40123456,
        "resource_url": "https://openapi.etsy.com/v3/application/listings/555",
    }
).encode()


def test_a_signed_delivery_is_accepted_and_anything_else_refused():
    headers = signed(BODY)
    assert events.verify(SECRET, headers, BODY)
    assert not events.verify(SECRET, headers, BODY + b" ")
    assert not events.verify(SECRET, {**headers, "webhook-id": "msg_2"}, BODY)
    assert not events.verify(SECRET, signed(BODY, secret="whsec_" + base64.b64encode(b"other").decode()), BODY)
    assert not events.verify("", headers, BODY), "no secret configured: nothing is accepted"
    assert not events.verify(SECRET, {}, BODY)


def test_one_matching_entry_among_several_is_enough():
    headers = signed(BODY)
    rotated = {**headers, "webhook-signature": "v1,bm90IHRoaXMgb25l " + headers["webhook-signature"]}
    assert events.verify(SECRET, rotated, BODY)


def test_a_stale_or_future_timestamp_is_refused():
    now = int(time.time())
    assert not events.verify(SECRET, signed(BODY, at=now - 301), BODY, tolerance_seconds=300)
    assert not events.verify(SECRET, signed(BODY, at=now + 301), BODY, tolerance_seconds=300)
    assert events.verify(SECRET, signed(BODY, at=now - 200), BODY, tolerance_seconds=300)


def test_the_envelope_names_the_shop_the_event_and_its_id():
    delivery = events.EVENTS.open(signed(BODY, webhook_id="msg_9"), BODY)
    assert (delivery.account, delivery.topic, delivery.key) == ("40123456", "listing.updated", "msg_9")
    with pytest.raises(InvalidDelivery):
        events.EVENTS.open({}, b"[1, 2]")
    with pytest.raises(InvalidDelivery):
        events.EVENTS.open({}, json.dumps({"event_type": "listing.updated"}).encode())


def test_thin_payloads_name_the_listing_the_catalog_stream_gave():
    translate = events.EVENTS.translate
    url = "https://openapi.etsy.com/v3/application/listings/555"
    assert translate("listing.updated", {"resource_url": url}) == [
        base.StoreEvent(base.PRODUCT_CHANGED, "555", {"updated_at": None})
    ]
    assert translate("inventory.out_of_stock", {"resource_url": url + "/inventory"})[0].subject_external_id == "555"
    assert translate("listing.deleted", {"resource_url": url}) == [base.StoreEvent(base.PRODUCT_DELETED, "555")]
    assert translate("order.paid", {"resource_url": "https://x/v3/application/shops/1/receipts/2"}) == []
    with pytest.raises(PermanentError):
        translate("listing.updated", {"resource_url": "https://x/v3/application/shops/1"})
