"""Orders as PrestaShop makes them: the cart's total, PaymentModule::validateOrder (with its
"Payment error" outcome), state changes through order_histories and the stock they move.

The cart total, tax included, is the sum over its rows of round(unit tax excluded x (1 + rate), 2) x
quantity (PS_ROUND_TYPE "each item"), plus the carrier's price for the delivery address's zone. The
unit price is the cart's own specific price for that product and combination when there is one, else
the product price plus the combination's impact less any catalog specific price.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from .store import EMPTY_DATE, Store, WebserviceError, decimal, money6

CENT = Decimal("0.01")
# States that hand the stock back when an order enters them (and take it again when it leaves them).
RESTOCKING_STATES = ("PS_OS_CANCELED", "PS_OS_ERROR")


def round2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def tax_rate(store: Store, id_tax_rules_group: object, id_country: object) -> Decimal:
    for rule in store.rows("tax_rules", id_tax_rules_group=id_tax_rules_group, id_country=id_country):
        tax = store.get("taxes", rule["id_tax"])
        if tax is not None and tax["active"] == "1":
            return decimal(tax["rate"]) / 100
    return Decimal(0)


def _applies(price: dict, id_product: str, id_product_attribute: str, id_cart: str, id_currency: str, now: str) -> bool:
    """For this product and combination, this cart (or the catalog's: "0"), this currency (or any: "0")
    and now (an empty or zero `from` / `to` is no limit)."""
    return (
        price["id_product"] in (id_product, "0")
        and price["id_product_attribute"] in (id_product_attribute, "0")
        and price["id_cart"] == id_cart
        and price["id_currency"] in (id_currency, "0")
        and (price["from"] in ("", EMPTY_DATE) or price["from"] <= now)
        and (price["to"] in ("", EMPTY_DATE) or now <= price["to"])
    )


def conversion_rate(store: Store, id_currency: object) -> Decimal:
    """From the default currency into this one (1 for the default, or for none)."""
    currency = store.get("currencies", id_currency)
    return decimal(currency["conversion_rate"]) if currency else Decimal(1)


def unit_price_tax_excl(
    store: Store,
    id_product: object,
    id_product_attribute: object,
    id_cart: object,
    rate: Decimal,
    reductions: bool = True,
    id_currency: object = 0,
) -> Decimal:
    """In the currency `id_currency` (the default one when 0): catalog prices, amounts and specific prices
    without a currency of their own are converted, a specific price given in that currency is not."""
    product = store.get("products", id_product)
    if product is None:
        return Decimal(0)
    pa, cart, currency = str(id_product_attribute or 0), str(id_cart or 0), str(id_currency or 0)
    convert = conversion_rate(store, currency)
    combination = store.get("combinations", pa) if pa != "0" else None
    impact = decimal(combination["price"]) if combination else Decimal(0)
    prices, now = store.tables["specific_prices"].values(), store.now_local()
    # The cart's own specific price wins, the most precise (this combination) first; then the catalog's.
    candidates = []
    for scope in dict.fromkeys((cart, "0")):
        candidates = sorted(
            (p for p in prices if _applies(p, str(id_product), pa, scope, currency, now)),
            key=lambda p: (
                p["id_product_attribute"] == pa,
                p["id_product"] == str(id_product),
                p["id_currency"] == currency,
            ),
            reverse=True,
        )
        if candidates:
            break
    unit = (decimal(product["price"]) + impact) * convert
    if candidates and reductions:
        chosen = candidates[0]
        own_currency = Decimal(1) if chosen["id_currency"] != "0" else convert
        fixed = decimal(chosen["price"])
        if fixed >= 0:
            unit = fixed * own_currency + (impact * convert if chosen["id_product_attribute"] == "0" else 0)
        reduction = decimal(chosen["reduction"])
        if chosen["reduction_type"] == "percentage":
            unit -= unit * reduction
        elif reduction:
            amount = reduction * own_currency
            unit -= amount / (1 + rate) if chosen["reduction_tax"] == "1" else amount
    return max(unit, Decimal(0))


def cart_lines(store: Store, cart: dict) -> list[dict]:
    """Each cart row with its unit prices, tax excluded and included (rounded per item)."""
    address = store.get("addresses", cart["id_address_delivery"])
    country = address["id_country"] if address else store.configuration("PS_COUNTRY_DEFAULT")
    lines = []
    for row in cart["associations"]["cart_rows"]:
        product = store.get("products", row.get("id_product"))
        rate = tax_rate(store, product["id_tax_rules_group"], country) if product else Decimal(0)
        unit = unit_price_tax_excl(
            store,
            row.get("id_product"),
            row.get("id_product_attribute", "0"),
            cart["id"],
            rate,
            id_currency=cart["id_currency"],
        )
        quantity = int(row.get("quantity") or 0)
        lines.append(
            {
                "row": row,
                "product": product,
                "quantity": quantity,
                "unit_tax_excl": unit,
                "unit_tax_incl": round2(unit * (1 + rate)),
                "rate": rate,
            }
        )
    return lines


def shipping_cost(store: Store, id_carrier: object, id_address_delivery: object) -> Decimal:
    carrier = store.get("carriers", id_carrier)
    address = store.get("addresses", id_address_delivery)
    if carrier is None or carrier["is_free"] == "1" or address is None:
        return Decimal(0)
    country = store.get("countries", address["id_country"])
    zone = country["id_zone"] if country else "0"
    delivery = next(iter(store.rows("deliveries", id_carrier=carrier["id"], id_zone=zone)), None)
    return decimal(delivery["price"]) if delivery else Decimal(0)


def cart_total(store: Store, cart: dict, id_carrier: object) -> dict[str, Decimal]:
    lines = cart_lines(store, cart)
    products = sum((round2(line["unit_tax_excl"]) * line["quantity"] for line in lines), Decimal(0))
    products_wt = sum((line["unit_tax_incl"] * line["quantity"] for line in lines), Decimal(0))
    shipping = round2(
        shipping_cost(store, id_carrier, cart["id_address_delivery"]) * conversion_rate(store, cart["id_currency"])
    )
    return {"products": products, "products_wt": products_wt, "shipping": shipping, "total": products_wt + shipping}


def state_id(store: Store, configuration_name: str) -> str:
    return store.configuration(configuration_name)


def _takes_stock(store: Store, state: str) -> bool:
    return state not in {state_id(store, name) for name in RESTOCKING_STATES}


def _move_order_stock(store: Store, order: dict, sign: int) -> None:
    for row in order["associations"]["order_rows"]:
        store.move_stock(
            row["product_id"], row["product_attribute_id"], sign * int(row["product_quantity"]), order["id_shop"] or 1
        )


def change_state(store: Store, order: dict, new_state: object, id_employee: object = 0) -> dict:
    """OrderHistory::changeIdOrderState and its history row; stock follows the cancel/error states."""
    new_state = str(new_state)
    if store.get("order_states", new_state) is None:
        raise WebserviceError(400, 85, 'Validation error: "Property OrderHistory->id_order_state is not valid"')
    old_state = order["current_state"] if order["current_state"] not in ("", "0") else None
    if old_state and _takes_stock(store, old_state) and not _takes_stock(store, new_state):
        _move_order_stock(store, order, +1)
    elif (not old_state or not _takes_stock(store, old_state)) and _takes_stock(store, new_state):
        _move_order_stock(store, order, -1)
    state = store.get("order_states", new_state)
    order["current_state"] = new_state
    order["valid"] = "1" if state["logable"] == "1" else "0"
    if state["delivery"] == "1" and order["delivery_date"] == EMPTY_DATE:
        order["delivery_date"] = store.now_local()
    store.touch(order)
    return store.insert(
        "order_histories", {"id_order": order["id"], "id_order_state": new_state, "id_employee": id_employee}
    )


def set_tracking(store: Store, order: dict, tracking_number: str, id_carrier: object | None = None) -> dict:
    order_carrier = next(iter(store.rows("order_carriers", id_order=order["id"])), None)
    if order_carrier is None:
        order_carrier = store.insert("order_carriers", {"id_order": order["id"], "id_carrier": order["id_carrier"]})
    order_carrier["tracking_number"] = tracking_number
    if id_carrier:
        order_carrier["id_carrier"] = str(id_carrier)
    order["shipping_number"] = tracking_number
    store.touch(order)
    return order_carrier


def validate_order(store: Store, fields: dict) -> dict:
    """POST orders: what PaymentModule::validateOrder does with the posted order."""
    cart = store.get("carts", fields.get("id_cart"))
    if cart is None or store.rows("orders", id_cart=cart["id"]):
        raise WebserviceError(500, 0, "Cart cannot be loaded or an order has already been placed using this cart")
    if cart["id_customer"] != str(fields.get("id_customer")) or store.get("customers", cart["id_customer"]) is None:
        raise WebserviceError(500, 0, "Cart cannot be loaded or an order has already been placed using this cart")
    if not cart["associations"]["cart_rows"]:
        raise WebserviceError(500, 0, "Cart has no products")
    for name, resource in (
        ("id_currency", "currencies"),
        ("id_carrier", "carriers"),
        ("id_lang", "languages"),
        ("id_address_delivery", "addresses"),
        ("id_address_invoice", "addresses"),
    ):
        if store.get(resource, fields.get(name)) is None:
            raise WebserviceError(400, 85, f'Validation error: "Property Order->{name} is not valid"')
    first_state = str(fields.get("current_state") or "") or state_id(store, "PS_OS_PAYMENT")
    state = store.get("order_states", first_state)
    if state is None:
        raise WebserviceError(400, 85, 'Validation error: "Property Order->current_state is not valid"')
    totals = cart_total(store, cart, fields["id_carrier"])
    amount_paid = round2(decimal(fields.get("total_paid")))
    # PrestaShop compares the two amounts formatted to two decimals; any difference is a Payment error.
    if state["logable"] == "1" and round2(totals["total"]) != amount_paid:
        first_state = state_id(store, "PS_OS_ERROR")
    customer = store.get("customers", cart["id_customer"])
    lines = cart_lines(store, cart)
    order = store.insert(
        "orders",
        {
            **{k: v for k, v in fields.items() if isinstance(v, str)},
            "id_cart": cart["id"],
            "id_customer": cart["id_customer"],
            "current_state": "",
            "reference": store.reference(),
            "secure_key": customer["secure_key"],
            "id_shop": cart["id_shop"] if cart["id_shop"] not in ("", "0") else "1",
            "id_shop_group": "1",
            "invoice_date": EMPTY_DATE,
            "delivery_date": EMPTY_DATE,
            "total_products": totals["products"],
            "total_products_wt": totals["products_wt"],
            "total_shipping": totals["shipping"],
            "total_shipping_tax_incl": totals["shipping"],
            "total_shipping_tax_excl": totals["shipping"],
            "total_paid": totals["total"],
            "total_paid_tax_incl": totals["total"],
            "total_paid_tax_excl": totals["products"] + totals["shipping"],
            "total_paid_real": amount_paid,
            "round_mode": 2,
            "round_type": 1,
            "conversion_rate": fields.get("conversion_rate") or "1",
        },
    )
    order["associations"]["order_rows"] = [_order_row(store, n, line) for n, line in enumerate(lines)]
    store.insert(
        "order_carriers",
        {
            "id_order": order["id"],
            "id_carrier": order["id_carrier"],
            "shipping_cost_tax_excl": totals["shipping"],
            "shipping_cost_tax_incl": totals["shipping"],
            "weight": sum((decimal(l["product"]["weight"]) * l["quantity"] for l in lines if l["product"]), Decimal(0)),
        },
    )
    change_state(store, order, first_state)
    return order


def _order_row(store: Store, index: int, line: dict) -> dict:
    row, product = line["row"], line["product"] or {}
    pa = str(row.get("id_product_attribute") or "0")
    combination = store.get("combinations", pa) if pa != "0" else None
    name = (product.get("name") or {}).get(store.default_lang, "")
    if combination:
        labels = []
        for value in combination.get("associations", {}).get("product_option_values", []):
            option_value = store.get("product_option_values", value["id"])
            group = store.get("product_options", option_value["id_attribute_group"]) if option_value else None
            if option_value and group:
                labels.append(
                    f"{group['public_name'][store.default_lang]} : {option_value['name'][store.default_lang]}"
                )
        name = f"{name} - {', '.join(labels)}" if labels else name
    return {
        "id": str(store.new_id("order_details")),
        "product_id": str(row.get("id_product")),
        "product_attribute_id": pa,
        "product_quantity": str(line["quantity"]),
        "product_name": name,
        "product_reference": (combination or {}).get("reference") or product.get("reference", ""),
        "product_ean13": (combination or {}).get("ean13") or product.get("ean13", ""),
        "product_isbn": "",
        "product_upc": "",
        "product_price": money6(line["unit_tax_excl"]),
        "id_customization": "0",
        "unit_price_tax_incl": money6(line["unit_tax_incl"]),
        "unit_price_tax_excl": money6(line["unit_tax_excl"]),
    }
