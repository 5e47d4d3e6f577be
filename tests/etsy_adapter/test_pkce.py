"""PKCE (S256) and the consent page's address: what the plugin sends Etsy before the merchant approves."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tokbridge.channels.etsy import auth
from tokbridge.channels.etsy.settings import EtsySettings

ETSY = EtsySettings(
    keystring="key-string-1", shared_secret="shared-secret-1", oauth_url="https://www.etsy.com/oauth/connect"
)


def test_the_challenge_is_s256_base64url_without_padding():
    verifier = "dBjftJeZ4CVP-mJ0VVLhb0Y3GNmqC6qW8DpUBtT2aw0"
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    assert auth.code_challenge(verifier) == expected == "1WWhQSB9I3coeLX8s6SNMA1d2JZXx_vsaOlMSeMLWu4"


def test_the_verifier_is_secret_per_state_and_in_pkce_alphabet():
    one = auth.code_verifier("state-one", "secret")
    assert re.fullmatch(r"[A-Za-z0-9\-._~]{43,128}", one)
    assert one == auth.code_verifier("state-one", "secret")  # found again from the returned state
    assert one != auth.code_verifier("state-two", "secret")
    assert one != auth.code_verifier("state-one", "another secret")
    with pytest.raises(ValueError):
        auth.code_challenge("too-short")


def test_the_consent_address_carries_state_scopes_and_the_s256_challenge():
    url = auth.authorization_url(ETSY, redirect_uri="https://tokbridge.test/connect/x/callback", state="signed.state")
    parts = urlsplit(url)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://www.etsy.com/oauth/connect"
    assert query["response_type"] == "code" and query["client_id"] == "key-string-1"
    assert query["state"] == "signed.state"
    assert query["code_challenge_method"] == "S256"
    assert query["code_challenge"] == auth.code_challenge(auth.code_verifier("signed.state", "shared-secret-1"))
    assert set(query["scope"].split(" ")) >= {"listings_r", "listings_w", "shops_r", "transactions_r"}
    assert "shared-secret-1" not in url


def test_missing_scopes_are_named():
    assert auth.missing_scopes(("listings_r", "shops_r")) == ["listings_w", "transactions_r"]
    assert auth.missing_scopes(auth.SCOPES + ("email_r",)) == []
