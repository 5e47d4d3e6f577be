"""Connecting a PrestaShop shop: a form with the shop's address and a Webservice key (and, optionally,
the shop of a multistore and the language to read). `CONNECTOR` is the plugin's `StoreConnector`.

There is no OAuth: the merchant creates the key in the back office (Advanced Parameters > Webservice)
with per-resource permissions. `finish` reads `GET /api/` first and refuses, before anything else, with
each resource and method the key lacks in plain words; then it reads the shop's languages, shops,
currency, PrestaShop version and time zone into the grant's `data`. The key is the grant's
`access_token`, so it is stored encrypted like every token.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from tokbridge.channels.base import ConnectField, ConnectionGrant, ConnectRefused, ConnectReturn, ConnectStart
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.prestashop import permissions
from tokbridge.channels.prestashop.client import PrestaShopClient
from tokbridge.channels.prestashop.errors import NotFound, Refused
from tokbridge.channels.prestashop.settings import get_prestashop_settings
from tokbridge.channels.prestashop.shop import read_shop
from tokbridge.config import Settings

log = logging.getLogger(__name__)

KEY_PATTERN = re.compile(r"^[A-Za-z0-9]{32}$")
FIX_PERMISSIONS = (
    "In your PrestaShop back office, open Advanced Parameters > Webservice, edit the key, tick "
    "the permissions listed, save, and connect again."
)


class PrestaShopConnector:
    required_scopes = tuple(permissions.needed())
    form_fields = (
        ConnectField(
            "address",
            "Shop address",
            placeholder="https://shop.example.com",
            help="The address of your PrestaShop shop, as customers open it.",
        ),
        ConnectField(
            "key",
            "Webservice key",
            placeholder="32 letters and digits",
            secret=True,
            help="Create it in your back office: Advanced Parameters > Webservice > Add new key.",
        ),
        ConnectField(
            "shop_id",
            "Shop id (multistore only)",
            placeholder="1",
            help="Leave empty unless your PrestaShop runs several shops.",
        ),
        ConnectField(
            "language",
            "Language to read",
            placeholder="en",
            help="The two-letter code of the language your products are sent in; empty: the shop's default language.",
        ),
    )
    state_max_age_seconds = 600

    def account_of(self, answers: Mapping[str, str]) -> str:
        return normalise_address(answers.get("address") or "")

    def begin(
        self, settings: Settings, *, account: str, state: str, callback_url: str, answers: Mapping[str, str]
    ) -> ConnectStart:
        return ConnectStart(redirect_url=None)  # the form's answers are the credentials

    def read_launch(self, settings: Settings, params: Mapping[str, str]) -> str | None:
        return None

    def read_return(self, settings: Settings, params: Mapping[str, str]) -> ConnectReturn:
        raise ConnectRefused("Nothing to come back from", "PrestaShop is connected with its form alone.")

    def finish(self, settings: Settings, returned: ConnectReturn, *, callback_url: str) -> ConnectionGrant:
        answers = returned.answers
        address = normalise_address(answers.get("address") or returned.account)
        key = (answers.get("key") or "").strip()
        if not KEY_PATTERN.match(key):
            raise ConnectRefused(
                "This is not a Webservice key",
                "A PrestaShop Webservice key is 32 letters and digits.",
                "Copy the key from Advanced Parameters > Webservice in your back office.",
            )
        config = get_prestashop_settings()
        with PrestaShopClient(address, key, timeout=config.request_timeout_seconds) as client:
            try:
                listing, _ = client.get_xml("", what="the key's permissions")
            except (NotFound, Refused):
                raise ConnectRefused(
                    "No PrestaShop Webservice at this address",
                    f"{address}/api/ does not answer as a PrestaShop Webservice.",
                    "Check the address, and that the Webservice is enabled in your back office "
                    "(Advanced Parameters > Webservice).",
                ) from None
            granted = permissions.granted(listing)
            lacking = permissions.missing(granted)
            if lacking:
                raise ConnectRefused(
                    "Your Webservice key lacks permissions",
                    "Your Webservice key cannot " + "; cannot ".join(lacking) + ".",
                    FIX_PERMISSIONS,
                )
            shop = read_shop(
                client,
                shop_id=(answers.get("shop_id") or "").strip() or None,
                language=(answers.get("language") or "").strip().lower() or None,
            )
        data = {**shop.as_data(), "address": address, "can_patch": "stock_availables:PATCH" in granted}
        return ConnectionGrant(
            external_id=address if shop.single else f"{address}#shop-{shop.shop_id}",
            name=shop.name,
            access_token=key,
            scopes=sorted(granted),
            data=data,
        )

    def needs_refresh(self, connection: ChannelConnection) -> bool:
        return False  # a Webservice key does not expire

    def refresh(self, settings: Settings, connection: ChannelConnection) -> ConnectionGrant:
        return ConnectionGrant(
            external_id=connection.external_id,
            name=connection.name,
            access_token=connection.access_token or "",
            scopes=list(connection.scopes or []),
        )

    def missing_scopes(self, granted: Sequence[str]) -> list[str]:
        return permissions.missing(tuple(granted))

    def disconnect(self, settings: Settings, connection: ChannelConnection) -> None:
        """A key cannot be withdrawn through the Webservice: the merchant deletes it in the back office;
        TokBridge forgets it itself."""

    def subscribe_events(self, settings: Settings, connection: ChannelConnection, address: str) -> list[str]:
        return []  # PrestaShop has no webhooks


def normalise_address(typed: str) -> str:
    """`Shop.Example.com/` -> `https://shop.example.com`; a folder install keeps its path; `/api` and a
    query are dropped. http:// only where PRESTASHOP_ALLOW_HTTP (tests, the demo)."""
    text = typed.strip()
    if not text:
        raise ConnectRefused(
            "No shop address", "Type the address of your PrestaShop shop.", "For example https://shop.example.com."
        )
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host or " " in text:
        raise ConnectRefused(
            "This is not a shop address",
            f"{typed.strip()!r} is not a web address.",
            "Type it as it shows in your browser, for example https://shop.example.com.",
        )
    if parts.scheme == "http" and not get_prestashop_settings().allow_http:
        raise ConnectRefused(
            "The shop must be reached over HTTPS",
            "Your Webservice key would travel unprotected over http://.",
            "Use your shop's https:// address.",
        )
    path = parts.path.rstrip("/")
    if path.endswith("/api"):
        path = path[: -len("/api")]
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{path}"


CONNECTOR = PrestaShopConnector()
