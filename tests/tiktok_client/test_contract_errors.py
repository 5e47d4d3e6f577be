"""Contract: the error paths against the sandbox — signature, tokens, scopes, throttling, faults, logs."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from tests.support.live_server import serve
from tokbridge.channels.tiktok.auth import NotAuthorized, TokenManager, handle_authorization_event
from tokbridge.channels.tiktok.errors import (
    InvalidTokenError,
    RateLimited,
    RetryableError,
    ScopeError,
    SignatureError,
)
from tokbridge.channels.tiktok.models import TokenGrant
from tokbridge.channels.tiktok.webhooks import parse_event, verify_signature
from tokbridge.kit.ratelimit import make_rate_limiter
from tokbridge_sandboxes.tiktok.receiver import Receiver

from .conftest import APP_KEY, APP_SECRET

WAREHOUSES = "/logistics/202309/warehouses"


def test_wrong_secret_is_a_signature_error(tiktok):
    with pytest.raises(SignatureError) as error:
        tiktok.client_with(app_secret="not-the-secret").get_warehouses()
    assert error.value.code == 106001 and error.value.http_status == 401 and error.value.request_id
    assert tiktok.client.get_warehouses()  # the right secret still works


def test_expired_token_is_refreshed_once_and_the_call_repeated(tiktok):
    old = tiktok.store.load(tiktok.shop.id)
    tiktok.sandbox_control("POST", "/sandbox/tokens/expire", {"access_token": old.access_token})
    assert tiktok.client.get_warehouses()
    assert tiktok.tokens.refresh_count == 1
    new = tiktok.store.load(tiktok.shop.id)
    assert new.access_token != old.access_token and new.refresh_token != old.refresh_token
    assert tiktok.client.get_warehouses() and tiktok.tokens.refresh_count == 1


def test_concurrent_workers_refresh_once(tiktok):
    old = tiktok.store.load(tiktok.shop.id)
    tiktok.sandbox_control("POST", "/sandbox/tokens/expire", {"access_token": old.access_token})
    results: list[object] = []

    def work():
        try:
            results.append(len(tiktok.client.get_warehouses()))
        except Exception as exc:  # noqa: BLE001 - collected for the assertion below
            results.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == [3] * 8
    assert tiktok.tokens.refresh_count == 1


def test_token_close_to_expiry_is_refreshed_before_the_call(tiktok):
    six_and_a_half_days_later = lambda: time.time() + 6.5 * 86400  # noqa: E731 - inside the 1-day margin
    tokens = TokenManager(tiktok.auth, tiktok.store, refresh_margin_seconds=86400, clock=six_and_a_half_days_later)
    before = tiktok.store.load(tiktok.shop.id).access_token
    assert tokens.access_token(tiktok.shop.id) != before and tokens.refresh_count == 1
    assert tokens.access_token(tiktok.shop.id) == tiktok.store.load(tiktok.shop.id).access_token
    assert tokens.refresh_count == 2  # still inside the margin on this fake clock: refreshed again
    fresh = TokenManager(tiktok.auth, tiktok.store)
    fresh.access_token(tiktok.shop.id)
    assert fresh.refresh_count == 0


def test_dead_refresh_token_needs_the_seller_again(tiktok):
    # A year and more later both tokens are dead: the refresh is refused, no loop.
    tiktok.sandbox_control("POST", "/sandbox/clock/advance", {"seconds": 400 * 86400})
    with pytest.raises(InvalidTokenError) as error:
        tiktok.client.get_warehouses()
    assert error.value.code == 36004001 and tiktok.tokens.refresh_count == 0
    grant = tiktok.store.load(tiktok.shop.id)
    tiktok.store.save(tiktok.shop.id, grant.model_copy(update={"refresh_token_expire_in": int(time.time()) - 1}))
    with pytest.raises(NotAuthorized):
        tiktok.tokens.refresh(tiktok.shop.id, grant.access_token)
    tiktok.store.forget(tiktok.shop.id)
    with pytest.raises(NotAuthorized):
        tiktok.client.get_warehouses()


def test_missing_scope(tiktok):
    narrow = tiktok.sandbox_control("POST", "/sandbox/tokens", {"scopes": ["seller.product.basic"]})
    tiktok.store.save(tiktok.shop.id, TokenGrant.model_validate(narrow))
    assert tiktok.client.get_categories(category_version="v2")
    with pytest.raises(ScopeError) as error:
        tiktok.client.get_warehouses()
    assert error.value.code == 105005 and error.value.http_status == 403


def test_server_429_becomes_a_retry_time_and_cools_the_shop_down(connect):
    tiktok = connect(limiter=make_rate_limiter(10_000, burst=1_000), app_settings={"default_retry_after_seconds": 30})
    tiktok.sandbox_control("POST", "/sandbox/faults", {"queue": [{"kind": "throttle", "path": WAREHOUSES, "count": 1}]})
    with pytest.raises(RateLimited) as throttled:
        tiktok.client.get_warehouses()
    assert throttled.value.http_status == 429 and throttled.value.code == 36009002
    assert throttled.value.retry_after == 30  # TikTok sends no Retry-After: the configured default
    served = tiktok.sandbox_control("GET", "/sandbox/state")["rate_limit"]["allowed"]
    # The whole shop waits: another endpoint is refused locally, without reaching TikTok.
    with pytest.raises(RateLimited) as held:
        tiktok.client.get_categories(category_version="v2")
    assert held.value.http_status is None and 0 < held.value.retry_after <= 30
    assert tiktok.sandbox_control("GET", "/sandbox/state")["rate_limit"]["allowed"] == served


def test_sandbox_rate_limit_without_a_local_limiter_answers_429(connect):
    tiktok = connect()
    tiktok.transport.limiter = None
    tiktok.sandbox_control("PUT", "/sandbox/rate_limit", {"per_second": 1})
    outcomes = []
    while 429 not in outcomes and len(outcomes) < 50:
        try:
            tiktok.client.get_warehouses()
            outcomes.append("ok")
        except RateLimited as exc:
            outcomes.append(exc.http_status)
    assert outcomes[0] == "ok" and outcomes[-1] == 429


def test_local_limiter_keeps_the_sandbox_from_ever_throttling(connect):
    tiktok = connect(limiter=make_rate_limiter(2, burst=1))
    tiktok.sandbox_control("PUT", "/sandbox/rate_limit", {"per_second": 2})
    calls = local_refusals = 0
    while local_refusals < 3 and calls < 200:
        calls += 1
        try:
            tiktok.client.get_warehouses()
        except RateLimited as exc:
            assert exc.http_status is None and 0 < exc.retry_after <= 0.5
            local_refusals += 1
    assert local_refusals == 3
    assert tiktok.sandbox_control("GET", "/sandbox/state")["rate_limit"]["throttled"] == 0


def test_5xx_and_timeouts_are_retryable(connect):
    tiktok = connect(app_settings={"timeout_seconds": 0.3})
    tiktok.sandbox_control(
        "POST",
        "/sandbox/faults",
        {
            "timeout_seconds": 1.0,
            "queue": [
                {"kind": "error", "path": WAREHOUSES, "count": 1},
                {"kind": "timeout", "path": WAREHOUSES, "count": 1},
            ],
        },
    )
    with pytest.raises(RetryableError) as server_error:
        tiktok.client.get_warehouses()
    assert server_error.value.http_status == 500 and server_error.value.code == 36009003
    with pytest.raises(RetryableError) as timeout:
        tiktok.client.get_warehouses()
    assert "timeout" in str(timeout.value) and timeout.value.http_status is None
    assert tiktok.client.get_warehouses()


def test_logs_carry_request_ids_never_tokens_or_secrets(connect, caplog):
    caplog.set_level(logging.DEBUG)
    tiktok = connect()
    old = tiktok.store.load(tiktok.shop.id)
    tiktok.sandbox_control("POST", "/sandbox/tokens/expire", {"access_token": old.access_token})
    tiktok.client.get_warehouses()
    new = tiktok.store.load(tiktok.shop.id)
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "request_id=20" in text  # TikTok's ids start with the date
    for secret in (APP_SECRET, old.access_token, old.refresh_token, new.access_token, new.refresh_token):
        assert secret not in text
    assert "app_secret=[redacted]" in text  # httpx logged the token URL, scrubbed


def test_deauthorization_and_expiry_webhooks(tiktok):
    hook = Receiver()
    with serve(hook.app) as hook_base:
        for event_type in ("UPCOMING_AUTHORIZATION_EXPIRATION", "SELLER_DEAUTHORIZATION"):
            tiktok.client.update_shop_webhook(event_type, hook_base + "/hook")
        ends = tiktok.sandbox_control("POST", "/sandbox/seller/upcoming_expiration")["expiration_time"]
        tiktok.sandbox_control("POST", "/sandbox/seller/deauthorize")
        hook.wait_for(lambda bodies: {b["type"] for b in bodies} >= {6, 7})

    notices = []
    for raw in hook.received:
        assert verify_signature(APP_KEY, APP_SECRET, raw["body"], raw["authorization"])
        notices.append(handle_authorization_event(parse_event(raw["body"]), tiktok.store))
    expiring = next(n for n in notices if n.kind == "expiring")
    assert expiring.shop_id == tiktok.shop.id and expiring.expires_at == ends
    assert any(n.kind == "deauthorized" and n.shop_id == tiktok.shop.id for n in notices)
    assert tiktok.store.load(tiktok.shop.id) is None
    with pytest.raises(NotAuthorized):
        tiktok.client.get_warehouses()
