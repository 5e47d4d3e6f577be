"""Stored connections to external accounts, and the TikTok token store on top of them.

Tokens live encrypted in `channel_connection` (see db/encrypted.py). One refresh at a time per shop,
across every worker process: `lock` opens a transaction that first writes the shop's row, which holds
the row lock on PostgreSQL and the write lock on SQLite until the refreshed tokens are saved.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.tiktok.models import TokenGrant
from tokbridge.db.base import utcnow
from tokbridge.db.engine import sessionmaker_for

TIKTOK = "tiktok"
SHOPIFY = "shopify"


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

    def first(self, channel: str) -> ChannelConnection | None:
        connections = self.for_channel(channel)
        return connections[0] if connections else None

    def by_external_id(self, channel: str, external_id: str) -> ChannelConnection | None:
        return self.session.scalar(select(ChannelConnection).where(
            ChannelConnection.channel == channel, ChannelConnection.external_id == external_id))


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
            if row is None or row.status != "active" or row.access_token_ciphertext is None:
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
            session.execute(update(ChannelConnection)
                            .where(ChannelConnection.channel == TIKTOK, ChannelConnection.external_id == shop_id)
                            .values(updated_at=utcnow()).execution_options(synchronize_session=False))
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
