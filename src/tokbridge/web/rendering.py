"""The Jinja2 environment every page renders with, and the few filters the templates share."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path

from fastapi.templating import Jinja2Templates

from tokbridge.channels import registry
from tokbridge.channels.base import StorePlugin
from tokbridge.kit.words import alternatives, code_words, field_words, plural

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def money(amount, currency: str | None = None) -> str:
    """`1234.5` -> `1,234.50 USD`; anything that is not a number is shown as it is."""
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return str(amount)
    text = f"{value:,.2f}"
    return f"{text} {currency}" if currency else text


def percent(part: float, whole: float) -> int:
    """Share of `whole`, 0..100, for bars and meters (0 when `whole` is 0)."""
    return max(0, min(100, round(100 * part / whole))) if whole else 0


def store_plugin(kind: str | None = None) -> StorePlugin:
    """The plugin of a connected store (`kind`), or the store a merchant without one is offered to connect
    (one store plugin today; choosing among several is issue #14's). Pages name a store only through it."""
    return registry.plugin(kind) if kind else registry.plugin(min(registry.store_kinds()))


templates.env.filters["money"] = money
templates.env.filters["alternatives"] = alternatives  # ["Etsy", "PrestaShop", "Shopify"]: "Etsy, PrestaShop or Shopify"
templates.env.globals["store_plugin"] = store_plugin  # {{ store_plugin(kind).display_name }}
# Every store a merchant without one may connect: {% for p in store_plugins() %}.
templates.env.globals["store_plugins"] = lambda: list(registry.plugins().values())
templates.env.globals["percent"] = percent
templates.env.filters["words"] = code_words  # {{ listing.tiktok_status | words }}: "Deactivated by you"
templates.env.filters["field_words"] = field_words  # {{ problem.field | field_words }}: "Variant 8, SKU code"
templates.env.globals["plural"] = plural  # {{ plural(count, "problem") }}: "1 problem", "2 problems"
