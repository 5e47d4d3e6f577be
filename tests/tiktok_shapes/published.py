"""TikTok's published shapes (the digest) and the comparison of an answer with them.

`published_digest.json` is derived from the reference by `scripts/derive_tiktok_digest.py` (its docstring
says how to regenerate it). Paths are dotted, arrays add `[]`: `orders[].line_items[].sku_id`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DIGEST_FILE = Path(__file__).with_name("published_digest.json")


def load_digest() -> dict[str, Any]:
    return json.loads(DIGEST_FILE.read_text())


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {float: "number", str: "string", list: "array", dict: "object"}[type(value)]


def shape_of(value: Any, prefix: str = "") -> dict[str, set[str]]:
    """Every path of a JSON value with the JSON types seen there."""
    out: dict[str, set[str]] = {}

    def walk(item: Any, path: str) -> None:
        if isinstance(item, dict):
            for key, inner in item.items():
                inner_path = f"{path}.{key}" if path else key
                out.setdefault(inner_path, set()).add(json_type(inner))
                walk(inner, inner_path)
        elif isinstance(item, list):
            for inner in item:
                out.setdefault(f"{path}[]", set()).add(json_type(inner))
                walk(inner, f"{path}[]")

    walk(value, prefix)
    return out


def values_at(value: Any, path: str) -> Iterator[Any]:
    """The values found at a dotted path (arrays fan out)."""
    parts = path.replace("[]", ".[]").split(".")

    def walk(item: Any, rest: list[str]) -> Iterator[Any]:
        if not rest:
            yield item
            return
        head, tail = rest[0], rest[1:]
        if head == "[]":
            for inner in item if isinstance(item, list) else []:
                yield from walk(inner, tail)
        elif isinstance(item, dict) and head in item:
            yield from walk(item[head], tail)

    yield from walk(value, [p for p in parts if p])


@dataclass(frozen=True)
class Published:
    """What the docs say about one answer: documented paths and types, example paths, enum values."""

    documented: dict[str, str]
    example: dict[str, str]
    enums: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def endpoint(cls, digest: dict[str, Any], key: str) -> Published:
        facts = digest["endpoints"][key]
        return cls(facts["response"], facts["example"], facts["response_enums"])

    @classmethod
    def webhook(cls, digest: dict[str, Any], event_type: int) -> Published:
        facts = digest["webhooks"][str(event_type)]
        return cls(facts["documented"], facts["example"], facts["enums"])

    def type_of(self, path: str) -> str | None:
        # The parameter table is the documented type; the example only fills in what it leaves out.
        return self.documented.get(path) or self.example.get(path)


@dataclass
class ShapeReport:
    """Checks made on the answers of one endpoint (or webhook type) and the ones that failed."""

    name: str
    checks: int = 0
    failures: list[str] = field(default_factory=list)

    def check(self, ok: bool, failure: str) -> None:
        self.checks += 1
        if not ok:
            self.failures.append(failure)

    @property
    def passing(self) -> int:
        return self.checks - len(self.failures)


def compare(name: str, answers: Iterable[Any], published: Published, *, ignore: Iterable[str] = ()) -> ShapeReport:
    """Missing example keys (over all answers), invented keys, wrong JSON types, undocumented enum values.

    `ignore`: paths (with everything under them) left out of every check."""
    report = ShapeReport(name)
    answers = list(answers)
    skipped = tuple(ignore)

    def ignored(path: str) -> bool:
        return any(path == p or path.startswith((p + ".", p + "[]")) for p in skipped)

    seen: dict[str, set[str]] = {}
    for answer in answers:
        for path, types in shape_of(answer).items():
            seen.setdefault(path, set()).update(types)
    for path in sorted(published.example):
        if not ignored(path):
            report.check(path in seen, f"missing {path}")
    for path, types in sorted(seen.items()):
        if ignored(path):
            continue
        expected = published.type_of(path)
        report.check(expected is not None, f"invented {path}")
        if expected is not None:
            wrong = sorted(types - {expected})
            report.check(not wrong, f"wrong type {path}: {'/'.join(wrong)}, documented {expected}")
    for path, allowed in sorted(published.enums.items()):
        found = {value for answer in answers for value in values_at(answer, path) if isinstance(value, str)}
        if found:
            odd = sorted(found - set(allowed))
            report.check(not odd, f"undocumented value at {path}: {', '.join(odd)}")
    return report


def table(reports: Iterable[ShapeReport]) -> str:
    rows = [(r.name, f"{r.passing}/{r.checks}") for r in reports]
    width = max((len(name) for name, _ in rows), default=10)
    return "\n".join(f"{name:<{width}}  {figure:>9}" for name, figure in rows)
