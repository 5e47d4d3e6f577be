"""A TikTok shop for the template tests: templates and their product links belong to one shop."""

from __future__ import annotations

import itertools

import pytest

from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.shops import ShopContext, shop_context
from tokbridge.db.engine import session_scope
from tokbridge.tenancy.scoping import bind_merchant

_serial = itertools.count(1)


def add_shop(engine, merchant_id: int, region: str = "US") -> ShopContext:
    """An active TikTok shop of the merchant in `region` (a row only: these tests call no TikTok)."""
    with session_scope(engine) as session:
        bind_merchant(session, merchant_id)
        n = next(_serial)
        connection = ChannelConnection(
            merchant_id=merchant_id, channel="tiktok", external_id=f"74940{n:05d}", name=f"Shop {n}", region=region
        )
        session.add(connection)
        session.flush()
        return shop_context(session, connection.id)


@pytest.fixture
def shop(engine, merchant_id) -> ShopContext:
    return add_shop(engine, merchant_id, "US")
