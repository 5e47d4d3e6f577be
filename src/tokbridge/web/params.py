"""Request values the database can hold, checked where the request is read (a 4xx, never a database
error): ids within the 64-bit integer range both backends store, text without NUL characters (which
PostgreSQL refuses)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
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


@dataclass
class DayRange:
    """A page's "From" and "To" days (both included), as UTC instants, with what was wrong in words."""

    start: date | None
    end: date | None
    problems: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, since: str | None, until: str | None) -> DayRange:
        days = cls(day_or_none(since), day_or_none(until))
        if (since and days.start is None) or (until and days.end is None):
            days.problems.append("Dates are written YYYY-MM-DD; the filter ignores the one that is not.")
        if days.start and days.end and days.end < days.start:
            days.problems.append("The end date is before the start date, so nothing can match; swap them.")
        return days

    @property
    def since(self) -> datetime | None:
        return datetime.combine(self.start, time.min).replace(tzinfo=UTC) if self.start else None

    @property
    def until(self) -> datetime | None:
        return datetime.combine(self.end + timedelta(days=1), time.min).replace(tzinfo=UTC) if self.end else None

    def query(self) -> dict[str, str]:
        """For links that keep the filter."""
        return {k: v.isoformat() for k, v in (("since", self.start), ("until", self.end)) if v}
