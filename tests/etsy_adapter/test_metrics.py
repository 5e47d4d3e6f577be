"""Calls to Etsy are counted by method and path template (ids left out) and outcome, with Etsy's 429s and
the requests our limiter held back."""

from __future__ import annotations

import pytest

from tests.etsy_adapter.test_stock import limits
from tests.support.scrape import counted, value
from tokbridge.kit import errors
from tokbridge.kit.metrics import path_template


def test_calls_429s_and_waits_are_counted_by_path_template(live_etsy):
    etsy = live_etsy(frozen_clock=True, rate_limit_per_second=2)  # the sandbox's second never ends
    path = f"/shops/{etsy.config.shop_id}"
    before = counted()
    with etsy.client() as other_worker:  # another process of the same app spends this second's quota
        other_worker.get(path, what="the shop")
        other_worker.get(path, what="the shop")
    client = etsy.client(limits=limits())
    with pytest.raises(errors.RetryableError):
        client.get(path, what="the shop")  # Etsy's 429
    with pytest.raises(errors.RetryableError):
        client.get(path, what="the shop")  # held here
    after = counted()

    def added(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    endpoint = "GET /v3/application/shops/{id}"
    assert added("tokbridge_platform_calls_total", platform="etsy", endpoint=endpoint, outcome="ok") == 2
    assert added("tokbridge_platform_calls_total", platform="etsy", endpoint=endpoint, outcome="rate_limited") == 1
    assert added("tokbridge_rate_limit_waits_total", platform="etsy", source="platform") == 1
    assert added("tokbridge_rate_limit_waits_total", platform="etsy", source="local") == 1
    assert str(etsy.config.shop_id) not in after


@pytest.mark.parametrize(
    "path, template",
    [
        ("/v3/application/shops/40123456/listings/777/inventory", "/v3/application/shops/{id}/listings/{id}/inventory"),
        ("/v3/application/users/me", "/v3/application/users/me"),
        ("/v3/application/listings/batch", "/v3/application/listings/batch"),
    ],
)
def test_a_path_template_keeps_words_and_drops_ids(path, template):
    assert path_template(path) == template
