"""Calls to the store are counted by GraphQL operation and outcome, with Shopify's 429s and the calls the
cost bucket held back here."""

from __future__ import annotations

import pytest

from tests.support.scrape import counted, value
from tokbridge.channels.shopify import queries
from tokbridge.channels.shopify.client import operation_name
from tokbridge.channels.shopify.errors import Throttled


def test_operations_429s_and_planned_waits_are_counted(live_shop):
    shop = live_shop(frozen_clock=True)
    client = shop.client()
    before = counted()
    client.query(queries.LOCATIONS)
    shop.control("PUT", "/sandbox/faults", json={"script": ["429"], "retry_after": "2"})
    with pytest.raises(Throttled):
        client.query(queries.LOCATIONS)
    shop.control("POST", "/sandbox/shops/{shop}/bucket", json={"drain": 2000})
    with pytest.raises(Throttled):
        client.query(queries.LOCATIONS)  # THROTTLED, in a 200
    with pytest.raises(Throttled):
        client.query(queries.LOCATIONS)  # planned: the bucket is known to be empty, so not sent
    after = counted()

    def added(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    calls = {
        outcome: added(
            "tokbridge_platform_calls_total", platform="shopify", endpoint="query Locations", outcome=outcome
        )
        for outcome in ("ok", "rate_limited")
    }
    assert calls == {"ok": 1, "rate_limited": 2}
    assert added("tokbridge_rate_limit_waits_total", platform="shopify", source="platform") == 2
    assert added("tokbridge_rate_limit_wait_seconds_total", platform="shopify", source="platform") > 2
    assert added("tokbridge_rate_limit_waits_total", platform="shopify", source="local") == 1


@pytest.mark.parametrize(
    "document, name",
    [
        (queries.LOCATIONS, "query Locations"),
        (queries.ORDER_CREATE, "mutation CreateOrder"),
        ("{ shop { name } }", "query"),
        ("query { shop { name } }", "query"),
    ],
)
def test_an_operation_is_named_by_its_graphql_name(document, name):
    assert operation_name(document) == name
