from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tokbridge.activity.models import Activity, NotificationSettings


class ActivityRepository:
    """Activity rows of the merchant the session is bound to (see tenancy.scoping)."""

    def __init__(self, session: Session):
        self.session = session

    def for_job(self, job_id: int) -> Activity | None:
        return self.session.scalar(select(Activity).where(Activity.job_id == job_id))

    def get(self, activity_id: int) -> Activity | None:
        return self.session.scalar(select(Activity).where(Activity.id == activity_id))

    def recent(
        self, limit: int = 20, status: str | None = None, before_id: int | None = None, connection_id: str | None = None
    ) -> list[Activity]:
        """The newest rows; of one TikTok shop when `connection_id` is given (with the merchant's rows that
        belong to no shop: plan changes, the store's catalog)."""
        return self.history(limit=limit, status=status, before_id=before_id, connection_id=connection_id)

    def history(
        self,
        *,
        limit: int = 50,
        status: str | None = None,
        kind: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        before_id: int | None = None,
        connection_id: str | None = None,
    ) -> list[Activity]:
        """Newest first, paged by id. `kind` matches a family too: "listings" finds "listings.upload".
        `connection_id`: that shop's rows and the rows of no shop."""
        query = select(Activity).order_by(Activity.id.desc()).limit(limit)
        if connection_id is not None:
            query = query.where((Activity.connection_id == connection_id) | Activity.connection_id.is_(None))
        if status:
            query = query.where(Activity.status == status)
        if kind:
            query = query.where((Activity.kind == kind) | Activity.kind.startswith(f"{kind}.", autoescape=True))
        if since is not None:
            query = query.where(Activity.created_at >= since)
        if until is not None:
            query = query.where(Activity.created_at < until)
        if before_id:
            query = query.where(Activity.id < before_id)
        return list(self.session.scalars(query))

    def ongoing(self) -> list[Activity]:
        return list(
            self.session.scalars(select(Activity).where(Activity.status == "ongoing").order_by(Activity.id.desc()))
        )

    def notification_settings(self, merchant_id: int, create: bool = True) -> NotificationSettings:
        """The merchant's email preferences; the defaults (all on) until saved. `create=False` for readers."""
        settings = self.session.scalar(select(NotificationSettings))
        if settings is None:
            settings = NotificationSettings(
                merchant_id=merchant_id, email=None, on_failed_upload=True, on_failed_order=True, on_plan_limit=True
            )
            if create:
                self.session.add(settings)
                self.session.flush()
        return settings
