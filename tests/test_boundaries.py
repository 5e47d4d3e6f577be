"""Nothing outside a store plugin's folder names its store (issue #13).

The domain reads a plugin's capabilities and display name from `channels.registry`; the store's own
words live only in `src/tokbridge/channels/<store>/`. The scan reads every Python module of the
package with `tokenize` and flags each NAME token (imports, identifiers, attributes) and each STRING
token that contains a registered store's kind or display name, or a `gid://` id. Comments and
docstrings are prose, not behaviour: they may mention stores generally, so they are not flagged.

Not scanned: the plugins' own folders and `migrations/versions/` (history is not rewritten). The
sandboxes, imitations of the stores named after them by design, are another distribution.
"""

from __future__ import annotations

import ast
import io
import sys
import tokenize
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tokbridge.channels import registry

PACKAGE = Path(registry.__file__).resolve().parents[1]  # src/tokbridge
NOT_SCANNED = [PACKAGE / "migrations" / "versions"]
ALWAYS_FORBIDDEN = ["gid://"]

# Words of another platform's API that happen to name a store: TikTok's `external_list_prices` source
# is called SHOPIFY_COMPARE_AT_PRICE whichever store the price comes from.
API_VOCABULARY = {
    "channels/tiktok/models.py": {'"SHOPIFY_COMPARE_AT_PRICE"'},
}


@dataclass(frozen=True)
class Mention:
    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text}"


def store_words() -> list[str]:
    """What names a registered store: its kind and its display name (lower-cased), and `gid://`."""
    words = set(ALWAYS_FORBIDDEN)
    for kind in registry.store_kinds():
        words.add(kind.lower())
        words.add(registry.plugin(kind).display_name.lower())
    return sorted(words)


def _prose_spans(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Where the bare string statements are (docstrings): documentation, like comments."""
    spans = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            spans.append(((node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset)))
    return spans


_CODE_TOKENS = {tokenize.NAME, tokenize.STRING}
if hasattr(tokenize, "FSTRING_MIDDLE"):  # Python 3.12+ splits f-strings into several tokens
    _CODE_TOKENS.add(tokenize.FSTRING_MIDDLE)


def mentions_in(source: str, path: str, words: list[str]) -> list[Mention]:
    """Every NAME or STRING token of `source` (outside docstrings) that contains one of `words`."""
    prose = _prose_spans(source)
    found = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in _CODE_TOKENS:
            continue
        if any(start <= token.start and token.end <= end for start, end in prose):
            continue
        lowered = token.string.lower()
        if any(word in lowered for word in words):
            found.append(Mention(path, token.start[0], token.string))
    return found


def plugin_folders() -> list[Path]:
    """Each registered plugin's folder: where its `plugin` module is, whatever the folder is called."""
    return [
        Path(sys.modules[type(registry.plugin(kind)).__module__].__file__).resolve().parent
        for kind in sorted(registry.store_kinds())
    ]


def scanned_files() -> list[Path]:
    excluded = NOT_SCANNED + plugin_folders()
    return sorted(path for path in PACKAGE.rglob("*.py") if not any(path.is_relative_to(folder) for folder in excluded))


@cache  # two tests read the same scan
def mentions_by_file() -> dict[str, list[Mention]]:
    words = store_words()
    found: dict[str, list[Mention]] = {}
    for path in scanned_files():
        relative = path.relative_to(PACKAGE).as_posix()
        mentions = [
            mention
            for mention in mentions_in(path.read_text(encoding="utf-8"), relative, words)
            if mention.text not in API_VOCABULARY.get(relative, ())
        ]
        if mentions:
            found[relative] = mentions
    return found


# --- the rule ------------------------------------------------------------------------------------


def test_no_module_outside_a_plugin_names_a_store():
    found = mentions_by_file()
    new = [str(mention) for mentions in found.values() for mention in mentions]
    assert not new, (
        "Only a store's plugin folder (channels/<store>/) may name the store. Ask channels.registry "
        "for the plugin, read its capabilities or display_name, and keep external ids opaque:\n" + "\n".join(new)
    )


# --- the scan itself -----------------------------------------------------------------------------


def test_the_scan_reads_the_registered_stores():
    words = store_words()
    assert "gid://" in words
    for kind in registry.store_kinds():
        assert kind in words
        assert registry.plugin(kind).display_name.lower() in words


def test_the_plugin_folders_and_history_are_not_scanned_and_the_domain_is():
    scanned = {path.relative_to(PACKAGE).as_posix() for path in scanned_files()}
    assert "channels/shopify/plugin.py" not in scanned
    assert not any(path.startswith("migrations/versions/") for path in scanned)
    assert {"channels/base.py", "channels/registry.py", "orders/service.py", "web/app.py"} <= scanned


def test_the_scan_flags_imports_names_literals_and_gids_but_not_prose():
    source = '''"""A module about a store such as Shopify (a docstring: prose)."""
import tokbridge.channels.shopify.client
from tokbridge.channels.shopify import store as the_store  # a comment may say Shopify
from tokbridge.channels import registry


def fresh_shopify_connection():
    """Docstrings may say Shopify too."""
    return registry.store_for(None, None, None)


KIND = "shopify"
LABEL = f"Connect your Shopify store, {NEUTRAL}"
PRODUCT = "gid://tokbridge/Product/1"
NEUTRAL = "the store"
'''
    found = mentions_in(source, "example.py", ["gid://", "shopify"])
    assert [mention.line for mention in found] == [2, 3, 7, 12, 13, 14]
    assert [mention.text for mention in found if mention.line != 13] == [
        "shopify",
        "shopify",
        "fresh_shopify_connection",
        '"shopify"',
        '"gid://tokbridge/Product/1"',
    ]
    assert str(found[0]) == "example.py:2: shopify"
