"""Database access: one engine per URL, sessions, the declarative base and column types."""

from tokbridge.db.base import Base, TenantOwned, TenantScoped, new_id, utcnow
from tokbridge.db.engine import get_engine, make_engine, normalize_url, session_scope, sessionmaker_for

__all__ = [
    "Base",
    "TenantOwned",
    "TenantScoped",
    "get_engine",
    "make_engine",
    "new_id",
    "normalize_url",
    "session_scope",
    "sessionmaker_for",
    "utcnow",
]
