"""Queries on merchants, users and sessions.

Sign-in must find a user by email before anyone is known, so `AccountRepository` is deliberately
unscoped; everything it returns is then used only for the merchant it belongs to.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

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

    def throttle(self, email: str) -> LoginThrottle | None:
        return self.session.get(LoginThrottle, email)

    def web_session(self, token_hash: str) -> WebSession | None:
        return self.session.get(WebSession, token_hash)

    def user(self, user_id: int) -> User | None:
        return self.session.get(User, user_id)

    def delete_expired_sessions(self, now: datetime) -> int:
        return self.session.execute(delete(WebSession).where(WebSession.expires_at < now)).rowcount
