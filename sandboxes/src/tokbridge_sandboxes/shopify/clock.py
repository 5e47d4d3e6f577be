"""Shopify's date forms; the clock itself is the sandboxes' shared one (re-exported here)."""

from __future__ import annotations

from datetime import UTC, datetime

from tokbridge_sandboxes.clock import SandboxClock

__all__ = ["SandboxClock", "iso", "parse_iso"]


def iso(ts: float) -> str:
    """Shopify's DateTime form: second precision, `Z` suffix."""
    # isoformat, not strftime: several times faster, and a bulk run formats millions of these.
    return datetime.fromtimestamp(int(ts), UTC).isoformat()[:-6] + "Z"


def parse_iso(text: str) -> float:
    value = text.strip().strip("'\"")
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()
