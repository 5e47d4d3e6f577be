"""Faults that strike after a mutation ran: the order exists or the stock moved, the answer is lost or late."""

from __future__ import annotations

import time

import httpx
import pytest

from .conftest import SHOP, VERSION
from .test_graphql import ORDER, first_level, stock

ADJUST = """mutation($input: InventoryAdjustQuantitiesInput!, $key: String!) {
  inventoryAdjustQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { changes { name delta } } userErrors { field code }
  }
}"""


def _post(live, query: str, variables: dict, timeout: float = 10.0) -> httpx.Response:
    with live.client() as client:
        return client.post(
            f"/admin/api/{VERSION}/graphql.json", json={"query": query, "variables": variables}, timeout=timeout
        )


def _orders(live) -> list[dict]:
    return httpx.get(f"{live.base_url}/sandbox/shops/{SHOP}/orders").json()["orders"]


def _faults(live, **settings) -> dict:
    answer = httpx.put(f"{live.base_url}/sandbox/faults", json=settings)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_dropped_order_create_answer_comes_after_the_order_exists(live_sandbox):
    live = live_sandbox()
    variant, *_ = first_level(live)
    _faults(live, answer_script=["drop_answer"])
    assert live.graphql("{ shop { name } }")["data"]  # a query passes: only the chosen writes are struck
    line = {"variantId": variant, "quantity": 1}
    lost = _post(live, ORDER, {"order": {"sourceIdentifier": "t-1", "lineItems": [line]}})
    assert lost.status_code == 502
    assert [o["source_identifier"] for o in _orders(live)] == ["t-1"]  # created, though the caller heard 502
    assert _post(live, ORDER, {"order": {"sourceIdentifier": "t-2", "lineItems": [line]}}).status_code == 200


def test_inventory_answers_time_out_or_come_late_after_the_stock_moved(live_sandbox):
    live = live_sandbox()
    _variant, item, location, available = first_level(live)
    _faults(live, answer_script=["timeout_answer", "delay_answer"], timeout_seconds=1, delay_seconds=0.3)
    change = {
        "name": "available",
        "reason": "correction",
        "changes": [{"inventoryItemId": item, "locationId": location, "delta": -2}],
    }
    with pytest.raises(httpx.ReadTimeout):
        _post(live, ADJUST, {"input": change, "key": "k-1"}, timeout=0.3)
    assert stock(live, item, location)["available"] == available - 2
    started = time.monotonic()
    again = _post(live, ADJUST, {"input": change, "key": "k-1"})  # the caller's retry: same key, applied once
    assert again.status_code == 200 and time.monotonic() - started >= 0.3
    assert stock(live, item, location)["available"] == available - 2


def test_answer_faults_by_rate_repeat_with_the_seed(live_sandbox):
    live = live_sandbox()
    variant, *_ = first_level(live)

    def run(prefix: str) -> list[int]:
        _faults(live, drop_answer_rate=0.5, seed=5)
        return [
            _post(
                live,
                ORDER,
                {"order": {"sourceIdentifier": f"{prefix}{n}", "lineItems": [{"variantId": variant, "quantity": 1}]}},
            ).status_code
            for n in range(10)
        ]

    first = run("a")
    assert 0 < first.count(502) < 10
    assert run("b") == first
    assert len(_orders(live)) == 20  # every one created, whatever its answer


def test_bad_answer_fault_settings_are_refused(live_sandbox):
    live = live_sandbox()
    for bad in ({"answer_script": ["lose"]}, {"drop_answer_rate": 2}, {"answer_fault_fields": "orderCreate"}):
        assert httpx.put(f"{live.base_url}/sandbox/faults", json=bad).status_code == 400
