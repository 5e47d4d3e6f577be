"""Bad input gets a 4xx or a TikTok error code, never a 500: bodies with fields of the wrong type,
sent to every writing endpoint (seeded, so a failure reproduces)."""

from __future__ import annotations

import copy
import random

from .builders import sales_warehouse, tshirt

JUNK = [None, 1, -5, 1.5, True, "x", "", [], {}, [1], ["a"], [{}], {"a": 1}, [None], 10**30]


def _mutate(rng: random.Random, value, depth: int = 0) -> None:
    if isinstance(value, dict) and value:
        key = rng.choice(list(value))
        if rng.random() < 0.5 and depth < 4:
            _mutate(rng, value[key], depth + 1)
        else:
            value[key] = copy.deepcopy(rng.choice(JUNK))
    elif isinstance(value, list) and value:
        index = rng.randrange(len(value))
        if rng.random() < 0.5 and depth < 4:
            _mutate(rng, value[index], depth + 1)
        else:
            value[index] = copy.deepcopy(rng.choice(JUNK))


def test_malformed_bodies_never_crash_the_sandbox(sandbox_factory):
    _, _, client = sandbox_factory(rate_limit_per_second=100_000)
    warehouse, uri = sales_warehouse(client), client.upload()
    product = tshirt(client, warehouse, uri)
    created = client.ok("POST", "/product/202309/products", body=product)
    product_id, sku_id = created["product_id"], created["skus"][0]["id"]
    client.control("POST", f"/sandbox/products/{product_id}/review", {"outcome": "APPROVED"})
    order = client.control("POST", "/sandbox/orders", {"items": [{"sku_id": sku_id}]})
    client.control("POST", "/sandbox/clock/advance", {"seconds": 3700})
    ship = {
        "order_line_item_ids": [order["line_items"][0]["id"]],
        "tracking_number": "1Z999AA10123456784",
        "shipping_provider_id": "7117858858072016686",
    }
    targets = [
        ("POST", "/product/202309/products", product),
        ("POST", "/product/202309/products/listing_check", product),
        ("PUT", f"/product/202309/products/{product_id}", product),
        ("POST", f"/product/202309/products/{product_id}/partial_edit", {"title": "New", "skus": product["skus"]}),
        (
            "POST",
            f"/product/202309/products/{product_id}/inventory/update",
            {"skus": [{"id": sku_id, "inventory": [{"warehouse_id": warehouse, "quantity": 1}]}]},
        ),
        (
            "POST",
            f"/product/202309/products/{product_id}/prices/update",
            {"skus": [{"id": sku_id, "price": {"amount": "1", "currency": "USD"}}]},
        ),
        ("POST", "/product/202309/products/search", {"status": "ALL", "seller_skus": ["a"], "sku_ids": ["1"]}),
        ("POST", "/product/202309/products/deactivate", {"product_ids": [product_id]}),
        ("POST", "/product/202309/categories/recommend", {"product_title": "Cotton tee", "images": [{"uri": uri}]}),
        ("POST", "/order/202309/orders/search", {"order_status": "UNPAID", "warehouse_ids": [warehouse]}),
        ("POST", f"/fulfillment/202309/orders/{order['id']}/packages", ship),
        (
            "POST",
            "/return_refund/202309/cancellations",
            {
                "order_id": order["id"],
                "cancel_reason": "seller_cancel_reason_out_of_stock",
                "skus": [{"sku_id": sku_id, "quantity": 1}],
            },
        ),
        ("POST", "/return_refund/202309/cancellations/search", {"order_ids": [order["id"]]}),
        ("POST", "/return_refund/202309/returns/search", {"order_ids": [order["id"]]}),
        ("PUT", "/event/202309/webhooks", {"address": "https://x.example/h", "event_type": "ORDER_STATUS_CHANGE"}),
    ]
    rng = random.Random(2024)
    statuses = []
    for _ in range(400):
        method, path, good = rng.choice(targets)
        body = copy.deepcopy(good)
        for _ in range(rng.randint(1, 3)):
            _mutate(rng, body)
        if rng.random() < 0.1:
            body = copy.deepcopy(rng.choice(JUNK))
        response = client.call(method, path, body=body, query={"page_size": rng.choice(["10", "x", "0"])})
        payload = response.json()
        statuses.append(response.status_code)
        assert response.status_code < 500, (method, path, body, payload)
        assert set(payload) == {"code", "message", "request_id", "data"}
    assert statuses.count(200) > 0 and any(s == 400 for s in statuses)
