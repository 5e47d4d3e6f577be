"""Outgoing webhooks: the shop's subscriptions, TikTok's signature, and the retry schedule
(+2 min, +30 min, +3 h, +12 h) on the sandbox clock."""

from __future__ import annotations

from .builders import sales_warehouse, tshirt
from .support import signed_webhook

AUDIT = "PRODUCT_AUDIT_STATUS_CHANGE"


def _attempts(client):
    deliveries = client.control("GET", "/sandbox/webhooks")["deliveries"]
    return [(d["state"], len(d["attempts"])) for d in deliveries]


def _audit_event(client, url):
    client.ok("PUT", "/event/202309/webhooks", body={"address": url, "event_type": AUDIT})
    created = client.ok(
        "POST", "/product/202309/products", body=tshirt(client, sales_warehouse(client), client.upload())
    )
    client.control("POST", f"/sandbox/products/{created['product_id']}/review", {"outcome": "APPROVED"})
    return created["product_id"]


def _advance(client, seconds):
    client.control("POST", "/sandbox/clock/advance", {"seconds": seconds})


def test_subscriptions(tiktok):
    _, _, client = tiktok
    path = "/event/202309/webhooks"
    missing = client.call("PUT", path, body={"event_type": "ORDER_STATUS_CHANGE"}).json()
    assert (missing["code"], missing["message"]) == (36009004, "param body.address is missing")
    assert (
        client.call("PUT", path, body={"address": "https://x.example/hook", "event_type": "NOPE"}).json()["code"]
        == 36009004
    )
    assert (
        client.call(
            "PUT", path, body={"address": "https://x.example/" + "a" * 255, "event_type": "ORDER_STATUS_CHANGE"}
        ).json()["code"]
        == 36009004
    )
    client.ok("PUT", path, body={"address": "https://x.example/hook", "event_type": "ORDER_STATUS_CHANGE"})
    listed = client.ok("GET", path)
    assert listed["total_count"] == 1 and listed["webhooks"][0]["address"] == "https://x.example/hook"
    client.ok("DELETE", path, body={"event_type": "ORDER_STATUS_CHANGE"})
    assert client.ok("GET", path) == {"webhooks": [], "total_count": 0}


def test_failed_delivery_is_retried_on_schedule(tiktok, receiver, wait_until):
    _, _, client = tiktok
    hook, url = receiver
    hook.statuses = [500, 503]
    product_id = _audit_event(client, url)
    wait_until(lambda: _attempts(client) == [("PENDING", 1)])
    _advance(client, 119)
    assert _attempts(client) == [("PENDING", 1)]
    _advance(client, 2)
    assert _attempts(client) == [("PENDING", 2)]
    _advance(client, 30 * 60)
    assert _attempts(client) == [("DELIVERED", 3)]

    bodies = hook.bodies()
    assert len({b["tts_notification_id"] for b in bodies}) == 1 and len(bodies) == 3
    assert bodies[0]["type"] == 37 and bodies[0]["data"] == {
        "product_id": int(product_id),
        "audit": {"status": "APPROVED", "pre_approved_reasons": []},
        "integrated_platform_statuses": {"platform": "TOKOPEDIA", "status": "NONE"},
        "update_time": bodies[0]["data"]["update_time"],
    }
    for received in hook.received:
        assert signed_webhook("test_key", "test_secret", received["body"], received["authorization"])
        assert not signed_webhook("test_key", "other_secret", received["body"], received["authorization"])


def test_delivery_gives_up_after_the_fourth_retry(tiktok, receiver, wait_until):
    _, _, client = tiktok
    hook, url = receiver
    hook.statuses = [500] * 10
    _audit_event(client, url)
    wait_until(lambda: _attempts(client) == [("PENDING", 1)])
    for seconds in (120, 30 * 60, 3 * 3600):
        _advance(client, seconds)
    assert _attempts(client) == [("PENDING", 4)]
    _advance(client, 12 * 3600)
    assert _attempts(client) == [("FAILED", 5)]
    _advance(client, 48 * 3600)
    assert len(hook.received) == 5


def test_unreachable_address_is_retried(tiktok, wait_until):
    _, _, client = tiktok
    _audit_event(client, "http://127.0.0.1:9/unreachable")
    wait_until(lambda: _attempts(client) == [("PENDING", 1)])
    delivery = client.control("GET", "/sandbox/webhooks")["deliveries"][0]
    assert delivery["attempts"][0]["status"] is None and delivery["attempts"][0]["error"]
