"""Request-scoped dependencies: settings, database sessions, the signed-in user."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from tokbridge.config import Settings, get_settings
from tokbridge.db.engine import for_writing, get_engine, sessionmaker_for
from tokbridge.tenancy.models import WebSession
from tokbridge.tenancy.repository import AccountRepository
from tokbridge.tenancy.scoping import bind_merchant
from tokbridge.tenancy.service import session_for_token

SESSION_COOKIE = "tb_session"


class NotSignedIn(Exception):
    """No valid session: pages redirect to sign-in, the API answers 401."""


def settings_dep() -> Settings:
    return get_settings()


SettingsDep = Annotated[Settings, Depends(settings_dep)]


def db_session(request: Request, settings: SettingsDep) -> Iterator[Session]:
    """One session per request; endpoints that change data commit it themselves.

    A request that may write declares it up front (SQLite then queues it behind other writers rather
    than failing it); such endpoints commit before calling TikTok or Shopify, so no lock is held then.
    """
    session = sessionmaker_for(get_engine(settings.database_url))()
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        for_writing(session)
    try:
        yield session
    finally:
        session.close()


DbDep = Annotated[Session, Depends(db_session)]


@dataclass
class Viewer:
    """The signed-in user, with a session scoped to their merchant (see tenancy.scoping)."""

    web_session: WebSession
    email: str
    merchant_id: int
    merchant_name: str
    db: Session

    @property
    def csrf_token(self) -> str:
        return self.web_session.csrf_token


def current_viewer(request: Request, db: DbDep) -> Viewer:
    web_session = session_for_token(db, request.cookies.get(SESSION_COOKIE))
    if web_session is None:
        raise NotSignedIn()
    accounts = AccountRepository(db)
    user = accounts.user(web_session.user_id)
    merchant = accounts.merchant(web_session.merchant_id)
    if user is None or merchant is None or not user.is_active:
        raise NotSignedIn()
    request.state.web_session = web_session
    bind_merchant(db, merchant.id)
    return Viewer(web_session=web_session, email=user.email, merchant_id=merchant.id,
                  merchant_name=merchant.name, db=db)


ViewerDep = Annotated[Viewer, Depends(current_viewer)]


@dataclass
class FrameViewer:
    """What the page frame (base.html: navigation, account menu) needs of the signed-in user, for pages
    rendered outside a route, such as a 404."""

    merchant_name: str
    csrf_token: str


def frame_viewer(request: Request) -> FrameViewer | None:
    """The signed-in user for an error page, or None: opens its own short session (no route ran)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    with sessionmaker_for(get_engine(get_settings().database_url))() as db:
        web_session = session_for_token(db, token)
        merchant = AccountRepository(db).merchant(web_session.merchant_id) if web_session else None
        if merchant is None:
            return None
        return FrameViewer(merchant_name=merchant.name, csrf_token=web_session.csrf_token)
