"""Bulk query operations: status, JSONL with __parentId, served over HTTP, finish webhook."""

from __future__ import annotations

import json

import httpx
import pytest

from tokbridge_sandboxes.shopify import parallel

from .conftest import SHOP

RUN = """mutation Run($query: String!) {
  bulkOperationRunQuery(query: $query, groupObjects: false) { bulkOperation { id status } userErrors { field message code } }
}"""
POLL = """query($id: ID!) { node(id: $id) { ... on BulkOperation { id status objectCount rootObjectCount fileSize url errorCode } } }"""
CATALOG = """{ products(query: "status:active") { edges { node { id title __typename
  variants { edges { node { id sku price __typename inventoryItem { id tracked } selectedOptions { name value } } } }
  media { edges { node { ... on MediaImage { id image { url width height } } } } }
  collections { nodes { id title } }
  metafields { nodes { id namespace key value } }
} } } }"""


def run_bulk(live, query: str) -> dict:
    started = live.graphql(RUN, {"query": query})["data"]["bulkOperationRunQuery"]
    assert started["userErrors"] == [], started
    assert started["bulkOperation"]["status"] in {"CREATED", "RUNNING"}
    operation_id = started["bulkOperation"]["id"]
    return live.wait_until(
        lambda: (lambda op: op if op["status"] == "COMPLETED" else None)(
            live.graphql(POLL, {"id": operation_id})["data"]["node"]
        ),
        timeout=20,
        what="bulk operation",
    )


def test_bulk_query_writes_shopify_jsonl_and_serves_it(live_sandbox, receiver):
    live = live_sandbox(catalog_size=25, app_webhook_uri="")
    subscribe = (
        'mutation { webhookSubscriptionCreate(topic: BULK_OPERATIONS_FINISH, webhookSubscription: {uri: "%s"}) '
        "{ userErrors { message } } }" % receiver.url
    )
    assert live.graphql(subscribe)["data"]["webhookSubscriptionCreate"]["userErrors"] == []
    operation = run_bulk(live, CATALOG)
    assert operation["url"] and int(operation["objectCount"]) > int(operation["rootObjectCount"]) > 0

    response = httpx.get(operation["url"])
    assert response.status_code == 200
    lines = response.text.splitlines()
    rows = [json.loads(line) for line in lines]
    assert len(rows) == int(operation["objectCount"]) and int(operation["fileSize"]) == len(response.content)

    products = [r for r in rows if r["id"].startswith("gid://shopify/Product/")]
    variants = [r for r in rows if r["id"].startswith("gid://shopify/ProductVariant/")]
    media = [r for r in rows if r["id"].startswith("gid://shopify/MediaImage/")]
    metafields = [r for r in rows if r["id"].startswith("gid://shopify/Metafield/")]
    assert len(products) == int(operation["rootObjectCount"])
    assert all("__parentId" not in p and p["__typename"] == "Product" for p in products)
    product_ids = {p["id"] for p in products}
    variant_ids = {v["id"] for v in variants}
    assert variants and all(v["__parentId"] in product_ids for v in variants)
    assert media and all(
        m["__parentId"] in product_ids and m["image"]["url"].endswith(".png?v=%d" % m["image"]["width"]) for m in media
    )
    assert metafields and all(m["__parentId"] in product_ids for m in metafields)
    assert all(
        v["inventoryItem"]["id"].startswith("gid://shopify/InventoryItem/") and v["selectedOptions"] for v in variants
    )
    assert variant_ids.isdisjoint(product_ids)
    # Every child comes after its parent.
    position = {row["id"]: n for n, row in enumerate(rows) if "id" in row}
    assert all(position[r["__parentId"]] < n for n, r in enumerate(rows) if "__parentId" in r)

    # The same products through the paged API agree with the file.
    active = live.graphql('{ productsCount(query: "status:active") { count precision } }')["data"]["productsCount"]
    assert active == {"count": len(products), "precision": "EXACT"}

    finished = receiver.wait_for(
        lambda got: any(r["headers"]["x-shopify-topic"] == "bulk_operations/finish" for r in got)
    )
    body = json.loads(finished[0]["body"])
    assert body["admin_graphql_api_id"] == operation["id"] and body["status"] == "completed" and body["type"] == "query"


def test_bulk_query_shape_rules_are_enforced(live_sandbox):
    live = live_sandbox()

    def errors(query: str) -> list[dict]:
        return live.graphql(RUN, {"query": query})["data"]["bulkOperationRunQuery"]["userErrors"]

    assert "at least one connection" in errors("{ shop { name } }")[0]["message"]
    too_deep = (
        "{ products { edges { node { id variants { edges { node { id inventoryItem { id "
        "inventoryLevels { edges { node { id } } } } } } } } } } }"
    )
    assert "nesting depth" in errors(too_deep)[0]["message"]
    no_parent_id = "{ products { edges { node { title variants { edges { node { id } } } } } } }"
    assert "'id' field" in errors(no_parent_id)[0]["message"]
    assert errors("{ products { edges { node { colour } } } }")[0]["code"] == "INVALID"
    assert "node" in errors('{ nodes(ids: ["gid://shopify/Product/1"]) { id } }')[0]["message"]


def test_current_bulk_operation_and_an_empty_result(live_sandbox):
    live = live_sandbox(catalog_size=4)
    operation = run_bulk(live, '{ products(query: "vendor:nobody-sells-this") { edges { node { id } } } }')
    assert operation["objectCount"] == "0" and operation["url"] is None
    current = live.graphql("{ currentBulkOperation { id status } }")["data"]["currentBulkOperation"]
    assert current == {"id": operation["id"], "status": "COMPLETED"}
    assert httpx.get(f"{live.base_url}/sandbox-bulk/not-a-token/bulk-1.jsonl").status_code == 404


def test_large_runs_written_by_several_processes_give_the_same_file(live_sandbox):
    if parallel.worker_count() < 2:
        pytest.skip("one CPU: bulk runs are never split")
    single = live_sandbox(catalog_size=60)
    split = live_sandbox(catalog_size=60, bulk_parallel_from=10)
    one = run_bulk(single, CATALOG)
    many = run_bulk(split, CATALOG)
    operation = split.sandbox.shops[SHOP].bulk_operations[int(many["id"].rsplit("/", 1)[1])]
    assert operation.writers > 1
    assert (one["objectCount"], one["rootObjectCount"], one["fileSize"]) == (
        many["objectCount"],
        many["rootObjectCount"],
        many["fileSize"],
    )
    # Same lines in the same order; only the sandbox's own address (in image URLs) differs.
    first = httpx.get(one["url"]).text.replace(single.base_url, "BASE")
    second = httpx.get(many["url"]).text.replace(split.base_url, "BASE")
    assert first == second


def test_finished_operations_cannot_be_cancelled_and_old_results_expire(live_sandbox):
    live = live_sandbox(catalog_size=3)
    query = "{ products { edges { node { id } } } }"
    finished = [run_bulk(live, query) for _ in range(6)]
    cancel = "mutation($id: ID!) { bulkOperationCancel(id: $id) { bulkOperation { status } userErrors { message } } }"
    refused = live.graphql(cancel, {"id": finished[-1]["id"]})["data"]["bulkOperationCancel"]
    assert "completed" in refused["userErrors"][0]["message"]
    oldest = live.graphql(POLL, {"id": finished[0]["id"]})["data"]["node"]
    assert oldest["status"] == "EXPIRED" and oldest["url"] is None
    assert httpx.get(finished[0]["url"]).status_code == 404
    assert httpx.get(finished[-1]["url"]).status_code == 200


def test_a_bulk_query_the_token_may_not_read_fails_with_access_denied(live_sandbox):
    live = live_sandbox(catalog_size=3)
    token = httpx.post(f"{live.base_url}/sandbox/shops/{SHOP}/tokens", json={"scopes": ["read_orders"]}).json()[
        "access_token"
    ]
    started = live.graphql(RUN, {"query": "{ products { edges { node { id } } } }"}, token=token)["data"][
        "bulkOperationRunQuery"
    ]
    operation_id = started["bulkOperation"]["id"]
    failed = live.wait_until(
        lambda: (lambda op: op if op["status"] == "FAILED" else None)(
            live.graphql(POLL, {"id": operation_id}, token=token)["data"]["node"]
        ),
        timeout=10,
        what="failed bulk operation",
    )
    assert failed["errorCode"] == "ACCESS_DENIED" and failed["url"] is None
