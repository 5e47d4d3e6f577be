"""Etsy's published OpenAPI document, for the contract tests of the sandbox and of the plugin.

The document is never copied into the repository: it is read from `../shared/reference/` beside the
repository root, or from the path in ETSY_OPENAPI_DOCUMENT. Two of its quirks are corrected in memory so
that openapi-core accepts it (see `patched_document`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

DOCUMENT_NAME = "etsy-openapi-v3-2026-08-17.json"
REPO_ROOT = Path(__file__).resolve().parents[4]


def document_path() -> Path | None:
    """Where the document is on this machine; None when it is not there."""
    candidates = [os.environ.get("ETSY_OPENAPI_DOCUMENT"), REPO_ROOT.parent / "shared" / "reference" / DOCUMENT_NAME]
    return next((Path(c) for c in candidates if c and Path(c).is_file()), None)


def patched_document(path: Path) -> dict:
    """The document with its quirks fixed in memory, so openapi-core accepts it:
    - 44 schemas say `default: null` without `nullable: true` (array `includes` parameters, `language`,
      `currency`, `buyer_country`, ...): the spec validator rejects a default its own schema refuses, so
      those defaults are dropped;
    - nullable enums (`item_weight_unit`, `item_dimensions_unit`, `who_made`, `when_made`, ...) do not list
      null, so under OAS 3.0.3's reading the null Etsy sends for an unset unit fails: null is added to them.
    """
    document = json.loads(path.read_text())

    def walk(node) -> None:
        if isinstance(node, dict):
            if "default" in node and node["default"] is None and not node.get("nullable"):
                del node["default"]
            if node.get("nullable") and isinstance(node.get("enum"), list) and None not in node["enum"]:
                node["enum"].append(None)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    return document
