"""JSON from outside (webhook bodies), read strictly: only what every part of TokBridge can store and
process. Python's reader accepts `NaN` and `Infinity` (PostgreSQL's JSON does not), and fails deep
nesting with a RecursionError; platforms' payloads are a few levels deep and never contain either."""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64


class InvalidJSON(ValueError):
    """The body is not JSON that TokBridge accepts; the message says why, in one line."""


def loads(body: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    try:
        value = json.loads(body, parse_constant=_refuse_constant)
    except InvalidJSON:
        raise
    except UnicodeDecodeError as exc:
        raise InvalidJSON("body is not UTF-8") from exc
    except RecursionError as exc:
        raise InvalidJSON(f"nested deeper than {max_depth} levels") from exc
    except ValueError as exc:  # JSONDecodeError, and integers over Python's digit limit
        raise InvalidJSON("body is not JSON") from exc
    if _depth(value) > max_depth:
        raise InvalidJSON(f"nested deeper than {max_depth} levels")
    return value


def _refuse_constant(name: str) -> Any:
    raise InvalidJSON(f"{name} is not a JSON number")


def _depth(value: Any) -> int:
    """Nesting depth of parsed JSON, walked without recursion."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        current, level = pending.pop()
        if isinstance(current, dict):
            current = current.values()
        elif not isinstance(current, list):
            continue
        deepest = max(deepest, level)
        pending.extend((child, level + 1) for child in current if isinstance(child, dict | list))
    return deepest
