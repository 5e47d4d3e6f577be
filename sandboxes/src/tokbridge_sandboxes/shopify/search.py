"""Shopify's search syntax for `query:` arguments, the subset a connector uses.

`updated_at:>'2026-01-01T00:00:00Z' status:active,draft vendor:Acme -tag:sale`
Terms are ANDed; `OR` between terms is not supported (treated as AND); unknown fields come back
as warnings, as Shopify reports them in `extensions.search`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .clock import parse_iso

TOKEN = re.compile(r"""(-?)([A-Za-z_]+):(>=|<=|>|<|=)?('[^']*'|"[^"]*"|\S+)|(\S+)""")


@dataclass(frozen=True)
class Term:
    field: str
    op: str
    value: str
    negated: bool

    def compare(self, actual) -> bool:
        expected = self.value
        if isinstance(actual, float):
            try:
                expected = parse_iso(expected)
            except ValueError:
                return False
        elif isinstance(actual, int):
            expected = int(expected) if expected.isdigit() else -1
        result = {
            ">": lambda: actual > expected,
            ">=": lambda: actual >= expected,
            "<": lambda: actual < expected,
            "<=": lambda: actual <= expected,
        }.get(self.op, lambda: _equal(actual, expected))()
        return not result if self.negated else result


def _equal(actual, expected) -> bool:
    if isinstance(actual, (list, tuple, set)):
        return any(str(a).lower() == str(expected).lower() for a in actual)
    if isinstance(actual, str) and isinstance(expected, str):
        options = [e.strip().lower() for e in expected.split(",")]
        return actual.lower() in options
    return actual == expected


def parse(query: str | None) -> tuple[list[Term], list[str]]:
    """-> (terms, free-text words)."""
    terms: list[Term] = []
    words: list[str] = []
    for match in TOKEN.finditer(query or ""):
        negated, field, op, value, word = match.groups()
        if word is not None:
            if word.upper() not in {"AND", "OR"}:
                words.append(word.strip("'\""))
            continue
        terms.append(Term(field=field.lower(), op=op or "", value=value.strip("'\""), negated=bool(negated)))
    return terms, words


def warnings(terms: list[Term], known: set[str]) -> list[dict]:
    return [
        {"field": t.field, "message": "Invalid search field for this query."} for t in terms if t.field not in known
    ]


def matcher(terms: list[Term], getters: dict[str, Callable[[object], object]]) -> Callable[[object], bool]:
    usable = [t for t in terms if t.field in getters]

    def matches(item: object) -> bool:
        return all(term.compare(getters[term.field](item)) for term in usable)

    return matches
