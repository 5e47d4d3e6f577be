"""Etsy's per-app limits: per second and per sliding day, with its headers and 429 + retry-after.
The sandbox clock is frozen, so a 'second' lasts until the test moves the clock."""

from __future__ import annotations


def test_per_second_limit_answers_429_with_retry_after(make_etsy):
    etsy = make_etsy(rate_limit_per_second=3)
    with etsy.client(token=None) as client:
        answers = [client.get("/v3/application/openapi-ping") for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert [a.headers["x-remaining-this-second"] for a in answers] == ["2", "1", "0"]
        assert answers[0].headers["x-limit-per-second"] == "3"
        assert answers[0].headers["x-limit-per-day"] == "1000000"
        assert int(answers[0].headers["x-remaining-today"]) == int(answers[2].headers["x-remaining-today"]) + 2
        throttled = client.get("/v3/application/openapi-ping")
        assert throttled.status_code == 429
        assert throttled.headers["retry-after"] == "1"
        assert "error" in throttled.json()
        with etsy.control() as control:
            control.post("/clock", json={"seconds": 1})
        assert client.get("/v3/application/openapi-ping").status_code == 200


def test_daily_quota_then_reset(make_etsy):
    etsy = make_etsy(rate_limit_per_day=5)
    with etsy.client(token=None) as client:
        remaining = [client.get("/v3/application/openapi-ping").headers["x-remaining-today"] for _ in range(5)]
        assert remaining == ["4", "3", "2", "1", "0"]
        throttled = client.get("/v3/application/openapi-ping")
        assert throttled.status_code == 429
        assert int(throttled.headers["retry-after"]) > 1
        with etsy.control() as control:
            assert control.get("/quota").json()["remaining_today"] == 0
            control.post("/quota/reset")
        assert client.get("/v3/application/openapi-ping").status_code == 200


def test_the_day_is_a_sliding_window(make_etsy):
    etsy = make_etsy(rate_limit_per_day=2)
    with etsy.client(token=None) as client, etsy.control() as control:
        assert client.get("/v3/application/openapi-ping").status_code == 200
        assert client.get("/v3/application/openapi-ping").status_code == 200
        assert client.get("/v3/application/openapi-ping").status_code == 429
        control.post("/clock", json={"seconds": 23 * 3600})
        assert client.get("/v3/application/openapi-ping").status_code == 429
        control.post("/clock", json={"seconds": 3600})
        assert client.get("/v3/application/openapi-ping").status_code == 200


def test_limits_can_be_changed_through_the_control_api(etsy):
    with etsy.control() as control:
        assert control.put("/quota", json={"per_second": 1}).json()["per_second"] == 1
    with etsy.client(token=None) as client:
        assert client.get("/v3/application/openapi-ping").status_code == 200
        assert client.get("/v3/application/openapi-ping").status_code == 429
