"""What the change poll remembers between runs, kept in the connection's `data` under the plugin's own
key (`POLL_KEY`), never touching the domain's keys: a short digest of each product's stock rows and
combinations. PrestaShop does not bump a product's `date_upd` when its stock or combinations are written
(PrestaShop#20465), so the poll compares these digests to find such changes.

A poll's new digests are kept as *pending*, with the `since` it was asked for, and become the baseline
only when a later poll is asked for a later `since`: the caller moves its `since` on only once it applied
every page of the poll, so a poll that crashed after reading the digests (before its pages were applied)
is compared again with the old baseline and reports the same changes, instead of losing them.

Written in a transaction that first writes the connection's row (the row lock on PostgreSQL, the write
lock on SQLite), so two polls of the same shop never interleave their read and write of `data`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select, update

from tokbridge.channels.models import ChannelConnection
from tokbridge.db.base import utcnow
from tokbridge.db.engine import session_scope

POLL_KEY = "prestashop_poll"


class PollState:
    def __init__(self, engine: Engine, connection_id: str):
        self.engine = engine
        self.connection_id = connection_id

    def _stored(self) -> dict:
        with session_scope(self.engine) as session:
            data = session.scalar(select(ChannelConnection.data).where(ChannelConnection.id == self.connection_id))
        stored = (data or {}).get(POLL_KEY)
        return stored if isinstance(stored, dict) else {}

    def baseline(self, since: datetime) -> dict[str, str] | None:
        """product id -> digest of its stock and combinations as of the last poll whose pages were applied
        (judged by `since`, see the module's docstring); None before the first look."""
        stored = self._stored()
        pending = stored.get("pending")
        if isinstance(pending, dict) and datetime.fromisoformat(pending["since"]) < since:
            return dict(pending["digests"])
        found = stored.get("digests")
        return dict(found) if isinstance(found, dict) else None

    def save_baseline(self, digests: dict[str, str]) -> None:
        """What the stock and combinations are now, as the baseline (a full import read everything)."""
        self._write({"digests": digests})

    def save_poll(self, since: datetime, baseline: dict[str, str] | None, digests: dict[str, str]) -> None:
        """A poll for `since` compared `digests` with `baseline`: the latter stays the baseline until a
        later `since` shows this poll's pages were applied."""
        state: dict[str, object]
        if baseline is None or digests == baseline:
            state = {"digests": digests}
        else:
            state = {"digests": baseline, "pending": {"since": since.isoformat(), "digests": digests}}
        if state != self._stored():  # most polls find nothing: the connection's row is not written then
            self._write(state)

    def _write(self, state: dict) -> None:
        with session_scope(self.engine) as session:
            session.execute(
                update(ChannelConnection)
                .where(ChannelConnection.id == self.connection_id)
                .values(updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            row = session.scalar(
                select(ChannelConnection)
                .where(ChannelConnection.id == self.connection_id)
                .execution_options(populate_existing=True)
            )
            if row is None:
                return
            data = dict(row.data or {})
            data[POLL_KEY] = state
            row.data = data
