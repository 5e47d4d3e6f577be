"""Edit Product as TikTok documents it: price and stock of a live product publish at once, the rest waits
for the review; a failed product goes back to review under the same id; SKUs left out are removed and
new ones get ids."""

from __future__ import annotations

from .builders import sales_warehouse, tshirt

REVIEW = {"seconds": 301}


def _get(client, product_id):
    return client.ok("GET", f"/product/202309/products/{product_id}")


def test_price_and_stock_of_a_live_product_publish_at_once(tiktok):
    _, _, client = tiktok
    warehouse = sales_warehouse(client)
    created = client.ok("POST", "/product/202309/products", body=tshirt(client, warehouse, client.upload()))
    client.control("POST", "/sandbox/clock/advance", REVIEW)
    body = tshirt(client, warehouse, client.upload(), title="Organic Cotton Crew T-shirt v2")
    for sku, result in zip(body["skus"], created["skus"], strict=True):
        sku["id"] = result["id"]
    body["skus"][0]["price"] = {"amount": "24.99", "currency": "USD"}
    body["skus"][0]["inventory"] = [{"warehouse_id": warehouse, "quantity": 33}]
    client.ok("PUT", f"/product/202509/products/{created['product_id']}", body=body)
    live = _get(client, created["product_id"])
    assert live["title"] == "Organic Cotton Crew T-shirt", "the new content waits for the review"
    first = next(s for s in live["skus"] if s["id"] == created["skus"][0]["id"])
    assert first["price"]["sale_price"] == "24.99" and first["inventory"][0]["quantity"] == 33


def test_failed_product_edited_goes_back_to_review_with_its_skus_replaced(sandbox_factory):
    _, _, client = sandbox_factory(review_rejection_rate=1.0)
    warehouse = sales_warehouse(client)
    created = client.ok("POST", "/product/202309/products", body=tshirt(client, warehouse, client.upload()))
    client.control("POST", "/sandbox/clock/advance", REVIEW)
    assert _get(client, created["product_id"])["status"] == "FAILED"
    body = tshirt(client, warehouse, client.upload())
    body["skus"][0]["id"] = created["skus"][0]["id"]  # kept; the second SKU is left out, a third is new
    body["skus"][1].update(seller_sku="TEE-BLUE-XL", external_sku_id="gid://shopify/ProductVariant/3")
    edited = client.ok("PUT", f"/product/202509/products/{created['product_id']}", body=body)
    assert edited["product_id"] == created["product_id"]
    product = _get(client, created["product_id"])
    assert product["status"] == "PENDING" and product["audit"]["status"] == "AUDITING"
    ids = {s["seller_sku"]: s["id"] for s in product["skus"]}
    assert set(ids) == {"TEE-RED-M", "TEE-BLUE-XL"}
    assert ids["TEE-RED-M"] == created["skus"][0]["id"] and ids["TEE-BLUE-XL"] != created["skus"][1]["id"]
