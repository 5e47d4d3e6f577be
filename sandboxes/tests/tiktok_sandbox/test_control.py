"""The sandbox as a whole: configuration from the environment, simulated buyers, random faults,
seller authorization events."""

from __future__ import annotations

from tokbridge_sandboxes.serving import serve_in_thread as serve
from tokbridge_sandboxes.tiktok import create_app

from .builders import sales_warehouse, tshirt
from .support import SignedClient


def test_create_app_reads_the_environment(monkeypatch):
    monkeypatch.setenv("TIKTOK_SANDBOX_APP_KEY", "env_key")
    monkeypatch.setenv("TIKTOK_SANDBOX_SHOP_REGIONS", '["GB", "MY"]')
    monkeypatch.setenv("TIKTOK_SANDBOX_BOOTSTRAP_ACCESS_TOKEN", "TTP_demo_access")
    app = create_app()
    sandbox = app.state.sandbox
    assert sandbox.config.app_key == "env_key"
    assert [s.region for s in sandbox.state.shops.values()] == ["GB", "MY"]
    with serve(app) as base_url:
        client = SignedClient(base_url, "env_key", sandbox.config.app_secret, "TTP_demo_access", "")
        shops = client.ok("GET", "/authorization/202309/shops", shop=False)["shops"]
        assert [s["region"] for s in shops] == ["GB", "MY"]
    # The same seed gives the same ciphers, so a demo can be configured ahead.
    assert [s.cipher for s in create_app().state.sandbox.state.shops.values()] == [s["cipher"] for s in shops]


def test_simulated_buyers_order_live_products(sandbox_factory):
    app, _, client = sandbox_factory(orders_per_hour=360)
    created = client.ok(
        "POST", "/product/202309/products", body=tshirt(client, sales_warehouse(client), client.upload())
    )
    client.control("POST", f"/sandbox/products/{created['product_id']}/review", {"outcome": "APPROVED"})
    client.control("POST", "/sandbox/clock/advance", {"seconds": 3600})
    orders = client.ok("POST", "/order/202309/orders/search", query={"page_size": "100"}, body={})
    assert 10 <= orders["total_count"] <= 15  # capped by the 15 units in stock
    assert {i["product_id"] for o in orders["orders"] for i in o["line_items"]} == {created["product_id"]}


def test_random_fault_shares(sandbox_factory):
    _, _, client = sandbox_factory(fault_error_rate=0.5, fault_throttle_rate=0.5)
    codes = {client.call("GET", "/logistics/202309/warehouses").json()["code"] for _ in range(30)}
    assert codes == {36009003, 36009002}
    client.control("DELETE", "/sandbox/faults")
    assert client.call("GET", "/logistics/202309/warehouses").json()["code"] == 0


def test_deauthorization_and_upcoming_expiration(tiktok, receiver):
    _, _, client = tiktok
    hook, url = receiver
    for event in ("SELLER_DEAUTHORIZATION", "UPCOMING_AUTHORIZATION_EXPIRATION"):
        client.ok("PUT", "/event/202309/webhooks", body={"address": url, "event_type": event})
    client.control("POST", "/sandbox/seller/upcoming_expiration")
    client.control("POST", "/sandbox/seller/deauthorize")
    bodies = hook.wait_for(lambda b: {x["type"] for x in b} == {6, 7})
    seven = next(b for b in bodies if b["type"] == 7)
    assert seven["data"]["expiration_time"].isdigit()
    assert client.call("GET", "/logistics/202309/warehouses").json()["code"] == 36009004


def test_control_api_rejects_bad_input(tiktok):
    _, _, client = tiktok
    assert client.http.post("/sandbox/clock/advance", json={"seconds": -1}).status_code == 400
    assert client.http.post("/sandbox/orders", json={"items": [{"sku_id": "1"}]}).status_code == 400
    assert client.http.post("/sandbox/orders", json={"items": [{"sku_id": "1", "quantity": "x"}]}).status_code == 400
    assert client.http.post("/sandbox/faults", json={"queue": [{"kind": "boom"}]}).status_code == 400


def test_app_webhook_url_subscribes_every_shop(sandbox_factory, receiver):
    hook, url = receiver
    _, _, client = sandbox_factory(webhook_url=url)
    assert client.ok("GET", "/event/202309/webhooks")["total_count"] == 7
    client.control("POST", "/sandbox/seller/upcoming_expiration")
    hook.wait_for(lambda bodies: [b["type"] for b in bodies] == [7])
