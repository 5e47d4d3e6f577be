"""Error envelope mapping, webhook envelope parsing and the authorization `state`."""

from __future__ import annotations

import json

import pytest

from tokbridge.channels.tiktok import errors as e
from tokbridge.channels.tiktok.auth import InvalidState, StateSigner, authorization_url
from tokbridge.channels.tiktok.settings import TikTokAppSettings
from tokbridge.channels.tiktok.webhooks import InvalidWebhook, parse_event


def envelope(code: int, message: str = "msg", data=None) -> dict:
    return {"code": code, "message": message, "request_id": "202203070749000101890810281E8C70B7", "data": data}


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (429, 36009002, e.RateLimited),
        (200, 36009002, e.RateLimited),
        (500, 36009003, e.RetryableError),
        (200, 36009003, e.RetryableError),
        (503, None, e.RetryableError),
        (504, 36009007, e.RetryableError),
        (401, 105002, e.TokenExpiredError),
        (401, 106001, e.SignatureError),
        (403, 105005, e.ScopeError),
        (401, 101000, e.InvalidTokenError),
        (200, 36004001, e.InvalidTokenError),
        (401, 36009004, e.AuthorizationError),
        (200, 12052023, e.ValidationError),
        (400, 36009004, e.ValidationError),
    ],
)
def test_envelope_maps_to_error_class(status, code, expected):
    error = e.error_from_response(status, envelope(code) if code else None)
    assert type(error) is expected
    assert error.code == code and error.http_status == status
    if code:
        assert error.request_id == "202203070749000101890810281E8C70B7"


def test_rate_limited_uses_retry_after_header_or_default():
    assert e.error_from_response(429, envelope(36009002), retry_after_header="7").retry_after == 7.0
    assert e.error_from_response(429, envelope(36009002), default_retry_after=2.5).retry_after == 2.5
    assert isinstance(e.error_from_response(429, None), e.RetryableError)


def test_validation_error_keeps_field_and_message():
    error = e.error_from_response(400, envelope(36009004, "param body.address is missing"))
    assert isinstance(error, e.ValidationError)
    assert error.field == "body.address" and error.message == "param body.address is missing"
    quoted = e.error_from_response(200, envelope(12019095, "`pre_sale.fulfillment_type` is missing or empty."))
    assert quoted.field == "pre_sale.fulfillment_type"
    from_data = e.error_from_response(
        200, envelope(12052024, "Category is not final category", {"field": "category_id"})
    )
    assert from_data.field == "category_id"
    assert e.error_from_response(200, envelope(12052261, "product name is empty")).field == "title"
    assert e.error_from_response(200, envelope(12052032, "The product does not exist")).field is None


def test_error_str_carries_code_and_request_id():
    text = str(e.error_from_response(401, envelope(106001, "Invalid credentials.")))
    assert "106001" in text and "202203070749000101890810281E8C70B7" in text


# --- webhook envelopes --------------------------------------------------------------------------


def test_order_status_event_keeps_big_ids_exact():
    body = b'{"type":1,"tts_notification_id":"7327112393057371910","shop_id":7494049642642441621,"timestamp":1644412885,"data":{"order_id":576684019603311365,"order_status":"CANCEL","update_time":1}}'
    event = parse_event(body)
    assert event.shop_id == "7494049642642441621"
    assert event.payload.order_id == "576684019603311365"
    assert event.payload.order_status == "CANCEL"


@pytest.mark.parametrize(
    ("type_", "data", "attr", "value"),
    [
        (
            5,
            {"product_id": "1", "status": "PRODUCT_AUDIT_FAILURE", "update_time": 1},
            "status",
            "PRODUCT_AUDIT_FAILURE",
        ),
        (
            6,
            {"message": "Shop_id 1 is deauthorized from your APP by merchant."},
            "message",
            "Shop_id 1 is deauthorized from your APP by merchant.",
        ),
        (7, {"message": "expires soon", "expiration_time": "1700000000"}, "expires_at", 1700000000),
        (
            11,
            {
                "order_id": "9",
                "cancel_id": "8",
                "cancel_status": "CANCELLATION_REQUEST_PENDING",
                "cancellations_role": "BUYER",
            },
            "cancel_id",
            "8",
        ),
        (
            12,
            {
                "order_id": "9",
                "return_id": "7",
                "return_status": "RETURN_OR_REFUND_REQUEST_PENDING",
                "return_type": "REFUND",
            },
            "return_id",
            "7",
        ),
        (37, {"product_id": "1", "audit": {"status": "APPROVED"}, "update_time": 1}, "audit_status", "APPROVED"),
    ],
)
def test_typed_payloads(type_, data, attr, value):
    body = json.dumps({"type": type_, "shop_id": "1", "timestamp": 1, "data": data}).encode()
    assert getattr(parse_event(body).payload, attr) == value


def test_unknown_type_has_no_payload_and_garbage_is_refused():
    assert parse_event(b'{"type":99,"data":{"x":1}}').payload is None
    for bad in (b"not json", b"[]", b'{"type":"1"}', b'{"type":1,"data":{"order_status":"X"}}'):
        with pytest.raises(InvalidWebhook):
            parse_event(bad)


# --- authorization state ------------------------------------------------------------------------


class Clock:
    def __init__(self, now: float = 1_700_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_state_round_trip_and_expiry():
    clock = Clock()
    signer = StateSigner("secret", max_age_seconds=600, clock=clock)
    state = signer.issue("merchant-42")
    assert signer.verify(f"  {state} ") == "merchant-42"
    assert signer.issue("merchant-42") != state  # a fresh nonce every time
    clock.now += 601
    with pytest.raises(InvalidState, match="expired"):
        signer.verify(state)


def test_state_forged_or_from_another_key_is_refused():
    signer = StateSigner("secret")
    state = signer.issue("merchant-42")
    payload, mac = state.split(".")
    with pytest.raises(InvalidState):
        StateSigner("other").verify(state)
    with pytest.raises(InvalidState):
        signer.verify(payload + "." + mac[:-2] + ("AA" if mac[-2:] != "AA" else "BB"))
    for bad in ("", None, "nodot", ".", "!!!.???"):
        with pytest.raises(InvalidState):
            signer.verify(bad)


def test_authorization_url_carries_service_id_and_state():
    app = TikTokAppSettings(app_key="k", app_secret="s", service_id="7431458374265161478")
    url = authorization_url(app, "abc.def")
    assert url == "https://services.tiktokshop.com/open/authorize?service_id=7431458374265161478&state=abc.def"
