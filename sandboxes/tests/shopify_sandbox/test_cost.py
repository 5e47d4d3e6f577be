"""Query cost, the leaky bucket, THROTTLED answers and injected faults."""

from __future__ import annotations

import httpx

from .conftest import SHOP, VERSION

TEN_TITLES = "{ products(first: 10) { nodes { id title } } }"


def test_cost_is_requested_up_front_and_refunded_to_the_actual(live_sandbox):
    live = live_sandbox(catalog_size=3)
    cost = live.graphql(TEN_TITLES)["extensions"]["cost"]
    # A connection costs 2 plus `first` times one node (an object: 1); 3 products came back.
    assert cost["requestedQueryCost"] == 12 and cost["actualQueryCost"] == 5
    assert cost["throttleStatus"] == {"maximumAvailable": 2000.0, "currentlyAvailable": 1995, "restoreRate": 100.0}
    nested = live.graphql(
        "{ shop { name } products(first: 2) { edges { node { id variants(first: 10) { nodes { sku selectedOptions { name } } } } } } }"
    )
    # shop 1 + products 2 + 2 * (1 + variants (2 + 10 * (1 + selectedOptions 1)))
    assert nested["extensions"]["cost"]["requestedQueryCost"] == 1 + 2 + 2 * (1 + 2 + 10 * 2)
    mutation = live.graphql(
        'mutation { webhookSubscriptionCreate(topic: PRODUCTS_UPDATE, webhookSubscription: {uri: "https://a.example/h"}) { userErrors { message } } }'
    )
    assert mutation["extensions"]["cost"]["requestedQueryCost"] == 10


def test_an_empty_bucket_answers_throttled_until_the_clock_restores_it(live_sandbox):
    live = live_sandbox(catalog_size=3, bucket_size=30, restore_rate=5)
    answers = [live.graphql(TEN_TITLES) for _ in range(8)]
    throttled = [a for a in answers if "errors" in a]
    assert throttled, "the bucket of 30 points cannot pay for eight queries of 12"
    first = throttled[0]
    assert first["errors"][0]["extensions"]["code"] == "THROTTLED" and first["errors"][0]["message"] == "Throttled"
    assert first["extensions"]["cost"]["actualQueryCost"] is None
    assert first["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] < 12
    httpx.post(f"{live.base_url}/sandbox/clock", json={"seconds": 3})  # 3 s x 5 points/s
    assert "errors" not in live.graphql(TEN_TITLES)


def test_a_query_over_the_single_query_limit_is_refused(live_sandbox):
    live = live_sandbox()
    answer = live.graphql("{ products(first: 250) { nodes { id variants(first: 250) { nodes { id } } } } }")
    assert answer["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    too_big = live.graphql("{ products(first: 251) { nodes { id } } }")
    assert "251" in too_big["errors"][0]["message"]


def test_injected_faults_are_answered_in_order(live_sandbox):
    live = live_sandbox()
    httpx.put(f"{live.base_url}/sandbox/faults", json={"script": ["429", "503", "500"], "retry_after": "1.5"})
    with live.client() as client:
        url = f"/admin/api/{VERSION}/graphql.json"
        statuses = [client.post(url, json={"query": "{ shop { name } }"}) for _ in range(4)]
    assert [r.status_code for r in statuses] == [429, 503, 500, 200]
    assert statuses[0].headers["Retry-After"] == "1.5"
    assert httpx.put(f"{live.base_url}/sandbox/faults", json={"script": ["418"]}).status_code == 400


def test_timeouts_hold_the_answer(live_sandbox):
    live = live_sandbox()
    httpx.put(f"{live.base_url}/sandbox/faults", json={"script": ["timeout"], "timeout_seconds": 1})
    try:
        httpx.post(
            f"{live.base_url}/admin/api/{VERSION}/graphql.json",
            json={"query": "{ shop { name } }"},
            headers={"X-Shopify-Access-Token": live.token},
            timeout=0.3,
        )
    except httpx.ReadTimeout:
        pass
    else:
        raise AssertionError("the sandbox answered instead of timing out")


def test_bucket_can_be_drained_from_the_control_api(live_sandbox):
    live = live_sandbox()
    status = httpx.post(f"{live.base_url}/sandbox/shops/{SHOP}/bucket", json={"drain": 1995}).json()
    assert status["currentlyAvailable"] == 5
    assert live.graphql(TEN_TITLES)["errors"][0]["extensions"]["code"] == "THROTTLED"
