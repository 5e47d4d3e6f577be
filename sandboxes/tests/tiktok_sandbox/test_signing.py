"""The sandbox signs and verifies with its own code; TikTok's published example pins it."""

from tokbridge_sandboxes.tiktok.signing import request_signature, request_signature_is_valid

# "Sign your API request" (TikTok Shop Partner Center, doc 678e3a3d4ddec3030b238faf), step by step.
DOCS_SECRET = "e59af819cc"
DOCS_PATH = "/authorization/202309/shops"
DOCS_QUERY = {"app_key": "29a39d", "timestamp": "1623812664"}
DOCS_SIGN = "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8"


def test_the_documented_example_signs_to_the_documented_value():
    assert request_signature(DOCS_SECRET, DOCS_PATH, DOCS_QUERY) == DOCS_SIGN


def test_sign_and_access_token_are_left_out_and_the_rest_is_sorted():
    query = {"timestamp": "1623812664", "sign": "anything", "access_token": "tok", "app_key": "29a39d"}
    assert request_signature(DOCS_SECRET, DOCS_PATH, query) == DOCS_SIGN
    assert request_signature(DOCS_SECRET, DOCS_PATH, {**DOCS_QUERY, "page_size": "10"}) != DOCS_SIGN


def test_only_the_exact_lowercase_signature_is_valid():
    assert request_signature_is_valid(DOCS_SECRET, DOCS_PATH, DOCS_QUERY, b"", DOCS_SIGN)
    assert not request_signature_is_valid(DOCS_SECRET, DOCS_PATH, DOCS_QUERY, b"", DOCS_SIGN.upper())
    assert not request_signature_is_valid(DOCS_SECRET, DOCS_PATH, DOCS_QUERY, b"{}", DOCS_SIGN)
    assert not request_signature_is_valid(DOCS_SECRET, DOCS_PATH, DOCS_QUERY, b"", "")
