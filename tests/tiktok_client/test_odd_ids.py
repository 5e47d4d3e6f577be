"""Odd characters in an id are refused before anything is sent, as a validation error (a page answers
422 with a plain message, a job fails for good), never a ValueError from the transport."""

from __future__ import annotations

import pytest

from tokbridge.channels.tiktok.errors import ValidationError
from tokbridge.kit.ratelimit import MemoryBackend, RateLimiter

from .builders import tshirt_category


@pytest.mark.parametrize("category_id", ["a b", "12/../34", "1\x002", "é", "x" * 65, ""])
def test_odd_tiktok_category_ids_are_refused_before_sending(tiktok, category_id):
    with pytest.raises(ValidationError, match="is not a TikTok id"):
        tiktok.client.get_attributes(category_id, category_version="v2")
    # A real id still goes through, the second time too.
    for _ in range(2):
        assert tiktok.client.get_attributes(tshirt_category(tiktok.client).id, category_version="v2")


def test_a_refused_id_costs_no_rate_limit_token(tiktok):
    """Sixty odd ids in a row used to spend the shop's tokens, so the next real call was answered 'TikTok is
    not answering' (a 503 on the page) although nothing had been sent."""
    category = tshirt_category(tiktok.client).id
    tiktok.transport.limiter = RateLimiter(MemoryBackend(), 1, period_seconds=3600)  # one call this hour
    for odd in ["1e5 ", "\u202e", "a/b"] * 20:
        with pytest.raises(ValidationError):
            tiktok.client.get_attributes(odd, category_version="v2")
    assert tiktok.client.get_attributes(category, category_version="v2")
