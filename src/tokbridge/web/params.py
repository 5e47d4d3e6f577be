"""Request values the database can hold, checked where the request is read (a 4xx, never a database
error): ids within the 64-bit integer range both backends store, text without NUL characters (which
PostgreSQL refuses)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated

from annotated_types import Interval
from pydantic import AfterValidator, Field

DB_INT_MAX = 2**63 - 1

# A row id in a path, query or body: positive and within the database's integer range.
RowId = Annotated[int, Interval(ge=1, le=DB_INT_MAX)]
# A count or offset used in a query (OFFSET is a 64-bit integer too).
Offset = Annotated[int, Interval(ge=0, le=DB_INT_MAX)]


def no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    return value


# Text that reaches the database (searches, names): refused when it carries a NUL character.
Text = Annotated[str, AfterValidator(no_nul), Field(max_length=1000)]


def int_or_none(value: str | None) -> int | None:
    """A lenient page filter (`?template=`): a number the database can hold, or no filter at all."""
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
    return int(value) if value and value.isascii() and value.isdigit() and int(value) <= DB_INT_MAX else None


def day_or_none(text: str | None) -> date | None:
    """A lenient date filter (`?since=2026-01-31`): the day, or no filter at all."""
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min).replace(tzinfo=UTC)
