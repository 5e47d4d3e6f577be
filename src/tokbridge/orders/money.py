"""Money as integers of the currency's minor unit: exact sums in SQL on SQLite and PostgreSQL alike."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

# Currencies TikTok Shop prices without decimals.
ZERO_DECIMAL = frozenset({"JPY", "VND", "IDR", "KRW", "CLP"})


def exponent(currency: str | None) -> int:
    return 0 if (currency or "").upper() in ZERO_DECIMAL else 2


def to_minor(amount: str | float | Decimal | None, currency: str | None) -> int:
    if amount in (None, ""):
        return 0
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return 0
    return int((value * (10 ** exponent(currency))).to_integral_value())


def to_decimal(minor: int, currency: str | None) -> Decimal:
    places = exponent(currency)
    return (Decimal(minor) / (10**places)).quantize(Decimal(1).scaleb(-places))


def to_text(minor: int, currency: str | None) -> str:
    return format(to_decimal(minor, currency), "f")
