"""TikTok Shop's documented listing limits, per market (Create Product, 202309).

Facts only, each with where it comes from, so a limit that changes is changed in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

# "Title length: DE, ES, FR, IE, IT, JP, UK, US: [1, 255]; BR, MX: [1, 300]; Other regions: [25, 255]"
_SHORT_MINIMUM_TITLE = {"DE", "ES", "FR", "IE", "IT", "JP", "UK", "GB", "US"}
_LONG_TITLE = {"BR", "MX"}
# "≤300 SKUs in BR/EU/JP/MX/UK/US, ≤100 elsewhere"
_MANY_SKUS = {"BR", "JP", "MX", "UK", "GB", "US", "DE", "ES", "FR", "IE", "IT"}

MAX_DESCRIPTION = 10_000  # description: HTML, at most 10,000 characters
MAX_MAIN_IMAGES = 9
MAX_SALES_ATTRIBUTES = 3
MAX_SELLER_SKU = 50  # seller_sku: 1-50 characters, no spaces
MAX_EXTERNAL_ID = 999  # external_product_id, external_sku_id
MAX_QUANTITY = 99_999  # inventory quantity: [1, 99,999] (0 sends a sold-out SKU)
MAX_REPEATED_CHARACTERS = 9  # titles may not repeat a character more than 9 times in a row
# Price: "Valid range: [0.01, 7600]" (list price, US); Product Pricing gives other markets' ranges.
PRICE_RANGE = (Decimal("0.01"), Decimal("7600"))

CURRENCY_BY_REGION = {
    "US": "USD",
    "GB": "GBP",
    "UK": "GBP",
    "DE": "EUR",
    "FR": "EUR",
    "ES": "EUR",
    "IE": "EUR",
    "IT": "EUR",
    "MY": "MYR",
    "SG": "SGD",
    "TH": "THB",
    "VN": "VND",
    "PH": "PHP",
    "ID": "IDR",
    "MX": "MXN",
    "BR": "BRL",
    "JP": "JPY",
}


@dataclass(frozen=True)
class Market:
    """The shop a product goes to: its region decides limits, units and the category tree."""

    region: str
    currency: str = ""
    # Store price x price_rate = price in the shop's currency (1 when the store sells in that currency).
    price_rate: Decimal = Decimal(1)

    def __post_init__(self) -> None:
        object.__setattr__(self, "region", self.region.upper())
        if not self.currency:
            object.__setattr__(self, "currency", CURRENCY_BY_REGION.get(self.region, "USD"))

    @property
    def title_range(self) -> tuple[int, int]:
        if self.region in _SHORT_MINIMUM_TITLE:
            return 1, 255
        if self.region in _LONG_TITLE:
            return 1, 300
        return 25, 255

    @property
    def max_skus(self) -> int:
        return 300 if self.region in _MANY_SKUS else 100

    @property
    def category_version(self) -> str:
        return "v2" if self.region == "US" else "v1"  # US shops use the 7-level v2 tree

    @property
    def weight_units(self) -> tuple[str, ...]:
        # KILOGRAM everywhere, POUND in the US, GRAM in BR/JP/MX
        if self.region == "US":
            return ("KILOGRAM", "POUND")
        if self.region in ("BR", "JP", "MX"):
            return ("KILOGRAM", "GRAM")
        return ("KILOGRAM",)

    @property
    def dimension_units(self) -> tuple[str, ...]:
        return ("CENTIMETER", "INCH") if self.region == "US" else ("CENTIMETER",)

    @property
    def default_weight_unit(self) -> str:
        return "POUND" if self.region == "US" else "KILOGRAM"
