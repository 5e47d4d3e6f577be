"""Personal API tokens: created in Settings, shown once, stored as their SHA-256 (like a sign-in session's
cookie), read-only or read-write, with an optional expiry; revoked by their user.

A token acts as its user within their merchant: the web layer binds the request's session to that
merchant exactly as for a signed-in browser (web/deps.py), so a token reaches nothing of another merchant.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from tokbridge.db.base import utcnow
from tokbridge.tenancy.models import ApiToken, User
from tokbridge.tenancy.service import AccountError, hash_token

PREFIX = "tbk_"  # tells a TokBridge token at a glance (and to the log masking, kit/logs.py)
MAX_NAME = 100
# The choices Settings offers: days until the token expires (None: never).
EXPIRY_CHOICES: dict[str, int | None] = {"30": 30, "90": 90, "365": 365, "7": 7, "never": None}
# A token's last use is written at most this often: a script's burst of calls costs one write.
LAST_USED_PRECISION = timedelta(minutes=1)


@dataclass(frozen=True)
class NewToken:
    token: str  # shown once; only its hash is kept
    row: ApiToken


def create_token(session: Session, user: User, name: str, *, read_only: bool, expires_in_days: int | None) -> NewToken:
    """A new token for `user` (the caller commits). Raises AccountError with what to fix."""
    name = " ".join(name.split())
    if not name:
        raise AccountError("Give the token a name, such as the script that will use it.")
    if len(name) > MAX_NAME:
        raise AccountError(f"Use a name of at most {MAX_NAME} characters.")
    if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
        raise AccountError("Choose when the token expires.")
    token = PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    row = ApiToken(
        merchant_id=user.merchant_id,
        user_id=user.id,
        name=name,
        token_hash=hash_token(token),
        hint=token[: len(PREFIX) + 4],
        read_only=read_only,
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days is not None else None,
    )
    session.add(row)
    session.flush()
    return NewToken(token=token, row=row)


def live_token(session: Session, token: str | None) -> ApiToken | None:
    """The unrevoked, unexpired token that `token` is, or None. Looked up by its hash: the hash of a random
    token tells nothing about another, so the lookup's timing gives nothing away."""
    if not token or not token.startswith(PREFIX):
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    now = utcnow()
    if row is None or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        return None
    return row


def mark_used(session: Session, token_id: int) -> None:
    """Record that the token was used now, unless that was recorded within the last minute (the caller
    commits)."""
    now = utcnow()
    session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - LAST_USED_PRECISION),
        )
        .values(last_used_at=now)
    )


def needs_marking(row: ApiToken) -> bool:
    return row.last_used_at is None or row.last_used_at < utcnow() - LAST_USED_PRECISION


def tokens_of(session: Session, user_id: int) -> list[ApiToken]:
    """The user's tokens, newest first, revoked ones included (the list says so)."""
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke(session: Session, user_id: int, token_id: int) -> ApiToken | None:
    """Revoke one of the user's own tokens; None when the user has no such token (the caller commits)."""
    row = session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
    return row


def state(row: ApiToken, now: datetime | None = None) -> str:
    """ "active", "expired" or "revoked", for the list."""
    now = now or utcnow()
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at is not None and row.expires_at <= now:
        return "expired"
    return "active"
