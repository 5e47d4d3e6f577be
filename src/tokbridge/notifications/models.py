"""What happened that the merchant may want an email about, and the digest emails made of it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tokbridge.db.base import Base, BigId, TenantOwned, Timestamped, utcnow


class EventKind(StrEnum):
    FAILED_UPLOAD = "failed_upload"  # subject: listing id
    FAILED_ORDER = "failed_order"  # subject: order id
    ORDER_WAITING_FOR_PLAN = "order_waiting_for_plan"  # subject: order id


class DigestState(StrEnum):
    PENDING = "pending"  # composed, not handed to the SMTP server yet (safe to send)
    SENDING = "sending"  # handed over; if the job dies now nobody knows whether it went out
    SENT = "sent"
    UNCERTAIN = "uncertain"  # the connection broke while the server held the message: never sent again


class NotificationEvent(TenantOwned, Base):
    """One notable event, written in the transaction that caused it (see hooks.py)."""

    __tablename__ = "notification_event"
    __table_args__ = (Index("ix_notification_event_unhandled", "merchant_id", "handled_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int] = mapped_column(BigId)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when a digest took it in, or left it out (preference off, email not configured).
    handled_at: Mapped[datetime | None]
    digest_id: Mapped[int | None] = mapped_column(BigId)


class NotificationDigest(TenantOwned, Timestamped, Base):
    """One email, composed and recorded before it is sent (the record of what went out)."""

    __tablename__ = "notification_digest"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(255))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default=DigestState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
