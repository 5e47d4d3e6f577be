"""Product lifecycle: review with its webhooks, edits, batch status changes, stock and price,
limits and prerequisites, catalog reads."""

from __future__ import annotations

from tokbridge_sandboxes.tiktok.images import png_bytes

from .builders import sales_warehouse, tshirt

REVIEW = {"seconds": 301}


def _create(client, warehouse, uri, **overrides):
    return client.ok("POST", "/product/202309/products", body=tshirt(client, warehouse, uri, **overrides))


def _get(client, product_id, **query):
    return client.ok("GET", f"/product/202309/products/{product_id}", query=query)


def _live_product(client, **overrides):
    warehouse = sales_warehouse(client)
    created = _create(client, warehouse, client.upload(), **overrides)
    client.control("POST", "/sandbox/clock/advance", REVIEW)
    assert _get(client, created["product_id"])["status"] == "ACTIVATE"
    return created, warehouse


def test_idempotency_key_returns_the_first_result(tiktok):
    app, _, client = tiktok
    warehouse, uri = sales_warehouse(client), client.upload()
    first = _create(client, warehouse, uri, idempotency_key="0b6f9a4e-retry")
    again = _create(client, warehouse, uri, idempotency_key="0b6f9a4e-retry")
    assert again == first
    assert len(app.state.sandbox.state.products) == 1
    product = _get(client, first["product_id"])
    assert product["external_product_id"] == "gid://shopify/Product/1001"
    assert {s["external_sku_id"] for s in product["skus"]} == {
        "gid://shopify/ProductVariant/1",
        "gid://shopify/ProductVariant/2",
    }
    duplicate = client.call("POST", "/product/202309/products", body=tshirt(client, warehouse, uri)).json()
    assert duplicate["code"] == 12052996  # same external_product_id in the shop


def test_review_failures_are_deterministic_and_announced(tiktok, receiver):
    _, _, client = tiktok
    hook, url = receiver
    for event in ("PRODUCT_STATUS_CHANGE", "PRODUCT_AUDIT_STATUS_CHANGE"):
        client.ok("PUT", "/event/202309/webhooks", body={"address": url, "event_type": event})
    warehouse = sales_warehouse(client)
    banned = _create(client, warehouse, client.upload(), title="Replica designer T-shirt", external_product_id="a")
    small = _create(client, warehouse, client.upload(400, 400), external_product_id="b")
    good = _create(client, warehouse, client.upload(), external_product_id="c")
    assert _get(client, banned["product_id"])["audit"]["status"] == "AUDITING"
    client.control("POST", "/sandbox/clock/advance", REVIEW)

    failed = _get(client, banned["product_id"])
    assert failed["status"] == "FAILED" and failed["audit"]["status"] == "FAILED"
    assert failed["audit_failed_reasons"][0]["position"] == "title"
    assert _get(client, small["product_id"])["audit_failed_reasons"][0]["position"] == "main_images"
    assert _get(client, good["product_id"])["status"] == "ACTIVATE"

    bodies = hook.wait_for(lambda b: len(b) >= 6)
    # Types 5 and 37 document product_id as a number.
    statuses = {
        (b["type"], str(b["data"]["product_id"])): b["data"].get("status") or b["data"]["audit"]["status"]
        for b in bodies
    }
    assert statuses[(5, banned["product_id"])] == "PRODUCT_AUDIT_FAILURE"
    assert statuses[(37, banned["product_id"])] == "FAILED"
    assert statuses[(5, good["product_id"])] == "PRODUCT_FIRST_PASS_REVIEW"
    assert statuses[(37, good["product_id"])] == "APPROVED"


def test_random_rejection_rate_and_forced_outcome(sandbox_factory):
    _, _, client = sandbox_factory(review_rejection_rate=1.0)
    warehouse = sales_warehouse(client)
    rejected = _create(client, warehouse, client.upload(), external_product_id="r")
    forced = _create(client, warehouse, client.upload(), external_product_id="f")
    client.control("POST", f"/sandbox/products/{forced['product_id']}/review", {"outcome": "APPROVED"})
    assert _get(client, forced["product_id"])["status"] == "ACTIVATE"
    client.control("POST", "/sandbox/clock/advance", REVIEW)
    assert _get(client, rejected["product_id"])["status"] == "FAILED"


def test_edit_of_a_live_product_is_reviewed_before_it_shows(tiktok):
    _, _, client = tiktok
    created, warehouse = _live_product(client)
    product_id = created["product_id"]
    body = tshirt(client, warehouse, client.upload(), title="Organic Cotton Crew T-shirt v2")
    for sku, result in zip(body["skus"], created["skus"]):
        sku["id"] = result["id"]
        del sku["price"], sku["inventory"]  # kept when omitted
    edited = client.ok("PUT", f"/product/202309/products/{product_id}", body=body)
    assert edited["audit"] == {"status": "AUDITING"}
    assert [s["id"] for s in edited["skus"]] == [s["id"] for s in created["skus"]]
    live = _get(client, product_id)
    assert live["status"] == "ACTIVATE" and live["title"] == "Organic Cotton Crew T-shirt"
    assert _get(client, product_id, return_under_review_version="true")["title"].endswith("v2")
    client.control("POST", "/sandbox/clock/advance", REVIEW)
    live = _get(client, product_id)
    assert live["title"].endswith("v2") and live["skus"][0]["price"]["sale_price"] == "19.99"

    # A failed re-review keeps the live version.
    client.ok("POST", f"/product/202509/products/{product_id}/partial_edit", body={"title": "Counterfeit crew T-shirt"})
    client.control("POST", "/sandbox/clock/advance", REVIEW)
    live = _get(client, product_id)
    assert live["title"].endswith("v2") and live["status"] == "ACTIVATE" and live["audit"]["status"] == "FAILED"
    assert [s["id"] for s in live["skus"]] == [s["id"] for s in created["skus"]]


def test_batch_status_changes_report_per_item_errors(tiktok):
    _, _, client = tiktok
    created, _ = _live_product(client)
    product_id, unknown = created["product_id"], "1729592969712200000"
    deactivated = client.ok("POST", "/product/202309/products/deactivate", body={"product_ids": [product_id, unknown]})
    assert [(e["code"], e["detail"]["product_id"]) for e in deactivated["errors"]] == [(12052032, unknown)]
    assert _get(client, product_id)["status"] == "SELLER_DEACTIVATED"
    again = client.ok("POST", "/product/202309/products/deactivate", body={"product_ids": [product_id]})
    assert again["errors"][0]["code"] == 12052901
    assert client.ok("POST", "/product/202309/products/activate", body={"product_ids": [product_id]}) == {"errors": []}
    client.ok("DELETE", "/product/202309/products", body={"product_ids": [product_id]})
    assert client.call("GET", f"/product/202309/products/{product_id}").json()["code"] == 12052901
    activate = client.ok("POST", "/product/202309/products/activate", body={"product_ids": [product_id]})
    assert activate["errors"][0]["code"] == 12052990
    assert activate["errors"][0]["detail"]["extra_errors"][0]["code"] == 12052901
    client.ok("POST", "/product/202309/products/recover", body={"product_ids": [product_id]})
    assert _get(client, product_id)["status"] == "SELLER_DEACTIVATED"


def test_inventory_and_price_updates(tiktok):
    _, _, client = tiktok
    created, warehouse = _live_product(client)
    product_id = created["product_id"]
    sku_id = created["skus"][0]["id"]
    path = f"/product/202309/products/{product_id}/inventory/update"
    result = client.ok(
        "POST",
        path,
        body={
            "skus": [
                {"id": sku_id, "inventory": [{"warehouse_id": warehouse, "quantity": 42}]},
                {"id": "1", "inventory": [{"warehouse_id": warehouse, "quantity": 1}]},
            ]
        },
    )
    assert [e["code"] for e in result["errors"]] == [12052556]
    other = client.control("GET", "/sandbox/state")["shops"][0]["warehouses"][1]["id"]
    moved = client.ok(
        "POST", path, body={"skus": [{"id": sku_id, "inventory": [{"warehouse_id": other, "quantity": 3}]}]}
    )
    assert moved["errors"][0]["detail"]["extra_errors"][0]["code"] == 12052533
    assert _get(client, product_id)["skus"][0]["inventory"] == [{"warehouse_id": warehouse, "quantity": 42}]

    price_path = f"/product/202309/products/{product_id}/prices/update"
    client.ok("POST", price_path, body={"skus": [{"id": sku_id, "price": {"amount": "24.00", "currency": "USD"}}]})
    assert _get(client, product_id)["skus"][0]["price"]["sale_price"] == "24.00"
    bad = client.call(
        "POST", price_path, body={"skus": [{"id": sku_id, "price": {"amount": "9999", "currency": "USD"}}]}
    )
    assert bad.json()["code"] == 12052570
    client.ok("POST", "/product/202309/products/deactivate", body={"product_ids": [product_id]})
    assert (
        client.call(
            "POST", price_path, body={"skus": [{"id": sku_id, "price": {"amount": "24.00", "currency": "USD"}}]}
        ).json()["code"]
        == 12052901
    )


def test_search_pages_with_tokens(tiktok):
    _, _, client = tiktok
    warehouse, uri = sales_warehouse(client), client.upload()
    ids = {_create(client, warehouse, uri, external_product_id=f"p{n}")["product_id"] for n in range(3)}
    first = client.ok("POST", "/product/202502/products/search", query={"page_size": "2"}, body={"status": "PENDING"})
    assert first["total_count"] == 3 and len(first["products"]) == 2 and first["next_page_token"]
    second = client.ok(
        "POST",
        "/product/202309/products/search",
        query={"page_size": "2", "page_token": first["next_page_token"]},
        body={},
    )
    assert second["next_page_token"] == ""
    assert {p["id"] for p in first["products"] + second["products"]} == ids
    by_sku = client.ok(
        "POST",
        "/product/202309/products/search",
        query={"page_size": "10"},
        body={"seller_skus": ["TEE-RED-M"], "status": "ACTIVATE"},
    )
    assert by_sku["total_count"] == 0
    bad = client.call("POST", "/product/202309/products/search", query={"page_size": "101"}, body={})
    assert bad.json()["code"] == 12019109


def test_daily_listing_limit(sandbox_factory):
    app, _, client = sandbox_factory(daily_listing_limit=2)
    warehouse, uri = sales_warehouse(client), client.upload()
    for n in range(2):
        _create(client, warehouse, uri, external_product_id=f"l{n}")
    over = client.call(
        "POST", "/product/202309/products", body=tshirt(client, warehouse, uri, external_product_id="l2")
    )
    assert over.json()["code"] == 12052093
    client.control("POST", "/sandbox/clock/advance", {"seconds": 86400})
    _create(client, warehouse, uri, external_product_id="l2")


def test_failing_prerequisites_block_listing(tiktok):
    _, _, client = tiktok
    warehouse, uri = sales_warehouse(client), client.upload()
    shop_id = client.control("GET", "/sandbox/state")["shops"][0]["id"]
    client.control("PUT", f"/sandbox/shops/{shop_id}/prerequisites", {"failing": ["RETURN_WAREHOUSE"]})
    checks = {c["check_item"]: c for c in client.ok("GET", "/product/202312/prerequisites")["check_results"]}
    assert checks["RETURN_WAREHOUSE"]["is_failed"] and not checks["SHOP_STATUS"]["is_failed"]
    assert "return warehouse" in checks["RETURN_WAREHOUSE"]["fail_reasons"][0]
    types = {w["type"] for w in client.ok("GET", "/logistics/202309/warehouses")["warehouses"]}
    assert types == {"SALES_WAREHOUSE"}
    refused = client.call("POST", "/product/202309/products", body=tshirt(client, warehouse, uri)).json()
    assert refused["code"] == 12052535
    client.control("PUT", f"/sandbox/shops/{shop_id}/prerequisites", {"failing": []})
    _create(client, warehouse, uri)


def test_upload_checks_size_and_format(tiktok):
    _, _, client = tiktok
    path = "/product/202309/images/upload"
    small = client.call("POST", path, shop=False, files={"data": ("s.png", png_bytes(200, 200), "image/png")})
    assert small.json()["code"] == 12038014
    ok = client.call(
        "POST",
        path,
        shop=False,
        files={"data": ("s.png", png_bytes(200, 200), "image/png")},
        data={"use_case": "DESCRIPTION_IMAGE"},
    )
    assert ok.json()["data"]["use_case"] == "DESCRIPTION_IMAGE"
    text = client.call("POST", path, shop=False, files={"data": ("a.txt", b"hello", "text/plain")})
    assert text.json()["code"] == 12038015
    not_multipart = client.call("POST", path, shop=False, body={"data": "x"})
    assert not_multipart.json()["code"] == 36009023


def test_catalog_reads(tiktok):
    _, _, client = tiktok
    assert client.call("GET", "/product/202309/categories").json()["code"] == 12052217
    categories = client.ok("GET", "/product/202309/categories", query={"category_version": "v2"})["categories"]
    tees = next(c for c in categories if c["local_name"] == "T-shirts")
    assert tees["is_leaf"] and tees["id"] == "9601302"
    rules = client.ok("GET", "/product/202309/categories/9824331/rules", query={"category_version": "v2"})
    assert any(c["is_required"] for c in rules["product_certifications"])
    assert rules["package_dimension"] == {"is_required": True}
    attributes = client.ok("GET", "/product/202309/categories/9601302/attributes", query={"category_version": "v2"})[
        "attributes"
    ]
    assert {a["name"]: a["is_requried"] for a in attributes}["Material"] is True
    assert (
        client.call("GET", "/product/202309/categories/9601226/attributes", query={"category_version": "v2"}).json()[
            "code"
        ]
        == 12052024
    )
    recommended = client.ok(
        "POST",
        "/product/202309/categories/recommend",
        body={"product_title": "Wireless Bluetooth earbuds", "category_version": "v2"},
    )
    assert recommended["leaf_category_id"] == "9824331"
    brands = client.ok("GET", "/product/202309/brands", query={"page_size": "4"})
    assert len(brands["brands"]) == 4 and brands["total_count"] == 6
    rest = client.ok("GET", "/product/202309/brands", query={"page_size": "4", "page_token": brands["next_page_token"]})
    assert len(rest["brands"]) == 2
    warehouse = sales_warehouse(client)
    options = client.ok("GET", f"/logistics/202309/warehouses/{warehouse}/delivery_options")["delivery_options"]
    providers = client.ok("GET", f"/logistics/202309/delivery_options/{options[0]['id']}/shipping_providers")
    assert {"id": "7117858858072016686", "name": "USPS"} in providers["shipping_providers"]
