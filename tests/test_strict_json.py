"""Webhook bodies read strictly: the limits refuse hostile input and nothing a platform sends."""

import json

import pytest

from tokbridge.kit import strict_json


def test_a_platform_payload_reads_as_the_standard_reader_reads_it():
    body = json.dumps(
        {
            "id": 1729592969712207000,
            "price": 9.5,
            "variants": [{"options": [{"a": [None, True]}]}],
            "title": "T\u00e9e \u2014 \U0001f455",
        }
    ).encode()
    assert strict_json.loads(body) == json.loads(body)


@pytest.mark.parametrize(
    "levels, accepted", [(strict_json.MAX_DEPTH, True), (strict_json.MAX_DEPTH + 1, False), (100_000, False)]
)
def test_depth_limit(levels, accepted):
    body = '{"a": ' * (levels - 1) + "[1]" + "}" * (levels - 1)
    if accepted:
        assert strict_json.loads(body)
    else:
        with pytest.raises(strict_json.InvalidJSON, match=f"nested deeper than {strict_json.MAX_DEPTH} levels"):
            strict_json.loads(body)


@pytest.mark.parametrize(
    "body, reason",
    [
        (b'{"a": NaN}', "NaN is not a JSON number"),
        (b'{"a": -Infinity}', "-Infinity is not a JSON number"),
        (b'{"a": 1' + b"0" * 5000 + b"}", "body is not JSON"),
        (b'{"a": "\xff"}', "body is not UTF-8"),
        (b"{", "body is not JSON"),
    ],
)
def test_what_is_refused_and_why(body, reason):
    with pytest.raises(strict_json.InvalidJSON) as refused:
        strict_json.loads(body)
    assert str(refused.value) == reason
