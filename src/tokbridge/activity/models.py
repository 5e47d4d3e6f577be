from __future__ import annotations

from enum import StrEnum

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tokbridge.db.base import Base, BigId, TenantOwned, Timestamped


class ActivityStatus(StrEnum):
    ONGOING = "ongoing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    INFO = "info"


class Activity(TenantOwned, Timestamped, Base):
    __tablename__ = "activity"
    __table_args__ = (
        Index("ix_activity_merchant_created", "merchant_id", "created_at"),
        Index("ix_activity_merchant_connection_created", "merchant_id", "connection_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # The TikTok shop (or store) it happened in; None for what concerns the whole merchant (plan, sign-in).
    connection_id: Mapped[str | None] = mapped_column(String(32))
    job_id: Mapped[int | None] = mapped_column(BigId, index=True)
    kind: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default=ActivityStatus.INFO)
    message: Mapped[str | None] = mapped_column(Text)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int | None] = mapped_column(Integer)
    # Before/after values for price and stock changes, error details, links.
    details: Mapped[dict] = mapped_column(JSON, default=dict)


class NotificationSettings(TenantOwned, Timestamped, Base):
    """Which events the merchant wants an email about, and where to. The defaults (all on, to the
    signed-up email) apply until the merchant saves these in Settings."""

    __tablename__ = "notification_settings"
    __table_args__ = (UniqueConstraint("merchant_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    email: Mapped[str | None] = mapped_column(String(320))  # None: the account's email
    on_failed_upload: Mapped[bool] = mapped_column(Boolean, default=True)
    on_failed_order: Mapped[bool] = mapped_column(Boolean, default=True)
    on_plan_limit: Mapped[bool] = mapped_column(Boolean, default=True)
