"""What Shopify's Admin schema 2026-10 refuses or has deprecated, refused and flagged the same way:
a tax line needs its rate, a country is one of the CountryCode enum, bulk operations are listed with a
filter, and a request using a deprecated field or argument is answered with Shopify's deprecation header."""

from __future__ import annotations

import httpx

from .conftest import SHOP
from .test_bulk import run_bulk
from .test_graphql import ORDER, first_level

VERSION = "2026-10"
DEPRECATED_HEADER = "X-Shopify-API-Deprecated-Reason"


def money(amount: str) -> dict:
    return {"shopMoney": {"amount": amount, "currencyCode": "USD"}}


def an_order(variant: str, **changes) -> dict:
    return {
        "sourceName": "tiktok",
        "sourceIdentifier": "576461413038785752",
        "financialStatus": "PAID",
        "lineItems": [{"variantId": variant, "quantity": 1, "priceSet": money("20.00")}],
        **changes,
    }


def store_orders(live) -> list[dict]:
    return httpx.get(f"{live.base_url}/sandbox/shops/{SHOP}/orders").json()["orders"]


def post(live, query: str, variables: dict | None = None) -> httpx.Response:
    with live.client() as client:
        response = client.post(
            f"/admin/api/{VERSION}/graphql.json", json={"query": query, "variables": variables or {}}
        )
    assert response.status_code == 200, response.text
    return response


def test_a_tax_line_without_its_rate_is_a_graphql_error_and_creates_nothing(live_sandbox):
    live = live_sandbox()
    variant = first_level(live)[0]
    untaxed_rate = an_order(variant, taxLines=[{"title": "Tax collected by TikTok Shop", "priceSet": money("1.65")}])
    refused = live.graphql(ORDER, {"order": untaxed_rate}, version=VERSION)
    assert "data" not in refused or refused["data"] is None
    [error] = refused["errors"]
    assert error["message"] == (
        "Variable $order of type OrderCreateOrderInput! was provided invalid value for "
        "taxLines.0.rate (Expected value to not be null)"
    )
    assert error["extensions"]["problems"] == [
        {"path": ["taxLines", 0, "rate"], "explanation": "Expected value to not be null"}
    ]
    on_a_line = an_order(variant)
    on_a_line["lineItems"][0]["taxLines"] = [{"title": "Sales tax", "priceSet": money("1.65")}]
    assert "rate" in live.graphql(ORDER, {"order": on_a_line}, version=VERSION)["errors"][0]["message"]
    assert store_orders(live) == []

    with_rate = an_order(
        variant, taxLines=[{"title": "Tax collected by TikTok Shop", "rate": "0.0825", "priceSet": money("1.65")}]
    )
    created = live.graphql(ORDER, {"order": with_rate}, version=VERSION)["data"]["orderCreate"]
    assert created["userErrors"] == [] and created["order"]["totalTaxSet"]["shopMoney"]["amount"] == "1.65"
    assert [t["rate"] for t in store_orders(live)[0]["tax_lines"]] == [0.0825]


def test_a_country_code_is_one_of_shopifys_country_codes(live_sandbox):
    live = live_sandbox()
    variant = first_level(live)[0]
    address = {"firstName": "Alex", "lastName": "Buyer", "address1": "1 Main St", "city": "London", "zip": "E1 6AN"}
    refused = live.graphql(
        ORDER, {"order": an_order(variant, shippingAddress={**address, "countryCode": "UK"})}, version=VERSION
    )
    assert refused.get("data") is None
    assert refused["errors"][0]["message"].startswith(
        "Variable $order of type OrderCreateOrderInput! was provided invalid value for shippingAddress.countryCode "
        '(Expected "UK" to be one of: AC, AD, AE,'
    )
    assert store_orders(live) == []
    created = live.graphql(
        ORDER, {"order": an_order(variant, shippingAddress={**address, "countryCode": "GB"})}, version=VERSION
    )["data"]["orderCreate"]
    assert created["userErrors"] == []
    assert store_orders(live)[0]["shipping_address"]["country_code"] == "GB"


PRODUCT_IDS = "{ products { edges { node { id } } } }"
BULK_LIST = """query($q: String) { bulkOperations(first: 1, query: $q, sortKey: CREATED_AT) {
  nodes { id status } pageInfo { hasNextPage } } }"""


def test_bulk_operations_are_listed_newest_first_by_status_and_the_current_one_is_deprecated(live_sandbox):
    live = live_sandbox()
    assert post(live, BULK_LIST, {"q": "operation_type:query"}).json()["data"]["bulkOperations"]["nodes"] == []
    first = run_bulk(live, PRODUCT_IDS)
    second = run_bulk(live, PRODUCT_IDS)

    newest = post(live, BULK_LIST, {"q": "operation_type:query"})
    assert DEPRECATED_HEADER not in newest.headers
    page = newest.json()["data"]["bulkOperations"]
    assert [n["id"] for n in page["nodes"]] == [second["id"]] and page["pageInfo"]["hasNextPage"] is True
    completed = post(live, BULK_LIST, {"q": "status:completed"}).json()["data"]["bulkOperations"]["nodes"]
    assert [n["status"] for n in completed] == ["COMPLETED"]
    assert post(live, BULK_LIST, {"q": "status:running"}).json()["data"]["bulkOperations"]["nodes"] == []
    assert post(live, BULK_LIST, {"q": "operation_type:mutation"}).json()["data"]["bulkOperations"]["nodes"] == []
    assert first["id"] != second["id"]

    # Still served, as Shopify still serves it, with Shopify's deprecation header.
    current = post(live, "{ currentBulkOperation(type: QUERY) { id } }")
    assert current.json()["data"]["currentBulkOperation"]["id"] == second["id"]
    assert current.headers[DEPRECATED_HEADER].startswith("https://shopify.dev/")


CANCEL_WITH = """mutation Cancel($id: ID!) {
  orderCancel(orderId: $id, reason: OTHER, %s, restock: true, notifyCustomer: false) {
    job { id } orderCancelUserErrors { field message code } } }"""


def test_order_cancel_takes_a_refund_method_and_flags_the_old_refund_flag(live_sandbox):
    live = live_sandbox()
    variant = first_level(live)[0]
    ids = []
    for number in ("1", "2"):
        created = live.graphql(ORDER, {"order": an_order(variant, sourceIdentifier=number)}, version=VERSION)
        ids.append(created["data"]["orderCreate"]["order"]["id"])
    modern = post(live, CANCEL_WITH % "refundMethod: {originalPaymentMethodsRefund: false}", {"id": ids[0]})
    assert modern.json()["data"]["orderCancel"]["orderCancelUserErrors"] == []
    assert DEPRECATED_HEADER not in modern.headers
    old = post(live, CANCEL_WITH % "refund: false", {"id": ids[1]})
    assert old.json()["data"]["orderCancel"]["orderCancelUserErrors"] == []
    assert DEPRECATED_HEADER in old.headers
    assert all(o["cancelled_at"] for o in store_orders(live))
