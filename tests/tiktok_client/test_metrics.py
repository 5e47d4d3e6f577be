"""Calls to TikTok are counted by endpoint (its path template, never an id) and outcome: answered, TikTok's
429 with the wait it asked for, and the requests our own limiter held back before they were sent."""

from __future__ import annotations

import pytest

from tests.support.scrape import counted, value
from tokbridge.channels.tiktok.errors import RateLimited
from tokbridge.kit.ratelimit import make_rate_limiter

WAREHOUSES = "GET /logistics/202309/warehouses"


def test_calls_429s_and_rate_limit_waits_are_counted(connect):
    tiktok = connect(limiter=make_rate_limiter(10_000, burst=1_000), app_settings={"default_retry_after_seconds": 30})
    before = counted()
    tiktok.client.get_warehouses()
    tiktok.sandbox_control(
        "POST", "/sandbox/faults", {"queue": [{"kind": "throttle", "path": WAREHOUSES.split()[1], "count": 1}]}
    )
    with pytest.raises(RateLimited):
        tiktok.client.get_warehouses()
    with pytest.raises(RateLimited):  # the shop cools down: held back here, not sent
        tiktok.client.get_warehouses()
    after = counted()

    def added(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert added("tokbridge_platform_calls_total", platform="tiktok", endpoint=WAREHOUSES, outcome="ok") == 1
    assert added("tokbridge_platform_calls_total", platform="tiktok", endpoint=WAREHOUSES, outcome="rate_limited") == 1
    assert added("tokbridge_rate_limit_waits_total", platform="tiktok", source="platform") == 1
    assert added("tokbridge_rate_limit_wait_seconds_total", platform="tiktok", source="platform") == 30
    assert added("tokbridge_rate_limit_waits_total", platform="tiktok", source="local") == 1
    assert 0 < added("tokbridge_rate_limit_wait_seconds_total", platform="tiktok", source="local") <= 30
    assert added("tokbridge_platform_call_seconds_count", platform="tiktok") == 2


def test_an_endpoint_is_counted_by_its_template_not_its_ids(tiktok):
    before = counted()
    for product_id in ("1729382256910270001", "1729382256910270002"):
        with pytest.raises(Exception):  # noqa: B017 - unknown products: refused, and still one endpoint
            tiktok.client.get_product(product_id)
    after = counted()
    endpoint = "GET /product/202309/products/{product_id}"
    assert (
        value(after, "tokbridge_platform_calls_total", platform="tiktok", endpoint=endpoint, outcome="client_error")
        - value(before, "tokbridge_platform_calls_total", platform="tiktok", endpoint=endpoint, outcome="client_error")
    ) == 2
    assert "1729382256910270001" not in after


def test_token_calls_are_counted_too(connect):
    before = counted()
    tiktok = connect()  # exchanges an auth code for the shop's tokens
    tiktok.tokens.refresh(tiktok.shop.id, tiktok.store.load(tiktok.shop.id).access_token)
    after = counted()
    for path in ("/api/v2/token/get", "/api/v2/token/refresh"):
        endpoint = f"GET {path}"
        assert (
            value(after, "tokbridge_platform_calls_total", platform="tiktok", endpoint=endpoint, outcome="ok")
            - value(before, "tokbridge_platform_calls_total", platform="tiktok", endpoint=endpoint, outcome="ok")
        ) == 1, path
