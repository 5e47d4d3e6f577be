"""Stored connections to external accounts, and the TikTok token store on top of them.

Tokens live encrypted in `channel_connection` (see db/encrypted.py). One refresh at a time per shop,
across every worker process: `lock` opens a transaction that first writes the shop's row, which holds
the row lock on PostgreSQL and the write lock on SQLite until the refreshed tokens are saved.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from tokbridge.channels.base import ConnectionGrant
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.registry import plugin_of, store_kinds
from tokbridge.channels.tiktok.models import TokenGrant
from tokbridge.config import Settings
from tokbridge.db.base import utcnow
from tokbridge.db.engine import get_engine, session_scope, sessionmaker_for
from tokbridge.kit.errors import NeedsReconnect

T = TypeVar("T")

TIKTOK = "tiktok"


class ConnectionRepository:
    """Connections of the merchant the session is bound to; `by_external_id` is for webhook routing."""

    def __init__(self, session: Session):
        self.session = session

    def get(self, connection_id: str) -> ChannelConnection | None:
        return self.session.scalar(select(ChannelConnection).where(ChannelConnection.id == connection_id))

    def for_channel(self, channel: str, active_only: bool = True) -> list[ChannelConnection]:
        query = select(ChannelConnection).where(ChannelConnection.channel == channel)
        if active_only:
            query = query.where(ChannelConnection.status == "active")
        return list(self.session.scalars(query.order_by(ChannelConnection.created_at)))

    def stores(self, active_only: bool = True) -> list[ChannelConnection]:
        """Every source-store connection of the merchant (the active ones, unless `active_only=False`)."""
        query = select(ChannelConnection).where(ChannelConnection.channel.in_(sorted(store_kinds())))
        if active_only:
            query = query.where(ChannelConnection.status == "active")
        return list(self.session.scalars(query.order_by(ChannelConnection.created_at)))

    def by_external_id(self, channel: str, external_id: str) -> ChannelConnection | None:
        return self.session.scalar(
            select(ChannelConnection).where(
                ChannelConnection.channel == channel, ChannelConnection.external_id == external_id
            )
        )


def lock_connection(session: Session, connection_id: str) -> ChannelConnection | None:
    """The connection, freshly read inside a transaction that first wrote its row: the row lock on
    PostgreSQL, the write lock on SQLite (where a transaction that reads first, then writes, fails at
    once if another connection wrote meanwhile). Use it before changing `data` or `status`."""
    session.execute(
        update(ChannelConnection)
        .where(ChannelConnection.id == connection_id)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return session.scalar(
        select(ChannelConnection).where(ChannelConnection.id == connection_id).execution_options(populate_existing=True)
    )


def store_grant(connection: ChannelConnection, grant: ConnectionGrant) -> None:
    """Keep a grant's credentials on the connection (encrypted by the columns themselves)."""
    connection.access_token = grant.access_token
    connection.refresh_token = grant.refresh_token
    connection.access_expires_at = grant.access_expires_at
    connection.refresh_expires_at = grant.refresh_expires_at
    connection.scopes = list(grant.scopes)


def fresh_store_connection(
    settings: Settings, connection: ChannelConnection, *, rejected_token: str | None = None
) -> ChannelConnection:
    """The connection with credentials that are not about to expire: the plugin's connector renews them
    (and they are stored) when it says they expire soon, or when the store refused `rejected_token`.
    Raises `NeedsReconnect` when the store no longer renews them."""
    connector = plugin_of(connection).connector

    def needs_refresh(row: ChannelConnection) -> bool:
        if rejected_token is not None:
            return row.access_token == rejected_token  # otherwise someone has refreshed it already
        return connector.needs_refresh(row)

    if not needs_refresh(connection):
        return connection
    with session_scope(get_engine(settings.database_url)) as session:
        # The row stays locked for the one refresh call: two workers must not both spend the refresh
        # token, since stores invalidate the old one when the new pair is used.
        # Found by its id (unique), so this session needs no merchant bound.
        row = lock_connection(session, connection.id)
        if row is None or not needs_refresh(row):
            return row or connection
        store_grant(row, connector.refresh(settings, row))
        return row


def with_fresh_connection(
    settings: Settings, connection: ChannelConnection, work: Callable[[ChannelConnection], T]
) -> T:
    """Run `work` with fresh credentials; when the store refuses them anyway (clocks differ), renew once
    and run `work` again (it must be safe to repeat)."""
    connection = fresh_store_connection(settings, connection)
    try:
        return work(connection)
    except NeedsReconnect:
        connection = fresh_store_connection(settings, connection, rejected_token=connection.access_token)
        return work(connection)


class DatabaseTokenStore:
    """`tokbridge.channels.tiktok.auth.TokenStore` backed by the encrypted connection rows."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._local = threading.local()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        held = getattr(self._local, "session", None)
        if held is not None:  # inside lock(): use its transaction
            yield held
            return
        with sessionmaker_for(self.engine)() as session, session.begin():
            yield session

    def _row(self, session: Session, shop_id: str) -> ChannelConnection | None:
        return ConnectionRepository(session).by_external_id(TIKTOK, shop_id)

    def load(self, shop_id: str) -> TokenGrant | None:
        with self._session() as session:
            row = self._row(session, shop_id)
            if (
                row is None
                or row.status != "active"
                or row.access_token_ciphertext is None
                or row.access_expires_at is None
                or row.refresh_expires_at is None
            ):
                return None
            return TokenGrant(
                access_token=row.access_token,
                access_token_expire_in=int(row.access_expires_at.timestamp()),
                refresh_token=row.refresh_token,
                refresh_token_expire_in=int(row.refresh_expires_at.timestamp()),
                granted_scopes=list(row.scopes or []),
            )

    def save(self, shop_id: str, grant: TokenGrant) -> None:
        with self._session() as session:
            row = self._row(session, shop_id)
            if row is None:
                raise LookupError(f"no TikTok connection for shop {shop_id}")
            apply_grant(row, grant)

    def forget(self, shop_id: str) -> None:
        with self._session() as session:
            if row := self._row(session, shop_id):
                row.access_token = None
                row.refresh_token = None
                row.status = "disconnected"

    @contextmanager
    def lock(self, shop_id: str) -> Iterator[None]:
        with sessionmaker_for(self.engine)() as session, session.begin():
            session.execute(
                update(ChannelConnection)
                .where(ChannelConnection.channel == TIKTOK, ChannelConnection.external_id == shop_id)
                .values(updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            self._local.session = session
            try:
                yield
            finally:
                self._local.session = None


def apply_grant(row: ChannelConnection, grant: TokenGrant) -> None:
    row.access_token = grant.access_token
    row.refresh_token = grant.refresh_token
    row.access_expires_at = datetime.fromtimestamp(grant.access_token_expire_in, UTC)
    row.refresh_expires_at = datetime.fromtimestamp(grant.refresh_token_expire_in, UTC)
    if grant.granted_scopes:
        row.scopes = list(grant.granted_scopes)
    row.status = "active"
