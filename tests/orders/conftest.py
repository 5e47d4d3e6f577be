import pytest

from tests.orders.helpers import KEEPS_ORDERS, StoreWithoutOrders
from tests.support.world import world_factory  # noqa: F401  (fixture)
from tokbridge.channels import registry


@pytest.fixture
def store_without_orders(monkeypatch):
    """A store plugin that takes no outside orders (the Shopify plugin declared so), registered for the test."""
    monkeypatch.setitem(registry.plugins(), KEEPS_ORDERS, StoreWithoutOrders())
