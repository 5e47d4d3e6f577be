"""One row per change a person or a job made. A bulk change is a *change set*: its head entry (the
template edit, the bulk deactivate) and one entry per product it changed, pointing at the head; undo
works on a change set, from the values each entry kept."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tokbridge.db.base import Base, BigId, TenantOwned, utcnow


class ActorType(StrEnum):
    USER = "user"
    JOB = "job"
    SYSTEM = "system"  # periodic work, webhooks: no person and no job


class AuditEntry(TenantOwned, Base):
    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_merchant_created", "merchant_id", "created_at"),
        Index("ix_audit_entry_merchant_product", "merchant_id", "product_id"),
        Index("ix_audit_entry_change_set", "change_set_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The TikTok shop (or store) it happened in; None for the merchant's own (plan, account).
    connection_id: Mapped[str | None] = mapped_column(String(32))
    actor_type: Mapped[str] = mapped_column(String(10))
    # The person: who acted, or on whose behalf the job worked. No foreign key: the record outlives them.
    user_id: Mapped[int | None] = mapped_column(BigId)
    actor_name: Mapped[str] = mapped_column(String(320))  # an email, or the job's title
    job_id: Mapped[int | None] = mapped_column(BigId)
    triggered_by: Mapped[str | None] = mapped_column(String(255))  # what started the job, in words
    kind: Mapped[str] = mapped_column(String(60))
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    product_id: Mapped[int | None] = mapped_column(BigId)  # no foreign key: outlives the product
    summary: Mapped[str] = mapped_column(String(255))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    # The head of the bulk change this entry belongs to (None: it is a head, or a change on its own).
    change_set_id: Mapped[int | None] = mapped_column(BigId)
    undo_of: Mapped[int | None] = mapped_column(BigId)  # on an undo's head: the change set it takes back
    undone_by: Mapped[int | None] = mapped_column(BigId)  # on a head: the undo that took it back

    @property
    def head_id(self) -> int:
        return self.change_set_id or self.id
