"""The GraphQL client against the sandbox: cost-aware throttling, 429, 5xx, timeouts, auth errors."""

import pytest

from tokbridge.channels.shopify import queries
from tokbridge.channels.shopify.client import ShopifyClient
from tokbridge.channels.shopify.errors import (
    AuthenticationError,
    GraphQLError,
    NotFound,
    RetryableError,
    ShopifyUnavailable,
    Throttled,
)

SHOP_QUERY = "{ shop { name } }"


class Clocks:
    """Our client's clock and the sandbox's (frozen) clock, moved together."""

    def __init__(self, shop):
        self.shop = shop
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        self.shop.control("POST", "/sandbox/clock", json={"seconds": seconds})


def test_cost_is_read_from_every_answer(live_shop):
    shop = live_shop(frozen_clock=True)
    client = shop.client()
    assert client.query(SHOP_QUERY)["shop"]["name"]
    status = shop.control("GET", "/sandbox/shops/{shop}/bucket").json()
    assert client.bucket.maximum == status["maximumAvailable"]
    assert client.bucket.available == status["currentlyAvailable"]
    assert client.bucket.restore_rate == status["restoreRate"]


def test_throttled_answer_is_retryable_and_the_next_call_is_planned(live_shop):
    shop = live_shop(frozen_clock=True)
    clocks = Clocks(shop)
    client = shop.client(clock=clocks)
    client.query(queries.LOCATIONS)  # learns this query's cost
    shop.control("POST", "/sandbox/shops/{shop}/bucket", json={"drain": 2000})

    with pytest.raises(Throttled) as raised:
        client.query(queries.LOCATIONS)
    assert isinstance(raised.value, RetryableError)
    wait = raised.value.retry_after
    assert wait > 0

    # Planned: the client knows the bucket is empty and does not even call. (Had it called, the
    # scripted 503 would have surfaced as ShopifyUnavailable.)
    shop.control("PUT", "/sandbox/faults", json={"script": ["503"]})
    with pytest.raises(Throttled) as again:
        client.query(queries.LOCATIONS)
    assert again.value.retry_after == pytest.approx(wait, rel=0.01)
    assert client.retry_after(queries.LOCATIONS) == pytest.approx(wait, rel=0.01)
    shop.control("DELETE", "/sandbox/faults")

    # After the wait, it goes through.
    clocks.sleep(wait)
    assert client.query(queries.LOCATIONS)["locations"]["nodes"]


def test_blocking_mode_waits_out_the_bucket(live_shop):
    shop = live_shop(frozen_clock=True)
    clocks = Clocks(shop)
    client = shop.client(clock=clocks, sleep=clocks.sleep, wait_when_throttled=True)
    client.query(queries.LOCATIONS)
    shop.control("POST", "/sandbox/shops/{shop}/bucket", json={"drain": 2000})
    assert client.query(queries.LOCATIONS)["locations"]["nodes"]
    assert clocks.slept and sum(clocks.slept) < 60


@pytest.mark.parametrize("retry_after", ["0.25", "2"])
def test_429_honours_fractional_retry_after(live_shop, retry_after):
    shop = live_shop()
    shop.control("PUT", "/sandbox/faults", json={"script": ["429"], "retry_after": retry_after})
    with pytest.raises(Throttled) as raised:
        shop.client().query(SHOP_QUERY)
    assert raised.value.retry_after == float(retry_after)

    shop.control("PUT", "/sandbox/faults", json={"script": ["429"], "retry_after": retry_after})
    slept = []
    client = shop.client(wait_when_throttled=True, sleep=slept.append)
    assert client.query(SHOP_QUERY)["shop"]["name"]
    assert slept == [float(retry_after)]


def test_5xx_are_retried_for_queries_within_a_bound(live_shop):
    shop = live_shop()
    slept = []
    shop.control("PUT", "/sandbox/faults", json={"script": ["503", "500", "502"]})
    assert shop.client(sleep=slept.append).query(SHOP_QUERY)["shop"]["name"]
    assert len(slept) == 3

    shop.control("PUT", "/sandbox/faults", json={"script": ["503"] * 5})
    with pytest.raises(ShopifyUnavailable):
        shop.client(sleep=slept.append, max_attempts=3).query(SHOP_QUERY)


def test_mutations_are_not_repeated_blindly(live_shop):
    shop = live_shop()
    shop.control("PUT", "/sandbox/faults", json={"script": ["502", "ok"]})
    with pytest.raises(ShopifyUnavailable):
        shop.client(sleep=lambda s: None).mutate(
            queries.BULK_RUN_QUERY, {"query": "{ products { edges { node { id } } } }"}, "bulkOperationRunQuery"
        )


def test_timeouts_are_retried(live_shop):
    shop = live_shop()
    shop.control("PUT", "/sandbox/faults", json={"script": ["timeout"], "timeout_seconds": 1.0})
    slept = []
    client = shop.client(timeout=0.3, sleep=slept.append)
    assert client.query(SHOP_QUERY)["shop"]["name"]
    assert len(slept) == 1


def test_bad_token_unknown_shop_and_bad_query(live_shop):
    shop = live_shop()
    with pytest.raises(AuthenticationError):
        ShopifyClient("tokbridge-demo.myshopify.com", "shpat_wrong", base_url=shop.api_base).query(SHOP_QUERY)
    with pytest.raises(NotFound):
        ShopifyClient("nobody.myshopify.com", "x", base_url=shop.api_base).query(SHOP_QUERY)
    with pytest.raises(GraphQLError) as raised:
        shop.client().query("{ shop { noSuchField } }")
    assert raised.value.errors


def test_settings_and_the_source_store_protocol(live_shop, monkeypatch):
    from tokbridge.channels.base import SourceStore
    from tokbridge.channels.shopify.settings import get_shopify_settings
    from tokbridge.channels.shopify.store import ShopifyStore
    from tokbridge.config import get_settings

    shop = live_shop()
    monkeypatch.setenv("SHOPIFY_API_BASE_URL", shop.api_base)
    monkeypatch.setenv("SHOPIFY_REQUEST_TIMEOUT_SECONDS", "7")
    get_settings.cache_clear()
    get_shopify_settings.cache_clear()
    try:
        client = ShopifyClient.from_settings("tokbridge-demo.myshopify.com", "shpat_adapter_test")
        assert client.timeout == 7.0 and client.url.startswith(shop.base_url + "/shops/tokbridge-demo.myshopify.com/")
        assert client.query(SHOP_QUERY)["shop"]["name"]
        assert isinstance(ShopifyStore(client), SourceStore)
    finally:
        get_shopify_settings.cache_clear()


def test_unreachable_shop_is_retried_then_reported_retryable():
    from tests.support.live_server import free_port

    slept = []
    client = ShopifyClient(
        "tokbridge-demo.myshopify.com",
        "t",
        base_url=f"http://127.0.0.1:{free_port()}/shops/{{shop}}",
        sleep=slept.append,
        max_attempts=3,
    )
    with pytest.raises(ShopifyUnavailable) as raised:
        client.mutate(queries.BULK_RUN_QUERY, {"query": "{ x }"}, "bulkOperationRunQuery")
    assert isinstance(raised.value, RetryableError) and len(slept) == 2
