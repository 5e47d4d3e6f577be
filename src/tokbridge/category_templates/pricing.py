"""The price rule: what a store price becomes on TikTok.

    PriceRule(base="price", adjustment="percentage", direction="up", amount="10", rounding="end_99")

The base is the variant's price or its compare-at price (falling back to the price when a variant has
none). Adjustment is a percentage or a fixed amount (in the store's currency), up or down. A TikTok shop
selling in another currency gets the adjusted price times the merchant's conversion `rate`; rounding is
applied last, to the converted price, and the result is never below 0.01. All money is `Decimal`, two places.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

CENT = Decimal("0.01")
MINIMUM_PRICE = CENT

Rounding = Literal["none", "nearest_0_05", "nearest_0_10", "whole", "up_whole", "end_99", "end_95"]

ROUNDING_LABELS = {
    "none": "No rounding (to the cent)",
    "nearest_0_05": "To the nearest 0.05",
    "nearest_0_10": "To the nearest 0.10",
    "whole": "To the nearest whole amount",
    "up_whole": "Up to the next whole amount",
    "end_99": "Up to .99 (12.30 becomes 12.99)",
    "end_95": "Up to .95 (12.30 becomes 12.95, 12.97 becomes 13.95)",
}


class PriceRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base: Literal["price", "compare_at_price"] = "price"
    adjustment: Literal["none", "percentage", "fixed"] = "none"
    direction: Literal["up", "down"] = "up"
    amount: Decimal = Field(default=Decimal("0"), ge=0, le=Decimal("100000"), decimal_places=4)
    rounding: Rounding = "none"

    @model_validator(mode="after")
    def _check(self) -> PriceRule:
        if self.adjustment == "percentage" and self.direction == "down" and self.amount >= 100:
            raise ValueError("A price cannot go down by 100% or more; use a smaller percentage")
        return self


def base_price(rule: PriceRule, price: Decimal, compare_at_price: Decimal | None) -> Decimal:
    if rule.base == "compare_at_price" and compare_at_price is not None and compare_at_price > 0:
        return compare_at_price
    return price


def apply_price_rule(
    rule: PriceRule, price: Decimal, compare_at_price: Decimal | None = None, rate: Decimal = Decimal(1)
) -> Decimal:
    """The TikTok price of a variant priced `price` (and `compare_at_price`) in the store; `rate` converts
    one unit of the store's currency into the shop's."""
    value = base_price(rule, price, compare_at_price)
    value = _adjust(rule, value) * rate
    value = round_price(value, rule.rounding)
    return max(value, MINIMUM_PRICE)


def _adjust(rule: PriceRule, value: Decimal) -> Decimal:
    sign = 1 if rule.direction == "up" else -1
    if rule.adjustment == "percentage":
        return value * (Decimal(100) + sign * rule.amount) / Decimal(100)
    if rule.adjustment == "fixed":
        return value + sign * rule.amount
    return value


def round_price(value: Decimal, rounding: Rounding) -> Decimal:
    cents = value.quantize(CENT, rounding=ROUND_HALF_UP)
    match rounding:
        case "none":
            return cents
        case "nearest_0_05":
            return _to_step(cents, Decimal("0.05"))
        case "nearest_0_10":
            return _to_step(cents, Decimal("0.10"))
        case "whole":
            return cents.quantize(Decimal(1), rounding=ROUND_HALF_UP).quantize(CENT)
        case "up_whole":
            return cents.quantize(Decimal(1), rounding=ROUND_CEILING).quantize(CENT)
        case "end_99":
            return _up_to_ending(cents, Decimal("0.99"))
        case "end_95":
            return _up_to_ending(cents, Decimal("0.95"))
    raise ValueError(rounding)


def _to_step(value: Decimal, step: Decimal) -> Decimal:
    return ((value / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step).quantize(CENT)


def _up_to_ending(value: Decimal, ending: Decimal) -> Decimal:
    """The smallest amount ending in `ending` that is not below `value`."""
    whole = value.quantize(Decimal(1), rounding=ROUND_FLOOR)
    candidate = whole + ending
    return candidate if candidate >= value else candidate + 1


def money(text: str | None) -> Decimal | None:
    """A catalog money string as Decimal (None when absent or unreadable)."""
    if text is None or not str(text).strip():
        return None
    try:
        number = Decimal(str(text).strip())
    except ArithmeticError:
        return None
    return number if number.is_finite() else None
