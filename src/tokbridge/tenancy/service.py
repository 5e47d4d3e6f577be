"""Accounts and sign-in: merchants, users, argon2 passwords, server-side sessions, lock-out."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from tokbridge.channels.shops import ShopContext, shop_context
from tokbridge.config import Settings
from tokbridge.db.base import utcnow
from tokbridge.kit.words import plural
from tokbridge.tenancy.models import Merchant, User, WebSession
from tokbridge.tenancy.repository import AccountRepository

_hasher = PasswordHasher()
# Verified against when the email is unknown, so both cases cost the same time.
_DUMMY_HASH = _hasher.hash("tokbridge-timing-equaliser")

INVALID_LOGIN = "Invalid email or password."
MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """A user-facing problem with account data; the message says what to do."""


class LoginFailed(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class SignedIn:
    token: str  # goes into the cookie; only its hash is stored
    session: WebSession


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320 or email.startswith("@") or email.endswith("@"):
        raise AccountError("Enter a valid email address.")
    return email


def create_merchant_with_user(session: Session, merchant_name: str, email: str, password: str) -> User:
    email = normalize_email(email)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Use a password of at least {MIN_PASSWORD_LENGTH} characters.")
    if not merchant_name.strip():
        raise AccountError("Enter your business name.")
    accounts = AccountRepository(session)
    if accounts.user_by_email(email) is not None:
        raise AccountError("An account with this email already exists; sign in instead.")
    merchant = Merchant(name=merchant_name.strip())
    session.add(merchant)
    session.flush()
    user = User(merchant_id=merchant.id, email=email, password_hash=_hasher.hash(password), name="")
    session.add(user)
    session.flush()
    return user


def sign_in(session: Session, settings: Settings, email: str, password: str) -> SignedIn:
    """Check credentials and open a session. Unknown user and wrong password fail the same way."""
    now = utcnow()
    try:
        email = normalize_email(email)
    except AccountError:
        raise LoginFailed(INVALID_LOGIN) from None
    accounts = AccountRepository(session)
    user = accounts.user_by_email(email)
    password_hash = user.password_hash if user and user.is_active else _DUMMY_HASH
    # Every attempt is counted before its password is checked, and committed at once (no lock is held
    # during the slow check), so simultaneous attempts cannot all pass a count read before any of them
    # failed; a success clears the count.
    attempts, locked_until = accounts.count_sign_in_attempt(
        email,
        now,
        lock_at=settings.login_max_failures,
        lock_until=now + timedelta(seconds=settings.login_lockout_seconds),
    )
    session.commit()
    if attempts > settings.login_max_failures and locked_until and locked_until > now:
        minutes = max(1, int((locked_until - now).total_seconds() // 60) + 1)
        raise LoginFailed(f"Too many failed sign-ins. Try again in {plural(minutes, 'minute')}.")

    if not _password_matches(password_hash, password) or password_hash is _DUMMY_HASH or user is None:
        raise LoginFailed(INVALID_LOGIN)

    accounts.forget_sign_in_attempts(email)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = now
    return open_session(session, settings, user)


def open_session(session: Session, settings: Settings, user: User) -> SignedIn:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    web_session = WebSession(
        token_hash=hash_token(token),
        user_id=user.id,
        merchant_id=user.merchant_id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + timedelta(hours=settings.session_lifetime_hours),
    )
    session.add(web_session)
    session.flush()
    return SignedIn(token=token, session=web_session)


def session_for_token(session: Session, token: str | None) -> WebSession | None:
    """The live session a cookie names, or None when missing or expired."""
    if not token:
        return None
    web_session = AccountRepository(session).web_session(hash_token(token))
    if web_session is None or web_session.expires_at <= utcnow():
        return None
    return web_session


def sign_out(session: Session, token: str | None) -> None:
    if token and (web_session := AccountRepository(session).web_session(hash_token(token))):
        session.delete(web_session)


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def choose_shop(session: Session, web_session: WebSession, connection_id: str | None) -> ShopContext:
    """The header's switcher: the browser session works on the merchant's active TikTok shop
    `connection_id` from now on. `session` is bound to the merchant, so another merchant's shop is not
    found: raises `NoSuchShop`. The caller commits."""
    shop = shop_context(session, connection_id)
    web_session.shop_connection_id = shop.shop_id
    return shop
