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
