"""Relay connections the way Shopify pages them: opaque cursors, first/after, last/before, reverse."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Iterator
from itertools import islice

Key = tuple
# (cursor key or None, descending?) -> (key, item) pairs strictly after that key, in that direction
Source = Callable[[Key | None, bool], Iterator[tuple[Key, object]]]

MAX_PAGE = 250


class CursorError(ValueError):
    pass


def encode_cursor(key: Key) -> str:
    payload = {"last_id": key[-1]} if len(key) == 1 else {"last_id": key[-1], "last_value": key[0]}
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str) -> Key:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if "last_value" in payload:
            return (payload["last_value"], payload["last_id"])
        return (payload["last_id"],)
    except (ValueError, TypeError, KeyError) as exc:
        raise CursorError("Invalid cursor for current pagination sort.") from exc


def list_source(items: Iterable, key: Callable[[object], Key]) -> Source:
    ordered = sorted(((key(item), item) for item in items), key=lambda pair: pair[0])

    def scan(after: Key | None, descending: bool) -> Iterator[tuple[Key, object]]:
        sequence = reversed(ordered) if descending else ordered
        for item_key, item in sequence:
            if after is None or (item_key < after if descending else item_key > after):
                yield item_key, item

    return scan


def connection(
    source: Source,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    reverse: bool = False,
    default_size: int | None = None,
) -> dict:
    """Build a connection dict (edges, nodes, pageInfo). Without first/last, `default_size` or all items."""
    backwards = last is not None and first is None
    limit = last if backwards else first
    if limit is None:
        limit = default_size
    cursor = before if backwards else after
    descending = reverse != backwards
    start = decode_cursor(cursor) if cursor else None
    iterator = source(start, descending)
    taken = list(islice(iterator, limit + 1)) if limit is not None else list(iterator)
    more = limit is not None and len(taken) > limit
    if more:
        taken = taken[:limit]
    if backwards:
        taken.reverse()
    edges = [Edge(key, item) for key, item in taken]
    return {
        "edges": edges,
        "nodes": [item for _key, item in taken],
        "pageInfo": PageInfo(
            has_next_page=(cursor is not None) if backwards else more,
            has_previous_page=more if backwards else (cursor is not None),
            edges=edges,
        ),
    }


class PageInfo:
    __slots__ = ("has_next_page", "has_previous_page", "_edges")

    def __init__(self, has_next_page: bool, has_previous_page: bool, edges: list) -> None:
        self.has_next_page = has_next_page
        self.has_previous_page = has_previous_page
        self._edges = edges

    @property
    def start_cursor(self) -> str | None:
        return self._edges[0].cursor if self._edges else None

    @property
    def end_cursor(self) -> str | None:
        return self._edges[-1].cursor if self._edges else None


class Edge:
    """One edge; its cursor is encoded only if someone asks for it (bulk runs never do)."""

    __slots__ = ("key", "node")

    def __init__(self, key: Key, node: object) -> None:
        self.key = key
        self.node = node

    @property
    def cursor(self) -> str:
        return encode_cursor(self.key)
