"""Admin GraphQL reads and writes, with Shopify's names, userErrors and search syntax."""

from __future__ import annotations

import httpx

from .conftest import SHOP

PAGE = """query Page($after: String, $q: String) {
  products(first: 5, after: $after, query: $q) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id title status updatedAt variants(first: 50) { nodes { id sku } } } }
  }
}"""

FIRST_LEVEL = """{ products(first: 1) { nodes { id variants(first: 1) { nodes { id inventoryItem { id
  inventoryLevels(first: 5) { nodes { location { id } quantities(names: ["available", "on_hand"]) { name quantity } } } } } } } } }"""

SET = """mutation Set($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { reason changes { name delta item { id } location { id } } }
    userErrors { field message code }
  }
}"""

ORDER = """mutation Create($order: OrderCreateOrderInput!, $options: OrderCreateOptionsInput) {
  orderCreate(order: $order, options: $options) {
    order { id name sourceName sourceIdentifier displayFulfillmentStatus
      totalPriceSet { shopMoney { amount currencyCode } } totalTaxSet { shopMoney { amount } }
      totalDiscountsSet { shopMoney { amount } } discountCodes
      shippingLines(first: 5) { nodes { title originalPriceSet { shopMoney { amount } } } }
      lineItems(first: 5) { nodes { sku quantity variant { id } } }
      fulfillmentOrders(first: 5) { nodes { id status assignedLocation { location { id } } lineItems(first: 5) { nodes { remainingQuantity } } } } }
    userErrors { field message code }
  }
}"""

CANCEL = """mutation Cancel($id: ID!) {
  orderCancel(orderId: $id, reason: CUSTOMER, refund: true, restock: true, notifyCustomer: false) {
    job { id done } orderCancelUserErrors { field message code }
  }
}"""


def test_an_inventory_level_is_found_by_its_id(live_sandbox):
    live = live_sandbox()
    _variant, item, location, available = first_level(live)
    level_id = f"gid://shopify/InventoryLevel/{location.rsplit('/', 1)[1]}?inventory_item_id={item.rsplit('/', 1)[1]}"
    query = (
        'query($id: ID!) { inventoryLevel(id: $id) { id item { id } quantities(names: ["available"]) { quantity } } }'
    )
    level = live.graphql(query, {"id": level_id})["data"]["inventoryLevel"]
    assert level == {"id": level_id, "item": {"id": item}, "quantities": [{"quantity": available}]}
    assert "Invalid global id" in live.graphql(query, {"id": "gid://shopify/Product/1"})["errors"][0]["message"]


def first_level(live) -> tuple[str, str, str, int]:
    product = live.graphql(FIRST_LEVEL)["data"]["products"]["nodes"][0]
    variant = product["variants"]["nodes"][0]
    level = variant["inventoryItem"]["inventoryLevels"]["nodes"][0]
    available = next(q["quantity"] for q in level["quantities"] if q["name"] == "available")
    return variant["id"], variant["inventoryItem"]["id"], level["location"]["id"], available


def stock(live, item_gid: str, location_gid: str) -> dict:
    products = httpx.get(f"{live.base_url}/sandbox/shops/{SHOP}/products", params={"limit": 100}).json()["products"]
    item, location = int(item_gid.rsplit("/", 1)[1]), int(location_gid.rsplit("/", 1)[1])
    return next(
        s for p in products for s in p["stock"] if s["inventory_item_id"] == item and s["location_id"] == location
    )


def test_products_page_through_the_whole_catalog_in_id_order(live_sandbox):
    live = live_sandbox(catalog_size=12)
    seen, after = [], None
    while True:
        page = live.graphql(PAGE, {"after": after})["data"]["products"]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    numbers = [int(gid.rsplit("/", 1)[1]) for gid in seen]
    assert len(seen) == 12 and numbers == sorted(numbers) and all(g.startswith("gid://shopify/Product/") for g in seen)


def test_updated_at_filter_returns_only_newer_products_and_warns_on_unknown_fields(live_sandbox):
    live = live_sandbox(catalog_size=40)
    everything = []
    after = None
    while True:
        page = live.graphql(PAGE, {"after": after})["data"]["products"]
        everything += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    stamps = sorted(p["updatedAt"] for p in everything)
    middle = stamps[len(stamps) // 2]
    newer_query = "query($q: String) { products(first: 50, query: $q) { edges { node { id updatedAt } } } }"
    answer = live.graphql(newer_query, {"q": f"updated_at:>'{middle}' colour:red"})
    newer = answer["data"]["products"]["edges"]
    assert newer and all(e["node"]["updatedAt"] > middle for e in newer)
    assert len(newer) == sum(1 for s in stamps if s > middle)
    assert answer["extensions"]["search"][0]["warnings"][0]["field"] == "colour"


def test_variants_are_found_by_sku_and_paged_across_products(live_sandbox):
    live = live_sandbox(catalog_size=8)
    query = """query($q: String, $after: String) { productVariants(first: 4, after: $after, query: $q) {
        pageInfo { hasNextPage endCursor } nodes { id sku product { id } } } }"""
    seen, after = [], None
    while True:
        page = live.graphql(query, {"after": after})["data"]["productVariants"]
        seen += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    numbers = [int(v["id"].rsplit("/", 1)[1]) for v in seen]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    products = httpx.get(f"{live.base_url}/sandbox/shops/{SHOP}/products", params={"limit": 8}).json()["products"]
    assert len(seen) == sum(len(p["variants"]) for p in products)
    wanted = next(v for v in seen if v["sku"])
    found = live.graphql(query, {"q": f"sku:{wanted['sku']}"})["data"]["productVariants"]["nodes"]
    assert wanted in found and all(v["sku"] == wanted["sku"] for v in found)


def test_a_connection_without_first_or_last_is_refused(live_sandbox):
    live = live_sandbox()
    answer = live.graphql("{ products { nodes { id } } }")
    assert answer["errors"][0]["message"] == "you must provide one of first or last"
    assert "data" not in answer


def test_missing_scope_is_access_denied(live_sandbox):
    live = live_sandbox()
    token = httpx.post(f"{live.base_url}/sandbox/shops/{SHOP}/tokens", json={"scopes": ["read_products"]}).json()[
        "access_token"
    ]
    answer = live.graphql("{ orders(first: 1) { nodes { id } } }", token=token)
    assert answer["data"] is None
    assert answer["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"


def test_inventory_set_quantities_compares_and_is_idempotent(live_sandbox):
    live = live_sandbox()
    _variant, item, location, available = first_level(live)
    quantity = {
        "inventoryItemId": item,
        "locationId": location,
        "quantity": available + 7,
        "changeFromQuantity": available,
    }
    data = {
        "name": "available",
        "reason": "correction",
        "referenceDocumentUri": "gid://tokbridge/Sync/1",
        "quantities": [quantity],
    }
    done = live.graphql(SET, {"input": data, "key": "key-1"})["data"]["inventorySetQuantities"]
    assert done["userErrors"] == []
    assert {c["name"]: c["delta"] for c in done["inventoryAdjustmentGroup"]["changes"]} == {
        "available": 7,
        "on_hand": 7,
    }
    assert stock(live, item, location)["available"] == available + 7

    # The merchant changes the stock; a replay of key-1 returns the first answer and changes nothing.
    httpx.put(
        f"{live.base_url}/sandbox/shops/{SHOP}/inventory",
        json={"inventory_item_id": item, "location_id": location, "available": 3},
    )
    assert stock(live, item, location)["available"] == 3
    replay = live.graphql(SET, {"input": data, "key": "key-1"})["data"]["inventorySetQuantities"]
    assert replay == done and stock(live, item, location)["available"] == 3

    stale = live.graphql(SET, {"input": data, "key": "key-2"})["data"]["inventorySetQuantities"]
    assert stale["inventoryAdjustmentGroup"] is None
    assert stale["userErrors"][0]["code"] == "CHANGE_FROM_QUANTITY_STALE"
    assert stale["userErrors"][0]["field"] == ["input", "quantities", "0", "changeFromQuantity"]

    mismatch = live.graphql(SET, {"input": {**data, "reason": "restock"}, "key": "key-1"})["data"][
        "inventorySetQuantities"
    ]
    assert mismatch["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"

    unchecked = {**data, "quantities": [{**quantity, "changeFromQuantity": None, "quantity": 11}]}
    assert live.graphql(SET, {"input": unchecked, "key": "key-3"})["data"]["inventorySetQuantities"]["userErrors"] == []
    assert stock(live, item, location)["available"] == 11

    without_change_from = {**data, "quantities": [{k: v for k, v in quantity.items() if k != "changeFromQuantity"}]}
    refused = live.graphql(SET, {"input": without_change_from, "key": "key-4"})["data"]["inventorySetQuantities"]
    assert refused["userErrors"][0]["field"][-1] == "changeFromQuantity"

    no_key = live.graphql(
        SET.replace(" @idempotent(key: $key)", "").replace(", $key: String!", ""), {"input": unchecked}
    )
    assert "@idempotent" in no_key["errors"][0]["message"]

    bad = {**data, "name": "sold", "quantities": [{**quantity, "locationId": "gid://shopify/Location/1"}]}
    codes = {
        e["code"]
        for e in live.graphql(SET, {"input": bad, "key": "key-5"})["data"]["inventorySetQuantities"]["userErrors"]
    }
    assert codes == {"INVALID_NAME", "INVALID_LOCATION"}


def test_before_2026_04_change_from_quantity_is_optional_but_still_checked(live_sandbox):
    live = live_sandbox()
    _variant, item, location, available = first_level(live)
    query = SET.replace(" @idempotent(key: $key)", "").replace(", $key: String!", "")
    data = {
        "name": "available",
        "reason": "correction",
        "quantities": [{"inventoryItemId": item, "locationId": location, "quantity": 5}],
    }
    assert live.graphql(query, {"input": data}, version="2026-01")["data"]["inventorySetQuantities"]["userErrors"] == []
    data["quantities"][0] |= {"quantity": 6, "changeFromQuantity": 4}
    refused = live.graphql(query, {"input": data}, version="2026-01")["data"]["inventorySetQuantities"]
    assert refused["userErrors"][0]["code"] == "CHANGE_FROM_QUANTITY_STALE"


def test_order_create_decrements_stock_and_cancel_restocks(live_sandbox):
    live = live_sandbox()
    variant, item, location, available = first_level(live)
    httpx.put(
        f"{live.base_url}/sandbox/shops/{SHOP}/inventory",
        json={"inventory_item_id": item, "location_id": location, "available": 50},
    )
    money = lambda amount: {"shopMoney": {"amount": amount, "currencyCode": "USD"}}  # noqa: E731
    order_input = {
        "sourceName": "tiktok",
        "sourceIdentifier": "576461413038785752",
        "email": "buyer@example.com",
        "lineItems": [
            {
                "variantId": variant,
                "quantity": 2,
                "priceSet": money("20.00"),
                "taxLines": [{"title": "State tax", "rate": 0.08, "priceSet": money("3.20")}],
            }
        ],
        "shippingLines": [{"title": "TikTok Shipping", "code": "STANDARD", "priceSet": money("4.99")}],
        "discountCode": {"itemFixedDiscountCode": {"code": "TIKTOK5", "amountSet": money("5.00")}},
        "financialStatus": "PAID",
        "tags": ["TikTok"],
        "name": "TT-576461413038785752",
    }
    created = live.graphql(
        ORDER, {"order": order_input, "options": {"inventoryBehaviour": "DECREMENT_IGNORING_POLICY"}}
    )
    payload = created["data"]["orderCreate"]
    assert payload["userErrors"] == []
    order = payload["order"]
    assert order["sourceName"] == "tiktok" and order["sourceIdentifier"] == "576461413038785752"
    assert order["name"] == "TT-576461413038785752"
    found = live.graphql('{ orders(first: 5, query: "source_identifier:576461413038785752") { nodes { id } } }')
    assert [n["id"] for n in found["data"]["orders"]["nodes"]] == [order["id"]]
    assert order["totalPriceSet"]["shopMoney"] == {"amount": "43.19", "currencyCode": "USD"}  # 40 - 5 + 4.99 + 3.20
    assert order["totalTaxSet"]["shopMoney"]["amount"] == "3.20" and order["discountCodes"] == ["TIKTOK5"]
    assert order["displayFulfillmentStatus"] == "UNFULFILLED"
    fulfillment_order = order["fulfillmentOrders"]["nodes"][0]
    assert (
        fulfillment_order["status"] == "OPEN" and fulfillment_order["lineItems"]["nodes"][0]["remainingQuantity"] == 2
    )
    level = stock(live, item, location)
    assert (level["available"], level["committed"]) == (48, 2)

    cancelled = live.graphql(CANCEL, {"id": order["id"]})["data"]["orderCancel"]
    assert cancelled["orderCancelUserErrors"] == [] and cancelled["job"]["id"].startswith("gid://shopify/Job/")
    job = live.graphql("query($id: ID!) { job(id: $id) { done } }", {"id": cancelled["job"]["id"]})
    assert job["data"]["job"]["done"] is True
    level = stock(live, item, location)
    assert (level["available"], level["committed"]) == (50, 0)
    again = live.graphql(CANCEL, {"id": order["id"]})["data"]["orderCancel"]
    assert again["job"] is None and again["orderCancelUserErrors"][0]["code"] == "INVALID"

    # Without a decrement (BYPASS, the default) nothing is committed, so a restock gives nothing back.
    bypass = live.graphql(ORDER, {"order": {**order_input, "sourceIdentifier": "2"}})["data"]["orderCreate"]["order"]
    assert (stock(live, item, location)["available"], stock(live, item, location)["committed"]) == (50, 0)
    live.graphql(CANCEL, {"id": bypass["id"]})
    assert (stock(live, item, location)["available"], stock(live, item, location)["committed"]) == (50, 0)


PRESENTMENT = """mutation Create($order: OrderCreateOrderInput!) {
  orderCreate(order: $order) {
    order { id currencyCode presentmentCurrencyCode
      totalPriceSet { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } } }
    userErrors { field message code }
  }
}"""


def test_an_order_in_the_buyers_currency_keeps_both_amounts_and_another_shop_currency_is_refused(live_sandbox):
    live = live_sandbox()
    variant, _item, _location, _available = first_level(live)

    def bag(usd: str, gbp: str | None) -> dict:
        money = {"shopMoney": {"amount": usd, "currencyCode": "USD"}}
        return {**money, "presentmentMoney": {"amount": gbp, "currencyCode": "GBP"}} if gbp else money

    order_input = {
        "sourceName": "tiktok",
        "sourceIdentifier": "uk-1",
        "currency": "USD",
        "presentmentCurrency": "GBP",
        "lineItems": [
            {
                "variantId": variant,
                "quantity": 2,
                "priceSet": bag("25.00", "20.00"),
                "taxLines": [{"title": "VAT", "rate": 0.2, "priceSet": bag("10.00", "8.00")}],
            }
        ],
        "shippingLines": [{"title": "TikTok Shipping", "priceSet": bag("5.00", "4.00")}],
    }
    payload = live.graphql(PRESENTMENT, {"order": order_input})["data"]["orderCreate"]
    assert payload["userErrors"] == []
    order = payload["order"]
    assert (order["currencyCode"], order["presentmentCurrencyCode"]) == ("USD", "GBP")
    assert order["totalPriceSet"] == {
        "shopMoney": {"amount": "65.00", "currencyCode": "USD"},
        "presentmentMoney": {"amount": "52.00", "currencyCode": "GBP"},
    }

    # The order's own currency is the shop's; an amount without the buyer's side is refused.
    other = live.graphql(PRESENTMENT, {"order": {**order_input, "sourceIdentifier": "uk-2", "currency": "GBP"}})
    refused = other["data"]["orderCreate"]
    assert refused["order"] is None and refused["userErrors"][0]["field"] == ["order", "currency"]
    half = {
        **order_input,
        "sourceIdentifier": "uk-3",
        "shippingLines": [{"title": "TikTok Shipping", "priceSet": bag("5.00", None)}],
    }
    refused = live.graphql(PRESENTMENT, {"order": half})["data"]["orderCreate"]
    assert refused["order"] is None
    assert refused["userErrors"][0]["field"] == ["order", "shippingLines", "0", "priceSet", "presentmentMoney"]


def test_order_create_reports_user_errors(live_sandbox):
    live = live_sandbox()
    bad_variant = {"lineItems": [{"variantId": "gid://shopify/ProductVariant/1", "quantity": 1}]}
    errors = live.graphql(ORDER, {"order": bad_variant})["data"]["orderCreate"]
    assert errors["order"] is None
    assert errors["userErrors"][0]["field"] == ["order", "lineItems", "0", "variantId"]
    empty = live.graphql(ORDER, {"order": {"lineItems": []}})["data"]["orderCreate"]
    assert empty["userErrors"][0]["code"] == "INVALID"


def test_merchant_fulfilment_shows_in_the_api(live_sandbox):
    live = live_sandbox()
    variant, *_ = first_level(live)
    order = live.graphql(ORDER, {"order": {"lineItems": [{"variantId": variant, "quantity": 1}]}})["data"][
        "orderCreate"
    ]["order"]
    number = order["id"].rsplit("/", 1)[1]
    shipped = httpx.post(
        f"{live.base_url}/sandbox/shops/{SHOP}/orders/{number}/fulfill",
        json={"company": "UPS", "number": "1Z999AA10123456784", "url": "https://ups.example/t"},
    )
    assert shipped.status_code == 201
    answer = live.graphql(
        """query($id: ID!) { order(id: $id) { displayFulfillmentStatus
        fulfillments(first: 5) { status trackingInfo(first: 1) { company number }
          fulfillmentLineItems(first: 5) { nodes { quantity lineItem { variant { id } } } } }
        fulfillmentOrders(first: 5) { nodes { status assignedLocation { name location { id } }
          lineItems(first: 5) { nodes { remainingQuantity lineItem { quantity } } } } } } }""",
        {"id": order["id"]},
    )["data"]["order"]
    assert answer["displayFulfillmentStatus"] == "FULFILLED"
    assert answer["fulfillments"][0]["trackingInfo"] == [{"company": "UPS", "number": "1Z999AA10123456784"}]
    assert answer["fulfillmentOrders"]["nodes"][0]["status"] == "CLOSED"
    assert answer["fulfillmentOrders"]["nodes"][0]["lineItems"]["nodes"][0] == {
        "remainingQuantity": 0,
        "lineItem": {"quantity": 1},
    }
    assert answer["fulfillments"][0]["fulfillmentLineItems"]["nodes"] == [
        {"quantity": 1, "lineItem": {"variant": {"id": variant}}}
    ]
    refused = httpx.post(f"{live.base_url}/sandbox/shops/{SHOP}/orders/{number}/cancel", json={"reason": "customer"})
    assert refused.status_code == 422


def test_bad_requests_get_shopify_shaped_4xx(live_sandbox):
    live = live_sandbox()
    with live.client() as client:
        not_json = client.post(
            "/admin/api/2026-07/graphql.json", content=b"{nope", headers={"Content-Type": "application/json"}
        )
        assert not_json.status_code == 400 and "errors" in not_json.json()
        assert client.post("/admin/api/latest/graphql.json", json={"query": "{ shop { name } }"}).status_code == 404
        unknown_shop = client.post(
            "/shops/nobody.myshopify.com/admin/api/2026-07/graphql.json", json={"query": "{ shop { name } }"}
        )
        assert unknown_shop.status_code == 404
    syntax = live.graphql("{ products(first: 1) { nodes { id ")
    assert "Syntax Error" in syntax["errors"][0]["message"]
    bad_name = live.graphql(
        "{ products(first: 1) { nodes { variants(first: 1) { nodes { inventoryItem { "
        'inventoryLevels(first: 1) { nodes { quantities(names: ["sold"]) { quantity } } } } } } } } }'
    )
    assert "'sold' is not valid" in bad_name["errors"][0]["message"]
    unknown_field = live.graphql("{ products(first: 1) { nodes { colour } } }")
    assert "colour" in unknown_field["errors"][0]["message"]


def test_inventory_adjust_quantities_applies_deltas_once_per_key(live_sandbox):
    live = live_sandbox()
    _variant, item, location, available = first_level(live)
    adjust = """mutation($input: InventoryAdjustQuantitiesInput!, $key: String!) {
      inventoryAdjustQuantities(input: $input) @idempotent(key: $key) {
        inventoryAdjustmentGroup { changes { name delta } } userErrors { field code }
      }
    }"""
    data = {
        "name": "available",
        "reason": "correction",
        "changes": [{"inventoryItemId": item, "locationId": location, "delta": -2}],
    }
    for _ in range(2):  # a retried request with the same key applies once
        answer = live.graphql(adjust, {"input": data, "key": "adjust-1"})["data"]["inventoryAdjustQuantities"]
        assert answer["userErrors"] == [] and answer["inventoryAdjustmentGroup"]["changes"] == [
            {"name": "available", "delta": -2}
        ]
    assert stock(live, item, location)["available"] == available - 2
    wrong = {**data, "name": "on_hand"}
    refused = live.graphql(adjust, {"input": wrong, "key": "adjust-2"})["data"]["inventoryAdjustQuantities"]
    assert refused["userErrors"][0]["code"] == "INVALID_QUANTITY_NAME"
