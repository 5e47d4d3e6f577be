from .builders import sales_warehouse, tshirt
from .support import signed_webhook


def test_create_product_goes_live_after_review(tiktok, receiver):
    app, base_url, client = tiktok
    hook, hook_url = receiver
    client.ok("PUT", "/event/202309/webhooks", body={"address": hook_url, "event_type": "PRODUCT_STATUS_CHANGE"})
    warehouse = sales_warehouse(client)
    uri = client.upload()
    created = client.ok("POST", "/product/202309/products", body=tshirt(client, warehouse, uri))
    product = client.ok("GET", f"/product/202309/products/{created['product_id']}")
    assert product["status"] == "PENDING"
    client.control("POST", "/sandbox/clock/advance", {"seconds": 301})
    product = client.ok("GET", f"/product/202309/products/{created['product_id']}")
    assert product["status"] == "ACTIVATE"
    bodies = hook.wait_for(lambda b: any(x["type"] == 5 for x in b))
    assert bodies[0]["data"]["status"] == "PRODUCT_FIRST_PASS_REVIEW"
    raw = hook.received[0]
    assert signed_webhook("test_key", "test_secret", raw["body"], raw["authorization"])
