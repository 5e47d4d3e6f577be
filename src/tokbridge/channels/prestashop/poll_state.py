"""What the change poll remembers between runs, kept in the connection's `data` under the plugin's own
key (`POLL_KEY`), never touching the domain's keys: a short digest of each product's stock rows and
combinations. PrestaShop does not bump a product's `date_upd` when its stock or combinations are written
(PrestaShop#20465), so the poll compares these digests to find such changes.

Written in a transaction that first writes the connection's row (the row lock on PostgreSQL, the write
lock on SQLite), so two polls of the same shop never interleave their read and write of `data`."""

from __future__ import annotations

from sqlalchemy import Engine, select, update

from tokbridge.channels.models import ChannelConnection
from tokbridge.db.base import utcnow
from tokbridge.db.engine import session_scope

POLL_KEY = "prestashop_poll"


class PollState:
    def __init__(self, engine: Engine, connection_id: str):
        self.engine = engine
        self.connection_id = connection_id

    def digests(self) -> dict[str, str] | None:
        """product id -> digest of its stock and combinations, as last seen; None before the first look."""
        with session_scope(self.engine) as session:
            data = session.scalar(select(ChannelConnection.data).where(ChannelConnection.id == self.connection_id))
        stored = (data or {}).get(POLL_KEY) or {}
        found = stored.get("digests")
        return dict(found) if isinstance(found, dict) else None

    def save_digests(self, digests: dict[str, str]) -> None:
        with session_scope(self.engine) as session:
            session.execute(update(ChannelConnection).where(ChannelConnection.id == self.connection_id)
                            .values(updated_at=utcnow()).execution_options(synchronize_session=False))
            row = session.scalar(select(ChannelConnection).where(ChannelConnection.id == self.connection_id)
                                 .execution_options(populate_existing=True))
            if row is None:
                return
            data = dict(row.data or {})
            data[POLL_KEY] = {**(data.get(POLL_KEY) or {}), "digests": digests}
            row.data = data
