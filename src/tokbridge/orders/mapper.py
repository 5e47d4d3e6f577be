"""Mapper: a TikTok order as stored (raw payload and resolved lines) -> the store's `NewOrder`.

TikTok sends one line item per unit; the store gets one line per SKU and price, with the quantity.
Prices are what the buyer paid per unit; shipping, taxes and discounts come from TikTok's payment block.
An address in a region the store has no country for raises `regions.UnknownCountry`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal

from tokbridge.channels.base import Address, NewOrder, OrderLine, ShippingLine, TaxLine
from tokbridge.orders.money import to_minor, to_text
from tokbridge.orders.regions import store_country_code

SOURCE_NAME = "tiktok"


@dataclass(frozen=True)
class ResolvedLine:
    """A TikTok line item and the store variant it is linked to (None: the SKU is not linked)."""

    tiktok_sku_id: str | None
    seller_sku: str | None
    title: str
    sale_price: str
    original_price: str
    variant_external_id: str | None


def _decimal(value) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except ArithmeticError:
        return Decimal(0)


def to_new_order(raw: dict, lines: list[ResolvedLine], currency: str) -> NewOrder:
    grouped: dict[tuple, OrderLine] = {}
    for line in lines:
        price = line.sale_price or line.original_price or "0"
        key = (line.variant_external_id or f"custom:{line.tiktok_sku_id}:{line.title}", price)
        if key in grouped:
            grouped[key].quantity += 1
            continue
        grouped[key] = OrderLine(
            variant_external_id=line.variant_external_id,
            quantity=1,
            unit_price=to_text(to_minor(price, currency), currency),
            title=line.title if line.variant_external_id is None else None,
            sku=line.seller_sku or None,
        )
    payment = raw.get("payment") or {}
    shipping_fee = payment.get("shipping_fee") or "0"
    shipping_lines = [
        ShippingLine(
            title=raw.get("delivery_option_name") or "TikTok Shop shipping",
            price=to_text(to_minor(shipping_fee, currency), currency),
            code=raw.get("delivery_option_id"),
        )
    ]
    tax_lines = _tax_lines(raw, payment, currency)
    # Discounts the buyer got: the seller's own and TikTok's (TikTok pays the merchant the platform part).
    seller_discount = _decimal(payment.get("seller_discount"))
    platform_discount = _decimal(payment.get("platform_discount"))
    # Line prices are already what the buyer paid when sale_price is below original_price; only a
    # discount not reflected in the lines is carried as an order discount.
    line_total = sum((_decimal(line.sale_price or line.original_price) for line in lines), Decimal(0))
    subtotal = _decimal(payment.get("sub_total")) or line_total
    order_discount = max(Decimal(0), line_total - subtotal)
    note = f"TikTok Shop order {raw.get('id')}."
    if platform_discount > 0:
        note += f" Platform discount funded by TikTok: {platform_discount} {currency}."
    if seller_discount > 0:
        note += f" Seller discount: {seller_discount} {currency}."
    created = raw.get("create_time")
    return NewOrder(
        source_name=SOURCE_NAME,
        source_order_id=str(raw["id"]),
        currency=currency,
        lines=list(grouped.values()),
        email=raw.get("buyer_email") or None,
        shipping_address=_address(raw.get("recipient_address") or {}),
        shipping_lines=shipping_lines,
        tax_lines=tax_lines,
        discount_amount=to_text(to_minor(order_discount, currency), currency) if order_discount > 0 else None,
        discount_title="TIKTOK-DISCOUNT" if order_discount > 0 else None,
        paid=True,
        processed_at=datetime.fromtimestamp(int(created), UTC) if created else None,
        note=note,
        tags=["TikTok Shop"],
    )


def _tax_lines(raw: dict, payment: dict, currency: str) -> list[TaxLine]:
    """TikTok's taxes as store tax lines, each with its rate (stores require one): TikTok's own rate when
    every line gives the same, else the amount over what it taxed (items, shipping, or both)."""
    tax = _decimal(payment.get("tax"))
    if tax <= 0:
        return []
    items_base, shipping_base = _decimal(payment.get("sub_total")), _decimal(payment.get("shipping_fee"))
    product_tax, shipping_tax = _decimal(payment.get("product_tax")), _decimal(payment.get("shipping_fee_tax"))
    given = _tiktok_rate(raw.get("line_items") or [])
    if product_tax + shipping_tax != tax:
        # TikTok did not split the tax into items and shipping: one line for all of it.
        rate = given if given is not None else _rate(tax, items_base + shipping_base)
        parts = [("Tax collected by TikTok Shop", tax, rate)]
    else:
        parts = [
            (
                "Tax on items, collected by TikTok Shop",
                product_tax,
                given if given is not None else _rate(product_tax, items_base),
            ),
            ("Tax on shipping, collected by TikTok Shop", shipping_tax, _rate(shipping_tax, shipping_base)),
        ]
    return [
        TaxLine(title=title, amount=to_text(to_minor(amount, currency), currency), rate=format(rate, "f"))
        for title, amount, rate in parts
        if amount > 0
    ]


def _tiktok_rate(items: list[dict]) -> Decimal | None:
    """The one tax rate TikTok gives on its line items, if it gives one and only one."""
    rates = {
        _decimal(tax.get("tax_rate"))
        for item in items
        for tax in item.get("item_tax") or []
        if isinstance(tax, dict) and tax.get("tax_rate") not in (None, "")
    }
    return rates.pop().normalize() if len(rates) == 1 else None


def _rate(amount: Decimal, base: Decimal) -> Decimal:
    """A fraction to four places (8.25% is 0.0825), as stores keep rates; 0 when nothing was taxed."""
    if base <= 0:
        return Decimal(0)
    return (amount / base).quantize(Decimal("0.0001")).normalize()


def _address(recipient: dict) -> Address | None:
    if not recipient:
        return None
    first, last = recipient.get("first_name"), recipient.get("last_name")
    if not first and not last and recipient.get("name"):
        first, _, last = str(recipient["name"]).partition(" ")
    district = {
        d.get("address_level_name", "").lower(): d.get("address_name")
        for d in recipient.get("district_info") or []
        if isinstance(d, dict)
    }
    return Address(
        first_name=first or None,
        last_name=last or None,
        address1=recipient.get("address_line1") or recipient.get("full_address"),
        address2=recipient.get("address_line2") or None,
        city=district.get("city") or recipient.get("city"),
        province_code=recipient.get("state_code") or None,
        zip=recipient.get("postal_code"),
        country_code=store_country_code(recipient.get("region_code")),
        phone=recipient.get("phone_number"),
    )


# --- another currency than the store's ----------------------------------------------------------------


@dataclass(frozen=True)
class StoreCurrency:
    """How an order reaches its store: in the order's own currency (`rate` None), or converted into the
    store's at the shop's rate (one unit of `store_currency` is worth `rate` of the order's currency);
    `missing`: the currencies differ and the shop has no rate from the store's currency."""

    order_currency: str
    store_currency: str
    rate: Decimal | None = None
    missing: bool = False

    @property
    def converted(self) -> bool:
        return self.rate is not None

    def rate_words(self) -> str:
        if self.rate is None:
            raise ValueError("no conversion rate: the order is not converted")
        return f"1 {self.store_currency} = {format(self.rate.normalize(), 'f')} {self.order_currency}"


def store_currency(
    order_currency: str, store_currency_code: str | None, price_rate: Decimal | None, price_rate_from: str | None
) -> StoreCurrency:
    """The store's currency for an order sold in `order_currency`: a store whose currency is not known yet,
    or the same, takes it as is; else the shop's rate must be one set from the store's current currency."""
    store = (store_currency_code or order_currency).upper()
    if store == order_currency.upper():
        return StoreCurrency(order_currency, store)
    if price_rate is None or price_rate <= 0 or (price_rate_from or "").upper() != store:
        return StoreCurrency(order_currency, store, missing=True)
    return StoreCurrency(order_currency, store, rate=Decimal(price_rate))


def _convert(amount: str, conversion: StoreCurrency) -> str:
    if amount == "" or conversion.rate is None:  # nothing to convert
        return amount
    value = _decimal(amount) / conversion.rate
    return to_text(
        to_minor(value.quantize(Decimal(1).scaleb(-6)), conversion.store_currency), conversion.store_currency
    )


def in_store_currency(order: NewOrder, conversion: StoreCurrency, *, presentment: bool) -> NewOrder:
    """The order with every amount in the store's currency (divided by the shop's rate, rounded to the
    currency's smallest unit). `presentment`: the store records the buyer's currency too, so the order in
    it rides along (`NewOrder.presentment`); otherwise the note says what the buyer paid and the rate."""
    if not conversion.converted:
        return order

    def taxes(lines: list[TaxLine]) -> list[TaxLine]:
        return [replace(t, amount=_convert(t.amount, conversion)) for t in lines]

    paid = order_total(order)
    note = (order.note or "").rstrip()
    words = (
        f"Paid in {conversion.order_currency}: {to_text(paid, conversion.order_currency)} "
        f"{conversion.order_currency}; amounts here converted at {conversion.rate_words()} "
        f"(the TikTok shop's rate)."
    )
    return replace(
        order,
        currency=conversion.store_currency,
        lines=[
            replace(line, unit_price=_convert(line.unit_price, conversion), tax_lines=taxes(line.tax_lines))
            for line in order.lines
        ],
        shipping_lines=[
            replace(line, price=_convert(line.price, conversion), tax_lines=taxes(line.tax_lines))
            for line in order.shipping_lines
        ],
        tax_lines=taxes(order.tax_lines),
        discount_amount=_convert(order.discount_amount, conversion) if order.discount_amount is not None else None,
        note=f"{note} {words}".strip(),
        presentment=order if presentment else None,
    )


def order_total(order: NewOrder) -> int:
    """What the order comes to, in minor units of its currency: items less discount, shipping, taxes."""
    currency = order.currency
    items = sum(to_minor(line.unit_price, currency) * line.quantity for line in order.lines)
    shipping = sum(to_minor(line.price, currency) for line in order.shipping_lines)
    taxes = (
        [t for line in order.lines for t in line.tax_lines]
        + [t for line in order.shipping_lines for t in line.tax_lines]
        + list(order.tax_lines)
    )
    tax = 0 if order.taxes_included else sum(to_minor(t.amount, currency) for t in taxes)
    discount = to_minor(order.discount_amount, currency) if order.discount_amount else 0
    return items - min(discount, items) + shipping + tax
