"""Derive the digest of TikTok Shop's published API reference that the shape tests read.

The reference (TikTok's published specs and webhook pages) lives outside the repository and stays
there; this script keeps only facts: per endpoint (method and path) the response keys as dotted paths
with their JSON types, the keys present in the published response example, the request body and query
keys with their required flags, the enum values a description lists, and the documented error codes;
per webhook type the same for its payload; and the common error codes any endpoint may answer. No descriptions or examples are copied.

Regenerate after the reference changes:

    .venv/bin/python scripts/derive_tiktok_digest.py \
        --reference ../shared/reference/tiktok-shop-api --out tests/tiktok_shapes/published_digest.json

Paths: `orders[].payment.tax` is the key `tax` of the object `payment` of each element of the array
`orders`, relative to the envelope's `data` (webhooks: relative to the notification, `data.order_id`).
Types: string, integer, number, boolean, object, array (`[]object` in the docs is `array` at the path
and `object` at `path[]`).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

METHODS = {1: "POST", 2: "GET", 3: "PUT", 4: "DELETE"}
ENVELOPE_KEYS = {"code", "message", "request_id", "data"}
# How the docs spell a scalar type, as the JSON type a value has on the wire.
SCALAR_TYPES = {
    "string": "string",
    "int": "integer",
    "int64": "integer",
    "float": "number",
    "bool": "boolean",
    "object": "object",
    "file": "file",
}
# An enum value as the docs list it: "- UNPAID", "* `UNPAID`", "- NONE: explanation".
# Values with an underscore keep the docs' casing (Check Listing Prerequisites spells `BANk_ACCOUNT`).
ENUM_LINE = re.compile(r"^\s*[-*]\s*`?([A-Z][A-Za-z0-9]*_[A-Za-z0-9_]+|[A-Z][A-Z0-9]+)`?\s*(?::|$|\s-|\s\()")
# A value list per market: "- US: ...", "- BR, JP, MX: ...", "- Other regions: ...".
REGION_LINE = re.compile(r"^\s*[-*]\s*(?:[A-Z]{2}(?:,\s*[A-Z]{2})*|Other\s+\w+)\s*:\s*(.+)$")
WEBHOOK_TYPE_IN_NAME = re.compile(r"^(\d+)-")
JSON_BLOCK = re.compile(r"```(?:json|JSON)\s*\n(.*?)```", re.S)
TABLE_ROW = re.compile(r"^\|(.+)\|\s*$")
# A published example that forgot the comma at the end of a line ("create_time": 1 <newline> "update_time").
MISSING_COMMA = re.compile(r'([0-9"el\]}])[ \t]*\n(\s*")')


def json_type(value: Any) -> str:
    if isinstance(value, bool):  # before int: a bool is an int in Python
        return "boolean"
    return {int: "integer", float: "number", str: "string", list: "array", dict: "object"}.get(type(value), "null")


def doc_types(path: str, doc_type: str) -> dict[str, str]:
    """`[]object` at `items` is {"items": "array", "items[]": "object"}."""
    depth = 0
    while doc_type.startswith("[]"):
        doc_type, depth = doc_type[2:], depth + 1
    scalar = SCALAR_TYPES.get(doc_type, doc_type)
    if not depth:
        return {path: scalar}
    types = {path: "array"}
    for level in range(1, depth + 1):
        types[path + "[]" * level] = "array" if level < depth else scalar
    return types


def child(parent: str, parent_type: str | None, name: str) -> str:
    """The dotted path of `name` under `parent` (an array's children live under `parent[]`)."""
    if not parent:
        return name
    return f"{parent}[].{name}" if parent_type and parent_type.startswith("[]") else f"{parent}.{name}"


def enum_values(description: str) -> list[str]:
    """The values a description lists after "possible values" / "available values" / "enum"."""
    lowered = description.lower()
    if not any(word in lowered for word in ("possible value", "available value", "enum", "values:", "include")):
        return []
    lines = re.split(r"\n|<br>", description)
    values: list[str] = []
    for line in lines:
        per_region = REGION_LINE.match(line)
        if per_region:  # "- US: CENTIMETER, INCH" or "- Other regions: `v1`, the 3-level tree"
            rest = per_region.group(1)
            values += re.findall(r"`([^`]+)`", rest) or re.findall(r"\b[A-Z][A-Z0-9_]+\b", rest)
        elif match := ENUM_LINE.match(line):
            values.append(match.group(1))
    return list(dict.fromkeys(values))


def flatten_params(params: list[dict[str, Any]], *, strip_envelope: bool) -> tuple[dict, dict, dict]:
    """Spec rows ("^^name", type) in document order to ({path: type}, {path: required}, {path: enums})."""
    types: dict[str, str] = {}
    required: dict[str, bool] = {}
    enums: dict[str, list[str]] = {}
    stack: list[tuple[str, str]] = []  # (path, doc type) of the open ancestors, by depth
    for param in params:
        raw = param["name"]
        depth = len(raw) - len(raw.lstrip("^"))
        name = raw.lstrip("^").strip()
        if strip_envelope and depth == 0:
            stack = []
            continue  # code, message, request_id, data: the envelope
        level = depth - 1 if strip_envelope else depth
        stack = stack[:level]
        parent, parent_type = stack[-1] if stack else ("", None)
        path = child(parent, parent_type, name)
        types.update(doc_types(path, param["type"]))
        required[path] = param.get("required") == "Y"
        values = enum_values(param.get("desc") or "")
        if values:
            enums[path] = values
        stack.append((path, param["type"]))
    return types, required, enums


def example_types(value: Any, prefix: str = "") -> dict[str, str]:
    """Every key of a JSON example as a dotted path with the JSON type of its value."""
    out: dict[str, str] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else key
            out[path] = json_type(item)
            out.update(example_types(item, path))
    elif isinstance(value, list):
        for item in value:
            out.setdefault(f"{prefix}[]", json_type(item))
            out.update(example_types(item, f"{prefix}[]"))
    return out


def response_example(meta: dict[str, Any]) -> dict[str, str]:
    try:
        body = json.loads(meta.get("response_body") or "{}")
    except json.JSONDecodeError:
        return {}
    data = body.get("data") if isinstance(body, dict) else None
    return example_types(data) if isinstance(data, dict) else {}


def endpoint_facts(spec_file: Path, root: Path) -> tuple[str, dict[str, Any]]:
    meta = json.loads(spec_file.read_text())["document_api_meta"]
    key = f"{METHODS[meta['method']]} {meta['interface_path']}"
    response, _, response_enums = flatten_params(meta.get("response_param") or [], strip_envelope=True)
    body, body_required, body_enums = flatten_params(meta.get("request_body_param") or [], strip_envelope=False)
    query = {p["name"]: p.get("required") == "Y" for p in meta.get("request_query_param") or []}
    example = response_example(meta)
    return key, {
        "title": meta.get("title", ""),
        "spec": str(spec_file.relative_to(root)).removesuffix(".spec.json"),
        "response": dict(sorted(response.items())),
        "example": dict(sorted(example.items())),
        "response_enums": dict(sorted(response_enums.items())),
        "request_body": {
            path: {"type": body[path], "required": body_required.get(path, False)} for path in sorted(body)
        },
        "request_enums": dict(sorted(body_enums.items())),
        "query": dict(sorted(query.items())),
        "error_codes": sorted(
            {int(e["code"]) for e in meta.get("error_code_list") or [] if str(e.get("code", "")).isdigit()}
        ),
    }


def table_rows(markdown: str) -> tuple[list[str], list[list[str]]]:
    """The first parameter table of a webhook page: its header and its rows (cells stripped)."""
    header: list[str] = []
    rows: list[list[str]] = []
    for line in markdown.splitlines():
        match = TABLE_ROW.match(line.strip())
        if not match:
            if header and rows:
                break
            continue
        cells = [cell.strip() for cell in match.group(1).split("|")]
        if not header:
            header = [re.sub(r"[*]", "", cell).strip().lower() for cell in cells]
        elif not set("".join(cells)) <= set("- :"):
            rows.append(cells)
    return header, rows


def webhook_facts(page: Path) -> tuple[str, dict[str, Any]] | None:
    doc = json.loads(page.read_text())
    number = WEBHOOK_TYPE_IN_NAME.match(page.name)
    if not number:
        return None
    content = doc.get("content", "")
    example: dict[str, Any] = {}
    for block in JSON_BLOCK.findall(content):
        try:
            example = json.loads(block)
        except json.JSONDecodeError:
            try:
                example = json.loads(MISSING_COMMA.sub(r"\1,\n\2", block))
            except json.JSONDecodeError:
                continue
        break
    keys = example_types(example)
    header, rows = table_rows(content)
    name_col = next((i for i, h in enumerate(header) if h.startswith("parameter")), 0)
    type_col = next((i for i, h in enumerate(header) if "type" in h), None)
    desc_col = next((i for i, h in enumerate(header) if h.startswith("description")), None)
    documented: dict[str, str] = {}
    enums: dict[str, list[str]] = {}
    stack: list[str] = []
    envelope_rows = any(row[name_col].strip("` ") == "data" for row in rows)
    for row in rows:
        if len(row) <= name_col:
            continue
        cell = row[name_col]
        depth = cell.count("└")
        name = cell.replace("└", "").strip("` ")
        if not re.fullmatch(r"[a-z_0-9]+", name):
            continue
        stack = stack[:depth]
        # Tables without the envelope rows list the business parameters under `data`.
        base = stack[-1] if stack else ("" if envelope_rows else "data")
        path = f"{base}.{name}" if base else name
        if type_col is not None and row[type_col]:
            declared = row[type_col]
            documented.update(doc_types(path, declared))
            if declared.startswith("[]"):
                path = path + "[]" * declared.count("[]")
        elif path in keys:
            documented[path] = keys[path]
            while path + "[]" in keys:  # an array: its elements' keys live under `path[]`
                documented[path + "[]"] = keys[path + "[]"]
                path += "[]"
        if desc_col is not None:
            values = enum_values(row[desc_col].replace("<br>", "\n"))
            if values:
                enums[path] = values
        stack.append(path)
    return number.group(1), {
        "title": doc.get("title", ""),
        "page": f"{page.parent.name}/{page.name}",
        "documented": dict(sorted(documented.items())),
        "types_stated": type_col is not None,
        "example": dict(sorted(keys.items())),
        "enums": dict(sorted(enums.items())),
    }


def common_error_codes(reference: Path) -> list[int]:
    """The codes any endpoint may answer (request format, signature, token, rate limit): the first
    column of the tables on the Common errors page."""
    page = reference / "raw" / "developer-guide" / "tiktok-shop-api-concepts" / "common-errors.json"
    if not page.is_file():
        return []
    content = json.loads(page.read_text()).get("content", "")
    return sorted({int(m.group(1)) for m in re.finditer(r"^\|\s*(\d{5,9})\s*\|", content, re.M)})


def derive(reference: Path) -> dict[str, Any]:
    api = reference / "raw" / "api-reference"
    endpoints = dict(sorted(endpoint_facts(spec, api) for spec in api.glob("*/*.spec.json")))
    webhooks: dict[str, Any] = {}
    for page in sorted((reference / "raw" / "webhooks").glob("*/*.json")):
        facts = webhook_facts(page)
        if facts:
            webhooks[facts[0]] = facts[1]
    return {
        "about": "Facts derived from TikTok Shop's published API reference by scripts/derive_tiktok_digest.py",
        "common_error_codes": common_error_codes(reference),
        "endpoints": endpoints,
        "webhooks": dict(sorted(webhooks.items(), key=lambda item: int(item[0]))),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, required=True, help="the tiktok-shop-api reference folder")
    parser.add_argument("--out", type=Path, required=True, help="where to write the digest (JSON)")
    args = parser.parse_args(argv)
    if not (args.reference / "raw" / "api-reference").is_dir():
        print(f"{args.reference}: no raw/api-reference folder here", file=sys.stderr)
        return 2
    digest = derive(args.reference)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(digest, indent=1, sort_keys=False) + "\n")
    print(f"{len(digest['endpoints'])} endpoints, {len(digest['webhooks'])} webhook types -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
