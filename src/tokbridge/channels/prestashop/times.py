"""The shop's clock: `date_add` and `date_upd` are local time in PS_TIMEZONE, to the second, without an
offset. An hour repeats when daylight saving ends (02:30 happens twice in Paris on the last Sunday of
October), so such a time cannot be placed exactly: the change poll widens its window to cover both
readings, and a product stamped in that hour reports no `updated_at` (the domain then trusts the copy it
just read instead of comparing times)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

FORMAT = "%Y-%m-%d %H:%M:%S"
NEVER = "0000-00-00 00:00:00"


def readings(text: str | None, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    """The earliest and latest UTC instants a shop-local time may be (equal unless it is ambiguous)."""
    if not text or text.startswith("0000"):
        return None
    try:
        naive = datetime.strptime(text.strip()[:19], FORMAT)
    except ValueError:
        return None
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    return min(first, second), max(first, second)


def to_utc(text: str | None, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of a shop-local time; None when there is none or it is ambiguous."""
    found = readings(text, zone)
    if found is None or found[0] != found[1]:
        return None
    return found[0]


def to_local(moment: datetime, zone: ZoneInfo) -> str:
    """An aware instant as the shop's clock shows it."""
    return moment.astimezone(zone).strftime(FORMAT)
