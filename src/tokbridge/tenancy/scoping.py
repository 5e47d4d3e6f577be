"""Tenant scoping, in one place.

A session bound to a merchant (`bind_merchant`) gets `merchant_id = :merchant` added to every ORM
SELECT, UPDATE and DELETE on tenant tables (`TenantScoped`), and refuses to flush a tenant row that
belongs to someone else. Repositories and services therefore cannot leak across merchants even when
a query forgets its filter, and an id guessed from another merchant simply is not found.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from tokbridge.db.base import TenantOwned, TenantScoped

_KEY = "tokbridge.merchant_id"


class TenantViolation(RuntimeError):
    """A write would have touched another merchant's row."""


def bind_merchant(session: Session, merchant_id: int) -> Session:
    session.info[_KEY] = merchant_id
    return session


def bound_merchant(session: Session) -> int | None:
    return session.info.get(_KEY)


@event.listens_for(Session, "do_orm_execute")
def _scope_queries(state: ORMExecuteState) -> None:
    merchant_id = state.session.info.get(_KEY)
    if merchant_id is None or not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        return  # the parent row was already scoped
    # One criteria on the mixin applies to every mapped subclass in the statement (one option per
    # tenant class instead cost more than the dashboard's queries themselves).
    state.statement = state.statement.options(
        with_loader_criteria(TenantOwned, lambda cls: cls.merchant_id == merchant_id, include_aliases=True),
        *(
            with_loader_criteria(cls, lambda c: c.merchant_id == merchant_id, include_aliases=True)
            for cls in _scoped_not_owned()
        ),
    )


_scoped_cache: tuple[int, list[type]] = (-1, [])


def _scoped_not_owned() -> list[type]:
    """Mapped tenant classes that define `merchant_id` themselves (jobs: a system job has none)."""
    global _scoped_cache
    from tokbridge.db.base import Base

    mappers = Base.registry.mappers
    if _scoped_cache[0] != len(mappers):
        _scoped_cache = (
            len(mappers),
            [m.class_ for m in mappers if issubclass(m.class_, TenantScoped) and not issubclass(m.class_, TenantOwned)],
        )
    return _scoped_cache[1]


@event.listens_for(Session, "before_flush")
def _guard_writes(session: Session, _ctx, _instances) -> None:
    merchant_id = session.info.get(_KEY)
    if merchant_id is None:
        return
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, TenantScoped):
            if obj.merchant_id is None and obj in session.new:
                obj.merchant_id = merchant_id
            elif obj.merchant_id != merchant_id:
                raise TenantViolation(f"{type(obj).__name__} belongs to another merchant")
