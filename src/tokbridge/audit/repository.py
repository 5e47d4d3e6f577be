"""Reading the trail of the merchant the session is bound to (see tenancy.scoping)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tokbridge.audit.models import AuditEntry


@dataclass(frozen=True)
class AuditFilter:
    """What the audit page and `/api/v1/audit` narrow the trail by; None is "any"."""

    product_id: int | None = None
    user: str | None = None  # an email, or part of a job's name
    kind: str | None = None  # a family too: "listing" finds "listing.price"
    since: datetime | None = None
    until: datetime | None = None
    connection_id: str | None = None  # that shop's entries and the merchant's own

    def where(self, query):
        if self.product_id is not None:
            query = query.where(AuditEntry.product_id == self.product_id)
        if self.user:
            query = query.where(func.lower(AuditEntry.actor_name).contains(self.user.lower(), autoescape=True))
        if self.kind:
            query = query.where(
                (AuditEntry.kind == self.kind) | AuditEntry.kind.startswith(f"{self.kind}.", autoescape=True)
            )
        if self.since is not None:
            query = query.where(AuditEntry.created_at >= self.since)
        if self.until is not None:
            query = query.where(AuditEntry.created_at < self.until)
        if self.connection_id is not None:
            query = query.where((AuditEntry.connection_id == self.connection_id) | AuditEntry.connection_id.is_(None))
        return query


class AuditRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, entry_id: int) -> AuditEntry | None:
        return self.session.scalar(select(AuditEntry).where(AuditEntry.id == entry_id))

    def page(self, where: AuditFilter, *, limit: int = 50, before_id: int | None = None) -> list[AuditEntry]:
        """Newest first, paged by id."""
        query = where.where(select(AuditEntry)).order_by(AuditEntry.id.desc()).limit(limit)
        if before_id:
            query = query.where(AuditEntry.id < before_id)
        return list(self.session.scalars(query))

    def every(self, where: AuditFilter, chunk: int = 1000) -> Iterator[AuditEntry]:
        """All matching entries, newest first, read a chunk at a time (the CSV export)."""
        before_id = None
        while rows := self.page(where, limit=chunk, before_id=before_id):
            yield from rows
            before_id = rows[-1].id

    def items(self, head_id: int, *, after_id: int = 0, limit: int | None = None) -> list[AuditEntry]:
        """The entries of a change set (its head excluded), oldest first, from `after_id` on."""
        query = (
            select(AuditEntry)
            .where(AuditEntry.change_set_id == head_id, AuditEntry.id > after_id)
            .order_by(AuditEntry.id)
        )
        return list(self.session.scalars(query.limit(limit) if limit else query))

    def count_items(self, head_id: int) -> int:
        return (
            self.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.change_set_id == head_id))
            or 0
        )
