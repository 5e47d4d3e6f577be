"""Etsy's access tokens last an hour and its refresh tokens rotate on every use: the plugin renews ahead of
expiry through the domain's locked refresh, the new pair is stored in the transaction that holds the row,
and two workers renewing at once spend the refresh token once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.etsy_adapter.conftest import ACCESS_TOKEN, REFRESH_TOKEN
from tokbridge.channels import registry
from tokbridge.channels.connections import fresh_store_connection
from tokbridge.channels.models import ChannelConnection
from tokbridge.config import get_settings
from tokbridge.db.base import utcnow
from tokbridge.db.engine import make_engine, session_scope
from tokbridge.kit.errors import NeedsReconnect
from tokbridge.tenancy.models import Merchant


@pytest.fixture
def expiring(live_etsy, database_url, tmp_path, monkeypatch):
    """A sandbox and the seller's Etsy connection, its access token expiring in a minute."""
    etsy = live_etsy()
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        merchant = Merchant(name="Etsy seller")
        session.add(merchant)
        session.flush()
        connection = ChannelConnection(
            merchant_id=merchant.id,
            channel="etsy",
            external_id=str(etsy.config.shop_id),
            name=etsy.config.shop_name,
            data={},
            scopes=["listings_r", "listings_w", "shops_r", "transactions_r"],
        )
        connection.access_token, connection.refresh_token = ACCESS_TOKEN, REFRESH_TOKEN
        connection.access_expires_at = utcnow() + timedelta(minutes=1)
        connection.status = "active"
        session.add(connection)
        session.flush()
        session.expunge(connection)
    yield etsy, engine, connection
    engine.dispose()


def stored(engine, connection_id: str) -> ChannelConnection:
    with session_scope(engine) as session:
        row = session.scalar(select(ChannelConnection).where(ChannelConnection.id == connection_id))
        session.expunge(row)
        return row


def test_a_token_about_to_expire_is_renewed_and_the_rotated_pair_stored(expiring):
    etsy, engine, connection = expiring
    plugin = registry.plugin("etsy")
    assert plugin.connector.needs_refresh(connection)
    issued = len(etsy.sandbox.grants)

    fresh = fresh_store_connection(get_settings(), connection)

    row = stored(engine, connection.id)
    assert fresh.access_token != ACCESS_TOKEN and fresh.refresh_token != REFRESH_TOKEN
    assert (row.access_token, row.refresh_token) == (fresh.access_token, fresh.refresh_token)
    assert row.access_expires_at > utcnow() + timedelta(minutes=50)
    assert REFRESH_TOKEN in etsy.sandbox.revoked_refresh
    assert len(etsy.sandbox.grants) == issued + 1
    # The second pass: fresh for an hour, nothing renewed; the new token opens the shop.
    assert fresh_store_connection(get_settings(), row).access_token == row.access_token
    assert len(etsy.sandbox.grants) == issued + 1
    with plugin.store(get_settings(), engine, row) as store:
        assert store.shop_details()["name"] == etsy.config.shop_name
    # The spent refresh token renews nothing any more: the merchant would have to connect again.
    with pytest.raises(NeedsReconnect):
        plugin.connector.refresh(get_settings(), connection)


def test_two_workers_renewing_at_once_spend_the_refresh_token_once(expiring):
    etsy, engine, connection = expiring
    issued = len(etsy.sandbox.grants)
    start = threading.Barrier(2)
    results: list[ChannelConnection | BaseException] = []

    def worker() -> None:
        start.wait()
        try:
            results.append(fresh_store_connection(get_settings(), stored(engine, connection.id)))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            results.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert all(isinstance(result, ChannelConnection) for result in results), results
    assert len(etsy.sandbox.grants) == issued + 1, "the refresh token was spent twice"
    assert {result.access_token for result in results} == {stored(engine, connection.id).access_token}
