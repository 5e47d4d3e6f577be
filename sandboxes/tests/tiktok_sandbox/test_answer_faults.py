"""Faults that strike after the sandbox has acted: the write is done, its answer is lost or late."""

from __future__ import annotations

import time

import httpx
import pytest

from tokbridge_sandboxes.tiktok.images import png_bytes

from .builders import sales_warehouse, tshirt

CREATE = "/product/202309/products"
UPLOAD = "/product/202309/images/upload"


def _upload(client, timeout: float = 10.0) -> httpx.Response:
    return client.call(
        "POST",
        UPLOAD,
        shop=False,
        files={"data": ("image.png", png_bytes(800, 800), "image/png")},
        data={"use_case": "MAIN_IMAGE"},
        timeout=timeout,
    )


def _products(client) -> list[dict]:
    return client.control("GET", "/sandbox/products")["products"]


def test_a_dropped_answer_comes_after_the_product_is_created(tiktok):
    _, _, client = tiktok
    warehouse, uri = sales_warehouse(client), client.upload()
    client.control("POST", "/sandbox/faults", {"queue": [{"kind": "drop_answer", "path": CREATE}]})
    lost = client.call("POST", CREATE, body=tshirt(client, warehouse, uri, idempotency_key="k-1"))
    assert (lost.status_code, lost.json()["code"]) == (500, 36009003)
    assert len(_products(client)) == 1  # done, though the caller heard an error
    # The caller's retry with the same key hears of the product it created, and nothing more is made.
    again = client.ok("POST", CREATE, body=tshirt(client, warehouse, uri, idempotency_key="k-1"))
    assert [p["id"] for p in _products(client)] == [again["product_id"]]


def test_a_timed_out_answer_and_a_late_one(tiktok):
    _, _, client = tiktok
    warehouse = sales_warehouse(client)
    client.control(
        "POST",
        "/sandbox/faults",
        {
            "timeout_seconds": 1.0,
            "slow_seconds": 0.3,
            "queue": [{"kind": "timeout_answer", "path": UPLOAD}, {"kind": "delay_answer", "path": CREATE}],
        },
    )
    with pytest.raises(httpx.ReadTimeout):
        _upload(client, timeout=0.3)
    uri = client.upload()
    started = time.monotonic()
    created = client.ok("POST", CREATE, body=tshirt(client, warehouse, uri))
    assert time.monotonic() - started >= 0.3
    assert [p["id"] for p in _products(client)] == [created["product_id"]]


def test_answer_faults_by_rate_strike_only_the_chosen_writes_and_repeat_with_the_seed(tiktok):
    _, _, client = tiktok
    warehouse, uri = sales_warehouse(client), client.upload()

    def run() -> list[int]:
        client.control("POST", "/sandbox/faults", {"drop_answer_rate": 0.5, "seed": 3})
        codes = [_upload(client).status_code for _ in range(12)]
        client.control("DELETE", "/sandbox/faults")
        return codes

    first = run()
    assert 0 < first.count(500) < 12
    assert run() == first  # the same seed, the same faults
    client.control("POST", "/sandbox/faults", {"drop_answer_rate": 1.0})
    assert client.call("GET", "/logistics/202309/warehouses").status_code == 200  # a read: untouched
    assert client.call("POST", CREATE, body=tshirt(client, warehouse, uri)).status_code == 500


def test_bad_answer_fault_settings_are_refused(tiktok):
    _, _, client = tiktok
    assert client.http.post("/sandbox/faults", json={"drop_answer_rate": 2}).status_code == 400
    assert client.http.post("/sandbox/faults", json={"answer_fault_paths": "all"}).status_code == 400
