"""Queries on the webhook inbox. Recording is one INSERT .. ON CONFLICT DO NOTHING: a redelivery
of an event already recorded inserts nothing, on SQLite and PostgreSQL alike, without a race."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tokbridge.db.base import utcnow
from tokbridge.inbox.models import InboundEvent

_table = InboundEvent.__table__


class InboxRepository:
    def __init__(self, session: Session):
        self.session = session

    def record(
        self, *, source: str, external_id: str, merchant_id: int | None, topic: str, payload: dict
    ) -> int | None:
        """The new event's id, or None when (source, external_id) was recorded before."""
        insert = postgresql.insert if self.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        statement = (
            insert(_table)
            .values(
                source=source,
                external_id=external_id,
                merchant_id=merchant_id,
                topic=topic,
                payload=payload,
                received_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["source", "external_id"])
            .returning(_table.c.id)
        )
        return self.session.execute(statement).scalar_one_or_none()

    def record_many(self, rows: list[dict]) -> dict[tuple[str, str], int]:
        """Insert events ({source, external_id, merchant_id, topic, payload}) in one statement; returns
        {(source, external_id): id} of those not recorded before."""
        if not rows:
            return {}
        insert = postgresql.insert if self.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        now = utcnow()
        statement = (
            insert(_table)
            .values([{**row, "received_at": now} for row in rows])
            .on_conflict_do_nothing(index_elements=["source", "external_id"])
            .returning(_table.c.id, _table.c.source, _table.c.external_id)
        )
        return {(source, external_id): event_id for event_id, source, external_id in self.session.execute(statement)}

    def get(self, event_id: int) -> InboundEvent | None:
        return self.session.get(InboundEvent, event_id)

    def mark_processed(self, event: InboundEvent) -> None:
        event.processed_at = utcnow()

    def unprocessed(self, source: str, topic: str | None = None, limit: int = 100) -> list[InboundEvent]:
        query = select(InboundEvent).where(InboundEvent.source == source, InboundEvent.processed_at.is_(None))
        if topic:
            query = query.where(InboundEvent.topic == topic)
        return list(self.session.scalars(query.order_by(InboundEvent.id).limit(limit)))

    def for_merchant(self, merchant_id: int, limit: int = 100) -> list[InboundEvent]:
        return list(
            self.session.scalars(
                select(InboundEvent)
                .where(InboundEvent.merchant_id == merchant_id)
                .order_by(InboundEvent.id)
                .limit(limit)
            )
        )
