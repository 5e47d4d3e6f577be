"""The digest script: what it keeps from a spec and a webhook page (hand-written miniatures here), and,
where TikTok's reference is checked out beside the repository, that the committed digest is current."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from .published import DIGEST_FILE

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT.parent / "shared" / "reference" / "tiktok-shop-api"


def _script():
    spec = importlib.util.spec_from_file_location("derive_tiktok_digest", ROOT / "scripts" / "derive_tiktok_digest.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload))


def test_the_script_keeps_keys_types_enums_and_codes(tmp_path):
    spec = {
        "document_api_meta": {
            "interface_path": "/widget/202401/widgets",
            "method": 1,
            "title": "Search Widgets",
            "request_query_param": [{"name": "page_size", "required": "Y"}],
            "request_body_param": [
                {"name": "status", "type": "string", "required": "N", "desc": "Possible values:\n- ON\n- OFF"},
                {
                    "name": "unit",
                    "type": "string",
                    "required": "N",
                    "desc": "Possible values based on region:\n- US: CENTIMETER, INCH\n- Other regions: `CM`",
                },
                {"name": "ids", "type": "[]string", "required": "Y", "desc": ""},
            ],
            "response_param": [
                {"name": "code", "type": "int"},
                {"name": "data", "type": "object"},
                {"name": "^widgets", "type": "[]object"},
                {"name": "^^id", "type": "string"},
                {"name": "^^size", "type": "object"},
                {"name": "^^^grams", "type": "int"},
                {"name": "^^kind", "type": "string", "desc": "Possible values:\n- `ROUND`: a circle\n- SQUARE_ish"},
                {"name": "^total_count", "type": "int"},
            ],
            "response_body": json.dumps(
                {"code": 0, "data": {"widgets": [{"id": "1", "size": {"grams": 3}}], "total_count": 1}}
            ),
            "error_code_list": [{"code": "12345", "msg": "no"}],
        }
    }
    _write(tmp_path / "raw" / "api-reference" / "widgets" / "search-widgets.spec.json", spec)
    page = {
        "title": "(99) Widget change",
        "content": (
            "| **Parameter name** | **Data Type** | **Sample** | **Description** |\n| --- | --- | --- | --- |\n"
            "| widget_id | int | 1 | The widget |\n| status | string | ON | Possible values: <br> * ON <br> * OFF |\n"
            '## Event example\n```json\n{"type": 99, "data": {"widget_id": 1,\n "status": "ON"\n "extra": true}}\n```\n'
        ),
    }
    _write(tmp_path / "raw" / "webhooks" / "widget" / "99-widget-change.json", page)

    digest = _script().derive(tmp_path)
    facts = digest["endpoints"]["POST /widget/202401/widgets"]
    assert facts["response"] == {
        "widgets": "array",
        "widgets[]": "object",
        "widgets[].id": "string",
        "widgets[].size": "object",
        "widgets[].size.grams": "integer",
        "widgets[].kind": "string",
        "total_count": "integer",
    }
    assert facts["example"] == {
        "widgets": "array",
        "widgets[]": "object",
        "widgets[].id": "string",
        "widgets[].size": "object",
        "widgets[].size.grams": "integer",
        "total_count": "integer",
    }
    assert facts["response_enums"] == {"widgets[].kind": ["ROUND", "SQUARE_ish"]}
    assert facts["request_body"] == {
        "status": {"type": "string", "required": False},
        "unit": {"type": "string", "required": False},
        "ids": {"type": "array", "required": True},
        "ids[]": {"type": "string", "required": False},
    }
    assert facts["request_enums"] == {"status": ["ON", "OFF"], "unit": ["CENTIMETER", "INCH", "CM"]}
    assert facts["query"] == {"page_size": True}
    assert facts["error_codes"] == [12345]
    hook = digest["webhooks"]["99"]
    # The example's missing comma is mended; the table's types win over the example's.
    assert hook["documented"] == {"data.widget_id": "integer", "data.status": "string"}
    assert hook["example"]["data.extra"] == "boolean" and hook["enums"] == {"data.status": ["ON", "OFF"]}


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="TikTok's reference is not checked out beside the repository")
def test_the_committed_digest_is_current():
    assert _script().derive(REFERENCE) == json.loads(DIGEST_FILE.read_text()), (
        "regenerate it: see scripts/derive_tiktok_digest.py"
    )
