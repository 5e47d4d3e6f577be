import hashlib
import hmac
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from tokbridge.channels.shopify import auth

# Shopify's documented example (authorization code grant, "Verify a request").
DOC_SECRET = "hush"
DOC_PARAMS = {
    "code": "0907a61c0c8d55e99db179b68161bc00",
    "shop": "some-shop.myshopify.com",
    "timestamp": "1337178173",
    "hmac": "4712bf92ffc2917d15a2f5a273e39f0116667419aa4b6ac0b3baaf26fa3c4d20",
}


def test_documented_example_reproduces():
    assert auth.compute_hmac(DOC_PARAMS, DOC_SECRET) == DOC_PARAMS["hmac"]
    assert auth.verify_hmac(DOC_PARAMS, DOC_SECRET)


@pytest.mark.parametrize("key", ["code", "shop", "timestamp"])
def test_tampered_parameter_fails(key):
    tampered = dict(DOC_PARAMS, **{key: DOC_PARAMS[key] + "0"})
    assert not auth.verify_hmac(tampered, DOC_SECRET)


def test_added_parameter_wrong_secret_and_missing_hmac_fail():
    assert not auth.verify_hmac(dict(DOC_PARAMS, host="x"), DOC_SECRET)
    assert not auth.verify_hmac(DOC_PARAMS, "other")
    assert not auth.verify_hmac({k: v for k, v in DOC_PARAMS.items() if k != "hmac"}, DOC_SECRET)


def test_signature_param_is_ignored_and_values_cannot_forge_pairs():
    assert auth.verify_hmac(dict(DOC_PARAMS, signature="whatever"), DOC_SECRET)
    # "a=1&b=2" as one value must not sign the same as two parameters, in either encoding.
    assert auth.signable_message({"a": "1&b=2"}) != auth.signable_message({"a": "1", "b": "2"})
    assert auth.legacy_signable_message({"a": "1&b=2"}) != auth.legacy_signable_message({"a": "1", "b": "2"})


def test_values_with_special_characters_are_form_encoded():
    # `host` is base64 and may carry "=" and "/": form-encoded as Shopify's JS and Ruby libraries do.
    params = {"host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvYQ==", "shop": "a.myshopify.com", "timestamp": "1"}
    assert (
        auth.signable_message(params)
        == "host=YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvYQ%3D%3D&shop=a.myshopify.com&timestamp=1"
    )
    params["hmac"] = auth.compute_hmac(params, "s")
    assert auth.verify_hmac(params, "s")
    assert not auth.verify_hmac(dict(params, host="YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvYg=="), "s")


def test_list_parameters_in_either_encoding():
    params = {"ids[]": ["2", "1"], "shop": "some-shop.myshopify.com"}
    assert auth.signable_message(params) == "ids%5B%5D=2&ids%5B%5D=1&shop=some-shop.myshopify.com"
    assert auth.legacy_signable_message(params) == 'ids=["2", "1"]&shop=some-shop.myshopify.com'
    for message in (auth.signable_message(params), auth.legacy_signable_message(params)):
        signed = dict(params, hmac=hmac.new(b"s", message.encode(), hashlib.sha256).hexdigest())
        assert auth.verify_hmac(signed, "s")
        assert not auth.verify_hmac(dict(signed, **{"ids[]": ["1", "2"]}), "s")


def test_freshness_is_separate_from_the_signature():
    assert not auth.is_fresh(DOC_PARAMS)  # 2012: authentic but stale
    now = 1_800_000_000
    assert auth.is_fresh({"timestamp": str(now - 60)}, now=now)
    assert not auth.is_fresh({"timestamp": str(now - 301)}, now=now)
    assert not auth.is_fresh({"timestamp": str(now + 301)}, now=now)
    assert not auth.is_fresh({"timestamp": "abc"}, now=now)


@pytest.mark.parametrize(
    "shop",
    [
        "evil.com",
        "shop.myshopify.com.evil.com",
        "shop.myshopify.com/admin",
        "-x.myshopify.com",
        "",
        "a b.myshopify.com",
        "shop.myshopify.com:8080",
    ],
)
def test_bad_shop_domains_are_refused(shop):
    assert not auth.is_valid_shop(shop)


def test_shop_domain_is_normalised():
    assert auth.normalize_shop(" https://My-Shop.myshopify.com/ ") == "my-shop.myshopify.com"


def test_state_round_trip_and_refusals():
    now = time.time()
    state = auth.make_state("a.myshopify.com", "secret", ttl_seconds=60, now=now)
    auth.check_state(state, "a.myshopify.com", "secret", now=now + 30)
    auth.check_state(state, "a.myshopify.com", "secret", now=now, expected=state)
    with pytest.raises(auth.InvalidState, match="expired"):
        auth.check_state(state, "a.myshopify.com", "secret", now=now + 61)
    with pytest.raises(auth.InvalidState, match="another shop"):
        auth.check_state(state, "b.myshopify.com", "secret", now=now)
    with pytest.raises(auth.InvalidState, match="signature"):
        auth.check_state(state, "a.myshopify.com", "other", now=now)
    with pytest.raises(auth.InvalidState, match="browser"):
        auth.check_state(state, "a.myshopify.com", "secret", now=now, expected="x" + state)
    with pytest.raises(auth.InvalidState):
        auth.check_state("garbage", "a.myshopify.com", "secret", now=now)


def test_authorization_url_asks_for_an_offline_token_with_our_scopes():
    url = auth.authorization_url(
        "a.myshopify.com", client_id="cid", redirect_uri="https://app/cb", state="st", base_url=None
    )
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "a.myshopify.com", "/admin/oauth/authorize")
    query = parse_qs(parts.query, keep_blank_values=True)
    assert query["client_id"] == ["cid"] and query["state"] == ["st"]
    assert query["grant_options[]"] == [""]
    assert set(query["scope"][0].split(",")) == set(auth.SCOPES)


def test_missing_scopes_understands_write_implies_read():
    assert auth.missing_scopes(("write_products",), ("read_products", "write_orders")) == ["write_orders"]
