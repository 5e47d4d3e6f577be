import base64
import hashlib
import hmac
import json

import pytest

from tokbridge.channels.shopify import webhooks

SECRET = "whsec"
BODY = json.dumps({"id": 788032119674292922, "title": "Example T-Shirt"}).encode()


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_known_vector():
    # shopify-api-js hashString vector: base64 of an HMAC is what the header carries.
    expected = base64.b64encode(hmac.new(b"secret", b"this is my test string", hashlib.sha256).digest()).decode()
    assert webhooks.compute_hmac(b"this is my test string", "secret") == expected


def test_valid_signature_passes_and_tampering_fails():
    header = sign(BODY)
    assert webhooks.verify_hmac(BODY, SECRET, header)
    assert not webhooks.verify_hmac(BODY.replace(b"Example", b"Exampl3"), SECRET, header)
    assert not webhooks.verify_hmac(BODY, "other", header)
    assert not webhooks.verify_hmac(BODY, SECRET, "")
    assert not webhooks.verify_hmac(BODY, SECRET, header.encode().hex())  # hex is not accepted


@pytest.mark.parametrize("prefix", ["X-Shopify-", "shopify-", "x-shopify-"])
def test_both_header_styles_parse(prefix):
    headers = {
        f"{prefix}Hmac-Sha256": sign(BODY),
        f"{prefix}Topic": "products/update",
        f"{prefix}Shop-Domain": "a.myshopify.com",
        f"{prefix}Webhook-Id": "wh-1",
        f"{prefix}Event-Id": "ev-1",
        f"{prefix}Triggered-At": "2026-11-26T10:00:00.123Z",
        f"{prefix}API-Version": "2026-10",
        "Content-Type": "application/json",
    }
    assert webhooks.verify_request(BODY, headers, ["old", SECRET])
    envelope = webhooks.parse(BODY, headers)
    assert envelope.topic == "products/update"
    assert envelope.shop_domain == "a.myshopify.com"
    assert envelope.dedup_key == "ev-1"
    assert envelope.webhook_id == "wh-1"
    assert envelope.api_version == "2026-10"
    assert envelope.triggered_at.isoformat() == "2026-11-26T10:00:00.123000+00:00"
    assert envelope.payload["title"] == "Example T-Shirt"


def test_dedup_key_falls_back_to_webhook_id():
    headers = {
        "X-Shopify-Topic": "shop/redact",
        "X-Shopify-Shop-Domain": "a.myshopify.com",
        "X-Shopify-Hmac-Sha256": "x",
        "X-Shopify-Webhook-Id": "wh-9",
    }
    envelope = webhooks.parse(b"{}", headers)
    assert envelope.dedup_key == "wh-9" and envelope.is_compliance


def test_missing_headers_or_bad_body_are_invalid():
    with pytest.raises(webhooks.InvalidWebhook, match="topic"):
        webhooks.parse(BODY, {"X-Shopify-Shop-Domain": "a.myshopify.com", "X-Shopify-Hmac-Sha256": "x"})
    headers = {"X-Shopify-Topic": "t", "X-Shopify-Shop-Domain": "a.myshopify.com", "X-Shopify-Hmac-Sha256": "x"}
    with pytest.raises(webhooks.InvalidWebhook, match="JSON"):
        webhooks.parse(b"not json", headers)
    assert not webhooks.verify_request(BODY, {}, [SECRET])
