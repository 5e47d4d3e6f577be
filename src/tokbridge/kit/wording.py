"""Words for merchants: counts with the right plural, lists joined as a sentence."""

from __future__ import annotations


def plural(count: int, word: str, many: str | None = None) -> str:
    """"1 product", "2 products"; `many` for irregular plurals."""
    return f"{count:,} {word if count == 1 else many or word + 's'}"


def sentence_list(parts: list[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} and {parts[-1]}"
