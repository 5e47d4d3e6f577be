from __future__ import annotations

from enum import StrEnum

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tokbridge.db.base import Base, BigId, TenantOwned, Timestamped


class ActivityStatus(StrEnum):
    ONGOING = "ongoing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    INFO = "info"


class Activity(TenantOwned, Timestamped, Base):
    __tablename__ = "activity"
    __table_args__ = (Index("ix_activity_merchant_created", "merchant_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    job_id: Mapped[int | None] = mapped_column(BigId, index=True)
    kind: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default=ActivityStatus.INFO)
    message: Mapped[str | None] = mapped_column(Text)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int | None] = mapped_column(Integer)
    # Before/after values for price and stock changes, error details, links.
    details: Mapped[dict] = mapped_column(JSON, default=dict)
