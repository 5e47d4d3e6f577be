"""The shop's own settings TokBridge reads once at connect time and keeps in the connection's `data`:
its shops (multistore), languages, default currency, time zone, PrestaShop version, and the order
states its configuration names (PS_OS_PAYMENT and its kin)."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tokbridge.channels.base import ConnectRefused
from tokbridge.channels.prestashop.client import PrestaShopClient, one_of

# Configuration keys read at connect time and when order states are listed.
STATE_KEYS = (
    "PS_OS_PAYMENT",
    "PS_OS_PREPARATION",
    "PS_OS_SHIPPING",
    "PS_OS_DELIVERED",
    "PS_OS_CANCELED",
    "PS_OS_REFUND",
    "PS_OS_ERROR",
)
SHOP_KEYS = (
    "PS_TIMEZONE",
    "PS_LANG_DEFAULT",
    "PS_CURRENCY_DEFAULT",
    "PS_COUNTRY_DEFAULT",
    "PS_SHOP_NAME",
    "PS_SHOP_DEFAULT",
)


def configuration(client: PrestaShopClient, names: tuple[str, ...]) -> dict[str, str]:
    rows = client.rows(
        "configurations", {"display": "[name,value]", "filter[name]": one_of(names)}, what="the shop's settings"
    )
    found: dict[str, str] = {}
    for row in rows:
        name, value = str(row.get("name") or ""), row.get("value")
        if name and value not in (None, "") and name not in found:
            found[name] = str(value)
    return found


@dataclass
class ShopInfo:
    name: str
    shop_id: str
    single: bool
    language_id: str
    language_iso: str
    languages: dict[str, str]  # iso code -> id
    currency: str
    currency_id: str
    timezone: str
    version: str
    country_id: str | None = None
    states: dict[str, str] = field(default_factory=dict)  # PS_OS_* -> order state id

    def as_data(self) -> dict:
        return {
            "shop_id": self.shop_id,
            "single_shop": self.single,
            "language_id": self.language_id,
            "language": self.language_iso,
            "languages": self.languages,
            "currency": self.currency,
            "currency_id": self.currency_id,
            "timezone": self.timezone,
            "version": self.version,
            "country_id": self.country_id,
            "order_states": self.states,
        }


def read_shop(client: PrestaShopClient, *, shop_id: str | None, language: str | None) -> ShopInfo:
    settings = configuration(client, SHOP_KEYS + STATE_KEYS)
    shops = client.rows("shops", {"display": "[id,name,active]"}, what="the shops")
    by_id = {str(shop["id"]): shop for shop in shops}
    chosen = shop_id or settings.get("PS_SHOP_DEFAULT") or (min(by_id, key=int) if by_id else "1")
    if by_id and chosen not in by_id:
        raise ConnectRefused(
            "No such shop",
            f"This PrestaShop has no shop {chosen}; its shops are "
            + ", ".join(f"{shop_key} ({by_id[shop_key].get('name')})" for shop_key in sorted(by_id, key=int))
            + ".",
            "Type one of these shop ids, or leave the field empty.",
        )
    languages = {
        str(row.get("iso_code") or "").lower(): str(row["id"])
        for row in client.rows("languages", {"display": "[id,iso_code,active]"}, what="the languages")
    }
    default_language = settings.get("PS_LANG_DEFAULT") or next(iter(languages.values()), "1")
    if language:
        if language not in languages:
            raise ConnectRefused(
                "No such language",
                f"This shop has no language {language!r}; it has " + ", ".join(sorted(languages)) + ".",
                "Type one of these codes, or leave it empty.",
            )
        language_id = languages[language]
    else:
        language_id = default_language
    iso = next((code for code, ident in languages.items() if ident == language_id), "")
    currency_id = settings.get("PS_CURRENCY_DEFAULT") or "1"
    currency = client.one("currencies", "currency", currency_id, what="the shop's currency")
    timezone = settings.get("PS_TIMEZONE") or "UTC"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        timezone = "UTC"
    name = str((by_id.get(chosen) or {}).get("name") or settings.get("PS_SHOP_NAME") or client.address)
    return ShopInfo(
        name=name,
        shop_id=chosen,
        single=len(by_id) <= 1,
        language_id=language_id,
        language_iso=iso,
        languages=languages,
        currency=str(currency.get("iso_code") or "").upper(),
        currency_id=currency_id,
        timezone=timezone,
        version=client.version or "",
        country_id=settings.get("PS_COUNTRY_DEFAULT"),
        states={key: settings[key] for key in STATE_KEYS if key in settings},
    )
