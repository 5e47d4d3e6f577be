"""Carrier mapping: the store's tracking company -> a TikTok shipping provider of the order's delivery option."""

from __future__ import annotations

import re

# Spellings stores use for the same carriers (normalised: lower case, letters and digits only).
ALIASES = {
    "unitedstatespostalservice": "usps",
    "uspostalservice": "usps",
    "unitedparcelservice": "ups",
    "upsmailinnovations": "ups",
    "fedexground": "fedex",
    "federalexpress": "fedex",
    "fedexsmartpost": "fedex",
    "dhl": "dhlecommerce",
    "dhlexpress": "dhlecommerce",
    "dhlecommerceasia": "dhlecommerce",
    "royalmail": "royalmail",
    "evri": "evri",
    "hermes": "evri",
}


def normalise(name: str | None) -> str:
    key = re.sub(r"[^a-z0-9]", "", (name or "").lower())
    return ALIASES.get(key, key)


def provider_for(company: str | None, providers: list[tuple[str, str]], overrides: dict[str, str]) -> str | None:
    """The provider id for `company`, from the merchant's own mapping first, then by name.

    `providers` are (id, name) pairs TikTok offers for the delivery option; `overrides` maps a tracking
    company (any spelling) to a provider id or name.
    """
    if not company:
        return None
    by_name = {normalise(name): provider_id for provider_id, name in providers}
    ids = {provider_id for provider_id, _ in providers}
    for key, target in overrides.items():
        if normalise(key) == normalise(company):
            if target in ids:
                return target
            if normalise(target) in by_name:
                return by_name[normalise(target)]
    return by_name.get(normalise(company))
