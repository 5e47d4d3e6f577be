from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tokbridge.db.base import Base, BigId, TenantOwned, Timestamped


class Subscription(TenantOwned, Timestamped, Base):
    """A merchant's plan. Usage counts restart on `billing_day` each month.

    `status` is "active", or "pending" while a change to `pending_plan_code` waits for the merchant's
    approval at the store platform (the store's charge, `external_charge_id`); `plan_code` changes only
    once that charge is read back as approved (see billing.service.confirm_plan_change)."""

    __tablename__ = "subscription"
    __table_args__ = (UniqueConstraint("merchant_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    plan_code: Mapped[str] = mapped_column(String(40))
    billing_day: Mapped[int] = mapped_column(Integer)  # 1..28, so every month has it
    status: Mapped[str] = mapped_column(String(20), default="active")
    # The store platform's charge id: the one waiting for approval while
    # pending, else the one paying for the current plan (None on a free plan or without a store).
    external_charge_id: Mapped[str | None] = mapped_column(String(255))
    pending_plan_code: Mapped[str | None] = mapped_column(String(40))
    # The end of the billing period the store's charge is in, read when the
    # charge is approved; None on a free plan or without a store, where `billing_day` sets the periods.
    billing_period_end: Mapped[datetime | None]
    started_at: Mapped[datetime]
