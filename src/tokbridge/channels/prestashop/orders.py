"""Orders in PrestaShop through the Webservice's own path, which runs PaymentModule::validateOrder:

    customer -> address -> cart (its rows) -> cart-specific prices -> order (in the mapped state)

- The customer gets a placeholder email derived from the channel's order id ("{source}-{id}@domain":
  the channel does not share the buyer's), so a retry finds everything made before a lost answer: the
  customer by its email, its address and cart by the customer, the cart's prices by the cart, the order
  by the cart. Each step reads first and makes only what is missing: an order is created once.
- Each line's price is a cart-specific price (tax excluded, six decimals) chosen so that PrestaShop's
  tax-included unit price, rounded to the cent, is what the buyer paid for it; the order's totals are the
  cart's own total computed the same way (PS_ROUND_TYPE "each item") plus the carrier's price, so the paid
  amount equals the cart total and PrestaShop never puts the order in "Payment error".
- The carrier is PRESTASHOP_CARRIER_ID, else the shop's first free carrier (the buyer paid the channel
  for shipping; a paid carrier's price is added to the order's total, as PrestaShop adds it).
- States: the order is created in `NewOrder.state_external_id` (default PS_OS_PAYMENT); later changes and
  cancellations are `order_histories` rows; tracking is read from `order_carriers`.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from tokbridge.channels.base import (
    CANCELLED_OTHERWISE,
    STATE_CANCELLED,
    STATE_DELIVERED,
    STATE_PAID,
    STATE_PAYMENT_ERROR,
    STATE_PROCESSING,
    STATE_REFUNDED,
    STATE_SHIPPED,
    CreatedOrder,
    Fulfilment,
    FulfilmentLine,
    NewOrder,
    OrderFulfilments,
    OrderPage,
    RefundItem,
    StoreOrderState,
)
from tokbridge.channels.prestashop import mapping, times, xml
from tokbridge.channels.prestashop.client import PrestaShopClient
from tokbridge.channels.prestashop.errors import NotFound, PermanentError, Refused, RetryableError
from tokbridge.channels.prestashop.settings import get_prestashop_settings
from tokbridge.channels.prestashop.shop import STATE_KEYS, configuration

log = logging.getLogger(__name__)

MEANINGS = {
    "PS_OS_PAYMENT": STATE_PAID,
    "PS_OS_PREPARATION": STATE_PROCESSING,
    "PS_OS_SHIPPING": STATE_SHIPPED,
    "PS_OS_DELIVERED": STATE_DELIVERED,
    "PS_OS_CANCELED": STATE_CANCELLED,
    "PS_OS_REFUND": STATE_REFUNDED,
    "PS_OS_ERROR": STATE_PAYMENT_ERROR,
}
MICRO = Decimal("0.000001")
# PrestaShop's Validate::isName refuses digits and these; a name made only of them becomes a stand-in.
NOT_IN_NAMES = re.compile(r"[0-9!<>,;?=+()@#\"°{}_$%:¤|]")
ORDERS_PAGE = 50


def _clean(value: str | None, fallback: str, limit: int = 64) -> str:
    cleaned = NOT_IN_NAMES.sub("", value or "").strip()[:limit]
    return cleaned or fallback


def unit_price_tax_excluded(tax_included: Decimal, rate: Decimal) -> Decimal:
    """The six-decimal tax-excluded price whose tax-included price, rounded to the cent, is `tax_included`."""
    price = (tax_included / (1 + rate)).quantize(MICRO, rounding=ROUND_HALF_UP)
    for _ in range(20):
        shown = (price * (1 + rate)).quantize(mapping.CENT, rounding=ROUND_HALF_UP)
        if shown == tax_included:
            break
        price += MICRO if shown < tax_included else -MICRO
    return max(price, Decimal(0))


def line_prices(order: NewOrder) -> list[Decimal]:
    """What the buyer paid per unit of each line, tax included, to the cent: the line's price, plus its
    tax where the channel's prices exclude it (the line's own tax lines, else its share of the order's),
    less its share of the order's discount."""
    units = [mapping.number(line.unit_price) for line in order.lines]
    items = sum((unit * line.quantity for unit, line in zip(units, order.lines, strict=True)), Decimal(0))
    shipping = sum((mapping.number(line.price) for line in order.shipping_lines), Decimal(0))
    order_tax = sum((mapping.number(tax.amount) for tax in order.tax_lines), Decimal(0))
    discount = mapping.number(order.discount_amount)
    found = []
    for unit, line in zip(units, order.lines, strict=True):
        value = unit * line.quantity
        share = value / items if items > 0 else Decimal(0)
        tax = Decimal(0)
        if not order.taxes_included:
            own = sum((mapping.number(tax_line.amount) for tax_line in line.tax_lines), Decimal(0))
            tax = (
                own
                if line.tax_lines
                else (order_tax * value / (items + shipping) if items + shipping > 0 else Decimal(0))
            )
        paid = (value + tax - discount * share) / line.quantity
        found.append(max(paid, Decimal(0)).quantize(mapping.CENT, rounding=ROUND_HALF_UP))
    return found


class OrdersMixin:
    """The order half of `PrestaShopStore`, which supplies what is declared here: its attributes, its
    reader of rows by id and its tax rate reader."""

    client: PrestaShopClient
    data: dict
    shop_id: str
    language_id: str
    zone: ZoneInfo
    overlap: timedelta

    if TYPE_CHECKING:  # defined by PrestaShopStore; declared for the type checker only

        def _by_ids(
            self, resource: str, field: str, values: Iterable[str], query: dict, *, what: str
        ) -> list[dict]: ...

        def _rates(self, groups: set[str], *, country: str | None = None) -> dict[str, Decimal]: ...

    # --- states ----------------------------------------------------------------------------------

    def _state_ids(self) -> dict[str, str]:
        known = dict(self.data.get("order_states") or {})
        if not all(key in known for key in STATE_KEYS):
            known.update(configuration(self.client, STATE_KEYS))
            self.data["order_states"] = known
        return known

    def _state_id(self, key: str) -> str:
        found = self._state_ids().get(key)
        if not found:
            raise PermanentError(f"The PrestaShop shop does not say which order status is {key}.")
        return found

    def order_states(self) -> list[StoreOrderState]:
        meanings = {state_id: MEANINGS[key] for key, state_id in configuration(self.client, STATE_KEYS).items()}
        rows = self.client.rows(
            "order_states", {"display": "full", "language": self.language_id}, what="the order statuses"
        )
        return [
            StoreOrderState(
                external_id=str(row["id"]),
                name=mapping.text(row.get("name"), self.language_id) or f"Status {row['id']}",
                meaning=meanings.get(str(row["id"])),
            )
            for row in sorted(rows, key=lambda row: int(row["id"]))
            if str(row.get("deleted") or "0") != "1"
        ]

    def _shipped_states(self) -> set[str]:
        rows = self.client.rows("order_states", {"display": "[id,shipped]"}, what="the order statuses")
        return {str(row["id"]) for row in rows if str(row.get("shipped")) == "1"}

    def set_order_state(self, order_external_id: str, state_external_id: str) -> None:
        order = self._order(order_external_id)
        if str(order.get("current_state")) == str(state_external_id):
            return
        body = xml.document(
            "order_history", {"id_order": int(order_external_id), "id_order_state": int(state_external_id)}
        )
        self.client.create("order_histories", "order_history", body, what="the order's status")

    def cancel_order(
        self,
        order_external_id: str,
        *,
        reason: str = CANCELLED_OTHERWISE,
        restock: bool = True,
        state_external_id: str | None = None,
    ) -> None:
        """Move the order to the mapped cancelled state (default PS_OS_CANCELED): PrestaShop gives its units
        back itself when the state says so, which its cancelled state does."""
        self.set_order_state(order_external_id, state_external_id or self._state_id("PS_OS_CANCELED"))

    def refund_order(
        self, order_external_id: str, items: Sequence[RefundItem], *, note: str, idempotency_key: str
    ) -> str:
        raise PermanentError(
            "PrestaShop's Webservice cannot record a refund on an order. Record it in your back "
            "office (Orders, open the order, Partial refund) if you want it there."
        )

    # --- reading orders ---------------------------------------------------------------------------

    def _order(self, order_external_id: str) -> dict:
        if not str(order_external_id).isdigit():
            raise NotFound(f"{order_external_id!r} is not a PrestaShop order id.")
        return self.client.one("orders", "order", order_external_id, what="the order")

    def order_fulfilments(self, order_external_id: str) -> OrderFulfilments:
        return self._fulfilments([self._order(order_external_id)])[0]

    def _fulfilments(self, orders: list[dict]) -> list[OrderFulfilments]:
        if not orders:
            return []
        carriers_of: dict[str, list[dict]] = {}
        for row in self._by_ids(
            "order_carriers",
            "id_order",
            [str(o["id"]) for o in orders],
            {"display": "full"},
            what="the orders' tracking numbers",
        ):
            carriers_of.setdefault(str(row.get("id_order")), []).append(row)
        carrier_ids = {str(row.get("id_carrier")) for rows in carriers_of.values() for row in rows}
        names = {
            str(row["id"]): str(row.get("name") or "")
            for row in self._by_ids(
                "carriers", "id", [c for c in carrier_ids if c.isdigit()], {"display": "[id,name]"}, what="the carriers"
            )
        }
        cancelled_state = self._state_ids().get("PS_OS_CANCELED")
        shipped_states = self._shipped_states()
        found = []
        for order in orders:
            order_id, state = str(order["id"]), str(order.get("current_state"))
            lines = [
                FulfilmentLine(
                    line_item_external_id=str(row.get("id")),
                    quantity=int(mapping.number(row.get("product_quantity"))),
                    sku=str(row.get("product_reference") or "") or None,
                    variant_external_id=mapping.variant_id(
                        row.get("product_id") or 0, row.get("product_attribute_id") or 0
                    ),
                )
                for row in mapping_rows(order)
            ]
            shipments = []
            for row in carriers_of.get(order_id, []):
                number = str(row.get("tracking_number") or "").strip()
                if number or state in shipped_states:
                    shipments.append(
                        Fulfilment(
                            external_id=str(row["id"]),
                            status="SUCCESS",
                            tracking_company=names.get(str(row.get("id_carrier"))) or None,
                            tracking_numbers=[number] if number else [],
                            lines=lines,
                            created_at=times.to_utc(row.get("date_add"), self.zone),
                        )
                    )
            cancelled = state == cancelled_state
            found.append(
                OrderFulfilments(
                    order_external_id=order_id,
                    cancelled=cancelled,
                    fulfilment_orders=[],
                    fulfilments=[] if cancelled else shipments,
                    cancel_reason=CANCELLED_OTHERWISE if cancelled else None,
                    updated_at=times.to_utc(order.get("date_upd"), self.zone),
                )
            )
        return found

    def orders_changed_since(
        self, since: datetime | None, cursor: str | None = None, *, source_name: str | None = None
    ) -> OrderPage:
        """Orders whose `date_upd` is after `since` (shop-local time, read with the same overlap as
        products), oldest change first; with `source_name`, only those TokBridge created for that channel
        (their customer's placeholder email)."""
        if cursor:
            position = json.loads(cursor)
        else:
            start = times.to_local(since - self.overlap, self.zone) if since else "1970-01-01 00:00:00"
            position = {"from": start, "skip": 0}
        lower, skip = str(position["from"]), int(position["skip"])
        rows = self.client.rows(
            "orders",
            {
                "display": "full",
                "filter[date_upd]": f"[{lower},9999-12-31 23:59:59]",
                "date": 1,
                "sort": "[date_upd_ASC,id_ASC]",
                "limit": f"{skip},{ORDERS_PAGE}",
            },
            what="the orders",
        )
        following = None
        if len(rows) >= ORDERS_PAGE:
            last = str(rows[-1].get("date_upd"))
            at_last = sum(1 for row in rows if str(row.get("date_upd")) == last)
            following = json.dumps({"from": last, "skip": skip + at_last if last == lower else at_last})
        if since is not None:
            rows = [
                row for row in rows if (found := times.readings(row.get("date_upd"), self.zone)) and found[1] > since
            ]
        if source_name and rows:
            prefix = f"{source_name.lower()}-"
            emails = {
                str(c["id"]): str(c.get("email") or "")
                for c in self._by_ids(
                    "customers",
                    "id",
                    {str(row.get("id_customer")) for row in rows},
                    {"display": "[id,email]"},
                    what="the orders' customers",
                )
            }
            rows = [row for row in rows if emails.get(str(row.get("id_customer")), "").startswith(prefix)]
        return OrderPage(orders=self._fulfilments(rows), next_cursor=following)

    # --- creating an order ------------------------------------------------------------------------

    def placeholder_email(self, order: NewOrder) -> str:
        local = re.sub(r"[^a-z0-9.-]", "-", f"{order.source_name}-{order.source_order_id}".lower())
        return f"{local}@{get_prestashop_settings().customer_email_domain}"

    def create_order(self, order: NewOrder) -> CreatedOrder:
        """The channel's order in PrestaShop, once (see the module's docstring for how a retry finds what
        was made before a lost answer)."""
        if any(line.variant_external_id is None for line in order.lines):
            raise Refused(
                "An item of this order is not linked to a PrestaShop product, and PrestaShop orders "
                "hold only the shop's products. Link the TikTok product to your shop's product, then "
                "retry the order."
            )
        items = []
        for line in order.lines:
            parsed = mapping.parse_variant_id(line.variant_external_id or "")
            if parsed is None:
                raise NotFound(f"{line.variant_external_id!r} is not a PrestaShop product or combination.")
            items.append((parsed, line))
        address = order.shipping_address
        country = self._country((address.country_code if address else None) or "")
        customer_id = self._customer(order)
        address_id = self._address(order, customer_id, country)
        carrier_id, shipping = self._carrier(country)
        currency_id = self._currency_id(order.currency)
        rates = self._product_rates([pid for (pid, _), _ in items], country)
        wanted = [
            (
                pid,
                attribute,
                line.quantity,
                unit_price_tax_excluded(price, rates.get(str(pid), Decimal(0))),
                rates.get(str(pid), Decimal(0)),
            )
            for ((pid, attribute), line), price in zip(items, line_prices(order), strict=True)
        ]
        cart_id = self._cart(customer_id, address_id, carrier_id, currency_id, wanted)
        self._cart_prices(cart_id, customer_id, currency_id, wanted)
        existing = self._order_of_cart(cart_id)
        if existing is not None:
            return existing
        total_products = sum(
            ((unit * quantity).quantize(mapping.CENT, rounding=ROUND_HALF_UP) for _, _, quantity, unit, _ in wanted),
            Decimal(0),
        )
        total_products_wt = sum(
            (
                (unit * (1 + rate)).quantize(mapping.CENT, rounding=ROUND_HALF_UP) * quantity
                for _, _, quantity, unit, rate in wanted
            ),
            Decimal(0),
        )
        total = total_products_wt + shipping
        state = order.state_external_id or self._state_id("PS_OS_PAYMENT")
        config = get_prestashop_settings()
        body = xml.document(
            "order",
            {
                "id_address_delivery": address_id,
                "id_address_invoice": address_id,
                "id_cart": cart_id,
                "id_currency": currency_id,
                "id_lang": self.language_id,
                "id_customer": customer_id,
                "id_carrier": carrier_id,
                "id_shop": self.shop_id,
                "current_state": state,
                "module": config.payment_module,
                "payment": _payment_label(order),
                "total_paid": total,
                "total_paid_real": total,
                "total_paid_tax_incl": total,
                "total_products": total_products,
                "total_products_wt": total_products_wt,
                "total_shipping": shipping,
                "conversion_rate": 1,
                "valid": 1,
            },
        )
        try:
            created = self.client.create("orders", "order", body, what="the order")
        except RetryableError:
            # A lost answer: the order may exist all the same. Found by its cart, or the error stands.
            again = self._order_of_cart(cart_id)
            if again is not None:
                return again
            raise
        if str(created.get("current_state")) == self._state_ids().get("PS_OS_ERROR"):
            log.warning("prestashop order %s was put in Payment error", created.get("id"))
        return _created(created, order.currency)

    def _country(self, code: str) -> dict:
        rows = self.client.rows(
            "countries",
            {"display": "[id,iso_code,contains_states,id_zone,need_zip_code]", "filter[iso_code]": f"[{code.upper()}]"},
            what="the buyer's country",
        )
        if not code or not rows:
            raise Refused(
                f"Your PrestaShop shop has no country {code or '(none given)'} for the buyer's address. "
                "Add or enable it in International > Locations > Countries, then retry the order."
            )
        return rows[0]

    def _customer(self, order: NewOrder) -> str:
        email = self.placeholder_email(order)
        rows = self.client.rows(
            "customers", {"display": "[id,email]", "filter[email]": f"[{email}]"}, what="the order's customer"
        )
        if rows:
            return str(rows[0]["id"])
        address = order.shipping_address
        body = xml.document(
            "customer",
            {
                "id_shop": self.shop_id,
                "id_lang": self.language_id,
                "lastname": _clean(address.last_name if address else None, "Buyer"),
                "firstname": _clean(address.first_name if address else None, order.source_name.capitalize() or "Buyer"),
                "email": email,
                "passwd": secrets.token_urlsafe(24),
                "active": 1,
                "newsletter": 0,
                "optin": 0,
            },
        )
        return str(self.client.create("customers", "customer", body, what="the order's customer")["id"])

    def _address(self, order: NewOrder, customer_id: str, country: dict) -> str:
        rows = self.client.rows(
            "addresses",
            {"display": "[id,id_customer,deleted]", "filter[id_customer]": f"[{customer_id}]"},
            what="the order's address",
        )
        live = [row for row in rows if str(row.get("deleted") or "0") != "1"]
        if live:
            return str(live[0]["id"])
        address = order.shipping_address
        assert address is not None  # _country refused an order without one
        fields: dict = {
            "id_customer": customer_id,
            "id_country": country["id"],
            "alias": f"{order.source_name} order"[:32],
            "lastname": _clean(address.last_name, "Buyer"),
            "firstname": _clean(address.first_name, "Buyer"),
            "address1": (address.address1 or "-")[:128],
            "address2": (address.address2 or "")[:128],
            "postcode": (address.zip or "")[:12],
            "city": (address.city or "-")[:64],
            "phone": re.sub(r"[^0-9+(). -]", "", address.phone or "")[:32],
        }
        if str(country.get("contains_states")) == "1" and address.province_code:
            states = self.client.rows(
                "states",
                {
                    "display": "[id,iso_code]",
                    "filter[id_country]": f"[{country['id']}]",
                    "filter[iso_code]": f"[{address.province_code.upper()}]",
                },
                what="the buyer's state",
            )
            if states:
                fields["id_state"] = states[0]["id"]
        body = xml.document("address", fields)
        return str(self.client.create("addresses", "address", body, what="the order's address")["id"])

    def _carrier(self, country: dict) -> tuple[str, Decimal]:
        """The carrier's id and its price for the buyer's zone (0 for a free one)."""
        chosen = get_prestashop_settings().carrier_id.strip()
        query = {"display": "[id,name,is_free,active,deleted]"}
        if chosen:
            query["filter[id]"] = f"[{int(chosen)}]"
        rows = [
            row
            for row in self.client.rows("carriers", query, what="the carriers")
            if str(row.get("deleted") or "0") != "1" and str(row.get("active") or "1") == "1"
        ]
        if not chosen:
            rows = [row for row in rows if str(row.get("is_free")) == "1"]
        if not rows:
            raise Refused(
                "TokBridge found no carrier to give this order in PrestaShop: the shop has no active free "
                "carrier and PRESTASHOP_CARRIER_ID names none. Add a free carrier (Shipping > Carriers) "
                "or set PRESTASHOP_CARRIER_ID, then retry the order."
            )
        carrier = sorted(rows, key=lambda row: int(row["id"]))[0]
        if str(carrier.get("is_free")) == "1":
            return str(carrier["id"]), Decimal(0)
        return str(carrier["id"]), self._carrier_price(str(carrier["id"]), str(country.get("id_zone") or ""))

    def _carrier_price(self, carrier_id: str, zone_id: str) -> Decimal:
        rows = self.client.rows(
            "deliveries",
            {"display": "full", "filter[id_carrier]": f"[{carrier_id}]", "filter[id_zone]": f"[{zone_id}]"},
            what="the carrier's prices",
        )
        prices = [mapping.number(row.get("price")) for row in rows]
        return min(prices).quantize(mapping.CENT) if prices else Decimal(0)

    def _currency_id(self, code: str) -> str:
        if code.upper() == str(self.data.get("currency") or "").upper() and self.data.get("currency_id"):
            return str(self.data["currency_id"])
        rows = self.client.rows(
            "currencies",
            {"display": "[id,iso_code]", "filter[iso_code]": f"[{code.upper()}]"},
            what="the order's currency",
        )
        if not rows:
            raise Refused(
                f"Your PrestaShop shop has no currency {code}. Add it in International > Localization > "
                "Currencies, then retry the order."
            )
        return str(rows[0]["id"])

    def _product_rates(self, product_ids: list[int], country: dict) -> dict[str, Decimal]:
        rows = self._by_ids(
            "products",
            "id",
            [str(pid) for pid in product_ids],
            {"display": "[id,id_tax_rules_group]"},
            what="the products' tax rules",
        )
        groups = {str(row["id"]): str(row.get("id_tax_rules_group") or "0") for row in rows}
        missing = {str(pid) for pid in product_ids} - set(groups)
        if missing:
            raise NotFound(f"PrestaShop no longer has product {sorted(missing, key=int)[0]} of this order.")
        rates = self._rates(set(groups.values()), country=str(country["id"]))
        return {pid: rates.get(group, Decimal(0)) for pid, group in groups.items()}

    def _cart(self, customer_id: str, address_id: str, carrier_id: str, currency_id: str, wanted: list[tuple]) -> str:
        rows = self.client.rows(
            "carts", {"display": "[id,id_customer]", "filter[id_customer]": f"[{customer_id}]"}, what="the order's cart"
        )
        if rows:
            return str(sorted(rows, key=lambda row: int(row["id"]))[0]["id"])
        body = xml.document(
            "cart",
            {
                "id_currency": currency_id,
                "id_lang": self.language_id,
                "id_customer": customer_id,
                "id_address_delivery": address_id,
                "id_address_invoice": address_id,
                "id_carrier": carrier_id,
                "id_shop": self.shop_id,
                "associations": {
                    "cart_rows": [
                        (
                            "cart_row",
                            {
                                "id_product": pid,
                                "id_product_attribute": attribute,
                                "id_address_delivery": address_id,
                                "quantity": quantity,
                            },
                        )
                        for pid, attribute, quantity, _, _ in wanted
                    ]
                },
            },
        )
        return str(self.client.create("carts", "cart", body, what="the order's cart")["id"])

    def _cart_prices(self, cart_id: str, customer_id: str, currency_id: str, wanted: list[tuple]) -> None:
        """One cart-specific price per row, in the cart's currency (so PrestaShop does not convert it)."""
        rows = self.client.rows(
            "specific_prices", {"display": "full", "filter[id_cart]": f"[{cart_id}]"}, what="the cart's prices"
        )
        have = {(str(row.get("id_product")), str(row.get("id_product_attribute") or "0")) for row in rows}
        for pid, attribute, _, unit, _ in wanted:
            if (str(pid), str(attribute)) in have:
                continue
            body = xml.document(
                "specific_price",
                {
                    "id_shop": self.shop_id,
                    "id_shop_group": 0,
                    "id_cart": cart_id,
                    "id_product": pid,
                    "id_product_attribute": attribute,
                    "id_currency": currency_id,
                    "id_country": 0,
                    "id_group": 0,
                    "id_customer": customer_id,
                    "id_specific_price_rule": 0,
                    "price": unit,
                    "from_quantity": 1,
                    "reduction": 0,
                    "reduction_tax": 1,
                    "reduction_type": "amount",
                    "from": times.NEVER,
                    "to": times.NEVER,
                },
            )
            self.client.create("specific_prices", "specific_price", body, what="the cart's prices")

    def _order_of_cart(self, cart_id: str) -> CreatedOrder | None:
        rows = self.client.rows(
            "orders",
            {"display": "[id,reference,total_paid,id_currency,id_cart]", "filter[id_cart]": f"[{cart_id}]"},
            what="the order",
        )
        if not rows:
            return None
        return _created(sorted(rows, key=lambda row: int(row["id"]))[0], str(self.data.get("currency") or "") or None)


def mapping_rows(order: dict) -> list[dict]:
    return [row for row in ((order.get("associations") or {}).get("order_rows") or []) if isinstance(row, dict)]


def _payment_label(order: NewOrder) -> str:
    label = order.tags[0] if order.tags else f"{order.source_name} order"
    return re.sub(r"[<>={}]", "", label)[:64] or "Marketplace order"


def _created(row: dict, currency: str | None) -> CreatedOrder:
    return CreatedOrder(
        external_id=str(row["id"]),
        name=str(row.get("reference") or row["id"]),
        currency=currency,
        total=mapping.money(mapping.number(row.get("total_paid"))),
    )
