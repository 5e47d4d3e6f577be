"""Queries on merchants, users and sessions.

Sign-in must find a user by email before anyone is known, so `AccountRepository` is deliberately
unscoped; everything it returns is then used only for the merchant it belongs to.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, delete, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tokbridge.db.engine import rows_changed
from tokbridge.tenancy.models import LoginThrottle, Merchant, User, WebSession


class AccountRepository:
    def __init__(self, session: Session):
        self.session = session

    def user_by_email(self, email: str) -> User | None:
        return self.session.scalar(select(User).where(User.email == email))

    def merchant(self, merchant_id: int) -> Merchant | None:
        return self.session.get(Merchant, merchant_id)

    def lock_merchant(self, merchant_id: int) -> None:
        """Hold the merchant's row until the transaction ends, to take turns on a per-merchant count
        (PostgreSQL; SQLite's write lock already serialises writers). FOR NO KEY UPDATE: rows being
        inserted for the merchant (which take a key-share lock through their foreign key) never wait."""
        self.session.execute(select(Merchant.id).where(Merchant.id == merchant_id).with_for_update(key_share=True))

    def first_user(self) -> User | None:
        return self.session.scalar(select(User).order_by(User.id).limit(1))

    def count_sign_in_attempt(
        self, email: str, now: datetime, lock_at: int, lock_until: datetime
    ) -> tuple[int, datetime | None]:
        """Add one attempt to the email's count and return (attempts, locked until), in one statement, so
        simultaneous attempts each see their own number. An expired lock-out starts counting again; the
        attempt that reaches `lock_at` locks until `lock_until`, and later ones leave that time alone."""
        throttle = LoginThrottle.__table__.c
        expired = and_(throttle.locked_until.is_not(None), throttle.locked_until <= now)
        lock = literal(lock_until, throttle.locked_until.type)
        insert = postgresql.insert if self.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        statement = insert(LoginThrottle.__table__).values(
            email=email, failures=1, locked_until=lock if lock_at <= 1 else None, updated_at=now
        )
        upsert = statement.on_conflict_do_update(
            index_elements=[throttle.email],
            set_={
                "failures": case((expired, 1), else_=throttle.failures + 1),
                "locked_until": case(
                    (expired, lock if lock_at <= 1 else None),
                    (throttle.failures + 1 >= lock_at, func.coalesce(throttle.locked_until, lock)),
                    else_=throttle.locked_until,
                ),
                "updated_at": now,
            },
        ).returning(throttle.failures, throttle.locked_until)
        attempts, locked_until = self.session.execute(upsert).one()
        return attempts, locked_until

    def forget_sign_in_attempts(self, email: str) -> None:
        self.session.execute(delete(LoginThrottle).where(LoginThrottle.email == email))

    def web_session(self, token_hash: str) -> WebSession | None:
        return self.session.get(WebSession, token_hash)

    def user(self, user_id: int) -> User | None:
        return self.session.get(User, user_id)

    def delete_expired_sessions(self, now: datetime) -> int:
        return rows_changed(self.session.execute(delete(WebSession).where(WebSession.expires_at < now)))
