"""Prices in the TikTok shop's currency.

The store's prices are in the store's currency (read from the store at each catalog import); a TikTok
shop sells in its region's currency. When the two differ, the merchant sets a conversion rate for the
shop in Settings, and every price sent there is converted (the template's rounding applies after). Until
a rate exists nothing priced goes to that shop: a relabelled price would be wrong by the exchange rate.

    conversion(session, shop).missing      # True: uploads and price syncs are refused
    market_for(session, shop)              # the Market the mapper converts prices with

The rate belongs to the TikTok shop (each shop sells in its region's currency); the store currency is
that of the store the shop lists from (`ShopContext.store`). `shop` is a `ShopContext`, or the shop's
`ChannelConnection` (its linked store is then read).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy.orm import Session

from tokbridge.audit import service as audit
from tokbridge.category_templates.limits import Market
from tokbridge.category_templates.problems import Problem
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.shops import ShopContext, linked_store
from tokbridge.db.base import utcnow
from tokbridge.jobs.service import enqueue
from tokbridge.listings.repository import ListingRepository

RATE_LINK = "/settings#currency"
MAX_RATE = Decimal("1000000")  # one unit of a currency is never worth more than this of another

CURRENCY_NAMES = {
    "USD": "US dollars",
    "GBP": "British pounds",
    "EUR": "euros",
    "MYR": "Malaysian ringgit",
    "SGD": "Singapore dollars",
    "THB": "Thai baht",
    "VND": "Vietnamese dong",
    "PHP": "Philippine pesos",
    "IDR": "Indonesian rupiah",
    "MXN": "Mexican pesos",
    "BRL": "Brazilian reais",
    "JPY": "Japanese yen",
    "CAD": "Canadian dollars",
    "AUD": "Australian dollars",
}


def currency_name(code: str) -> str:
    return CURRENCY_NAMES.get(code, code)


class RateRefused(Exception):
    """The rate cannot be saved; the message says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Conversion:
    store_currency: str | None  # None until the store's currency has been read
    shop_currency: str
    rate: Decimal | None  # the merchant's rate from the store's current currency, if set
    set_at: datetime | None

    @property
    def needed(self) -> bool:
        return self.store_currency is not None and self.store_currency != self.shop_currency

    @property
    def missing(self) -> bool:
        return self.needed and self.rate is None

    @property
    def rate_text(self) -> str:
        """The rate as a merchant writes it: 0.8, 150 (not 0.800000 or 1.5E+2)."""
        return format(self.rate.normalize(), "f") if self.rate is not None else ""

    @property
    def price_rate(self) -> Decimal:
        return self.rate if self.needed and self.rate is not None else Decimal(1)


def _shop_and_store(
    session: Session, shop: ShopContext | ChannelConnection
) -> tuple[ChannelConnection, ChannelConnection | None]:
    if isinstance(shop, ShopContext):
        return shop.shop, shop.store
    return shop, linked_store(session, shop)


def conversion(session: Session, shop: ShopContext | ChannelConnection) -> Conversion:
    shop, store = _shop_and_store(session, shop)
    store_currency = store.currency if store is not None else None
    # A rate set for another store currency (the store changed it since) converts nothing any more.
    valid = shop.price_rate is not None and shop.price_rate_from == store_currency
    return Conversion(
        store_currency,
        Market(shop.region or "US").currency,
        shop.price_rate if valid else None,
        shop.price_rate_set_at if valid else None,
    )


def market_for(session: Session, shop: ShopContext | ChannelConnection) -> Market:
    region = (shop.shop if isinstance(shop, ShopContext) else shop).region
    return Market(region or "US", price_rate=conversion(session, shop).price_rate)


def _store_currency_of(found: Conversion) -> str:
    """The store's currency of a conversion whose rate is missing (so the currency is known)."""
    if found.store_currency is None:
        raise ValueError("no rate can be missing while the store's currency is not known")
    return found.store_currency


def missing_rate_message(found: Conversion) -> str:
    return (
        f"Your store's prices are in {currency_name(_store_currency_of(found))} and your TikTok shop sells in "
        f"{currency_name(found.shop_currency)}. Set how much 1 {found.store_currency} is worth in "
        f"{found.shop_currency} in Settings, under Prices on TikTok, before uploading or sending prices."
    )


def missing_rate_problem(found: Conversion) -> Problem:
    return Problem(
        "currency_rate",
        "price",
        f"Prices would reach TikTok in {currency_name(_store_currency_of(found))} labelled as "
        f"{currency_name(found.shop_currency)}.",
        f"Set the conversion rate from {found.store_currency} to {found.shop_currency} in Settings, "
        "under Prices on TikTok.",
    )


def set_rate(session: Session, merchant_id: int, shop: ShopContext | ChannelConnection, text: str) -> int:
    """Save the merchant's rate for the shop; its products already on TikTok get their prices sent again
    (the shop's only: another shop's prices do not change). Returns how many products will be re-priced."""
    found = conversion(session, shop)
    shop = shop.shop if isinstance(shop, ShopContext) else shop
    if found.store_currency is None:
        raise RateRefused(
            "TokBridge has not read your store's currency yet. It does so while importing "
            "the catalog; try again once the import has finished."
        )
    if not found.needed:
        raise RateRefused(
            f"Your store and your TikTok shop both use {currency_name(found.shop_currency)}: "
            "prices go as they are, no rate is needed."
        )
    try:
        rate = Decimal(text.strip().replace(",", "."))
    except (InvalidOperation, AttributeError):
        rate = None
    if rate is None or not rate.is_finite() or rate <= 0 or rate > MAX_RATE:
        raise RateRefused(
            f"Enter how much 1 {found.store_currency} is worth in {found.shop_currency}, "
            "as a number above 0, for example 0.79."
        )
    rate = rate.quantize(Decimal("0.000001"))
    changed = rate != found.rate
    shop.price_rate, shop.price_rate_from, shop.price_rate_set_at = rate, found.store_currency, utcnow()
    if not changed:
        return 0
    audit.record(
        session,
        None,
        "settings.rate",
        ("shop", shop.id),
        {"rate": str(found.rate) if found.rate else None},
        {"rate": str(rate)},
        summary=f"Price rate for {shop.name or 'the shop'} set: 1 {found.store_currency} "
        f"= {rate.normalize()} {found.shop_currency}",
        connection_id=shop.id,
        merchant_id=merchant_id,
    )
    product_ids = ListingRepository(session).product_ids_on_tiktok(shop.id)
    for product_id in product_ids:
        # The sync compares each price with what TikTok last got: only the prices that changed are sent.
        enqueue(
            session,
            "listings.sync_product",
            merchant_id=merchant_id,
            payload={"product_id": product_id, "reason": "price rate", "connection_id": shop.id},
            identity_key=f"listings.sync_product:{shop.id}:{product_id}:price rate",
        )
    return len(product_ids)
