"""Request and webhook signatures, checked against the docs' published vector."""

from __future__ import annotations

import json

from tokbridge.channels.tiktok.signing import sign, signature_matches, string_to_sign
from tokbridge.channels.tiktok.webhooks import compute_signature, verify_signature

DOCS_SECRET = "e59af819cc"
DOCS_QUERY = {"app_key": "29a39d", "timestamp": "1623812664"}
DOCS_SIGN = "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8"


def test_docs_vector_reproduces():
    assert sign(DOCS_SECRET, "/authorization/202309/shops", DOCS_QUERY) == DOCS_SIGN


def test_docs_intermediate_string():
    expected = b"e59af819cc/authorization/202309/shopsapp_key29a39dtimestamp1623812664e59af819cc"
    assert string_to_sign(DOCS_SECRET, "/authorization/202309/shops", DOCS_QUERY) == expected


def test_sign_and_access_token_are_left_out():
    noisy = {**DOCS_QUERY, "sign": "whatever", "access_token": "TTP_secret"}
    assert sign(DOCS_SECRET, "/authorization/202309/shops", noisy) == DOCS_SIGN


def test_body_changes_the_signature():
    path = "/product/202309/products"
    body = json.dumps({"title": "Tee"}, separators=(",", ":")).encode()
    signed = sign(DOCS_SECRET, path, DOCS_QUERY, body)
    assert signed != sign(DOCS_SECRET, path, DOCS_QUERY)
    assert signature_matches(DOCS_SECRET, path, DOCS_QUERY, body, signed)
    assert not signature_matches(DOCS_SECRET, path, DOCS_QUERY, body + b" ", signed)


def test_webhook_signature_round_trip():
    body = (
        b'{"type":1,"shop_id":"7494726673780148744","timestamp":1664095733,'
        b'"data":{"order_id":"576684019603311365","order_status":"AWAITING_SHIPMENT","update_time":1664095610}}'
    )
    header = compute_signature("fake_app_key", "fake_app_secret", body)
    assert len(header) == 64 and header == header.lower()
    assert verify_signature("fake_app_key", "fake_app_secret", body, header)


def test_webhook_tampered_body_or_wrong_secret_fails():
    body = b'{"type":6,"shop_id":"1","timestamp":1,"data":{"message":"bye"}}'
    header = compute_signature("k", "s", body)
    assert not verify_signature("k", "s", body.replace(b"bye", b"hi!"), header)
    assert not verify_signature("k", "other", body, header)
    assert not verify_signature("k", "s", body, "")
