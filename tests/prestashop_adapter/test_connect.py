"""Connecting a shop with its address and Webservice key: the key's permissions are checked first, each
one missing named in words; the shop's settings are kept in the grant's data."""

from __future__ import annotations

import pytest

from tokbridge.channels import registry
from tokbridge.channels.base import ConnectRefused, ConnectReturn
from tokbridge.channels.prestashop.permissions import NEEDED
from tokbridge.channels.prestashop.settings import get_prestashop_settings
from tokbridge.kit.errors import NeedsReconnect

LIMITED_KEY = "LIMITEDKEY0123456789ABCDEFGHIJKL"


def test_a_full_key_connects_with_the_shops_settings_in_the_grant(live_prestashop):
    live = live_prestashop()
    grant = live.connect(language="fr")

    assert grant.external_id == live.base_url and grant.access_token != "" and grant.name == live.config.shop_name
    assert grant.data["language"] == "fr" and grant.data["language_id"] == "2"
    assert grant.data["currency"] == "EUR" and grant.data["timezone"] == "Europe/Paris"
    assert grant.data["version"] == "8.1.7" and grant.data["shop_id"] == "1"
    assert grant.data["order_states"]["PS_OS_PAYMENT"] == "2"
    assert registry.plugin("prestashop").connector.missing_scopes(grant.scopes) == []


def test_a_key_without_a_permission_is_told_each_one_missing_before_anything_else(live_prestashop):
    live = live_prestashop()
    permissions = {resource: list(methods) for resource, (_, methods) in NEEDED.items()}
    permissions["stock_availables"] = ["GET"]
    del permissions["order_histories"]
    live.control("POST", "/sandbox/keys", json={"key": LIMITED_KEY, "permissions": permissions})
    live.control("DELETE", "/sandbox/requests")

    with pytest.raises(ConnectRefused) as refused:
        live.connect(key=LIMITED_KEY)

    message = refused.value.message
    assert "cannot update stock (stock_availables: PUT)" in message
    assert "read order status history (order_histories: GET)" in message
    assert "create order status history (order_histories: POST)" in message
    assert "(products: GET)" not in message  # what the key may do is not listed
    assert [(r["method"], r["path"]) for r in live.requests()] == [("GET", "/api/")]


def test_a_refused_key_asks_for_the_details_again(live_prestashop):
    live = live_prestashop()
    live.control("DELETE", f"/sandbox/keys/{live.config.bootstrap_key}")
    with pytest.raises(NeedsReconnect):
        live.connect()


def test_an_address_without_a_webservice_is_told_so(live_prestashop):
    live = live_prestashop()
    with pytest.raises(ConnectRefused, match="does not answer as a PrestaShop Webservice"):
        registry.plugin("prestashop").connector.finish(
            None,
            ConnectReturn(
                account="", code="", answers={"address": live.base_url + "/sandbox", "key": live.config.bootstrap_key}
            ),
            callback_url="",
        )


def test_a_language_or_shop_the_shop_does_not_have_is_refused_in_words(live_prestashop):
    live = live_prestashop()
    with pytest.raises(ConnectRefused, match="has no language 'de'; it has en, fr"):
        live.connect(language="de")
    with pytest.raises(ConnectRefused, match="has no shop 4"):
        live.connect(shop_id="4")


def test_the_address_is_normalised_and_http_is_refused_in_production(monkeypatch):
    connector = registry.plugin("prestashop").connector
    monkeypatch.setenv("PRESTASHOP_ALLOW_HTTP", "false")
    get_prestashop_settings.cache_clear()
    try:
        assert (
            connector.account_of({"address": " Shop.Example.com/boutique/api/ "}) == "https://shop.example.com/boutique"
        )
        with pytest.raises(ConnectRefused, match="HTTPS"):
            connector.account_of({"address": "http://shop.example.com"})
        with pytest.raises(ConnectRefused):
            connector.account_of({"address": ""})
    finally:
        get_prestashop_settings.cache_clear()
