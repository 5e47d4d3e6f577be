"""Declarative base and the mixins every table uses."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, MetaData, Table, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

# Stable constraint names, so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT on PostgreSQL, INTEGER on SQLite (where only INTEGER PRIMARY KEY autoincrements).
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both backends (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use tokbridge.db.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime()}

    if TYPE_CHECKING:  # for the checker only: every class here maps one Table (none a join or a select)
        __table__: ClassVar[Table]


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TenantScoped:
    """A row that belongs to one merchant (its class defines `merchant_id`).

    Sessions opened for a merchant (`tokbridge.tenancy.scoping`) add `merchant_id = :current` to every
    ORM query on these tables, and refuse to write a row of another merchant.
    """

    if TYPE_CHECKING:  # for the checker only: each table maps the column itself
        merchant_id: Mapped[int | None]


class TenantOwned(TenantScoped):
    """A tenant row whose `merchant_id` references the merchant and goes with it."""

    @declared_attr
    def merchant_id(cls) -> Mapped[int]:
        return mapped_column(BigId, ForeignKey("merchant.id", ondelete="CASCADE"), index=True)
