"""Orders through the Webservice's own path: customer, address, cart, then POST orders as
validateOrder runs it ("Payment error" when the paid amount is not the cart's), and afterwards
state changes, tracking, stock, faults and the request log."""

from __future__ import annotations

import re

import pytest

from .conftest import entity, error_of


def simple_product(shop) -> dict:
    return next(
        p
        for p in shop.store.tables["products"].values()
        if p["product_type"] == "standard"
        and p["id_tax_rules_group"] == "1"
        and not shop.store.rows("specific_prices", id_product=p["id"])
    )


def create(shop, resource: str, tag: str, fields: dict, associations: dict | None = None) -> dict:
    response = shop.write("POST", f"/{resource}", entity(tag, fields, associations))
    assert response.status_code == 201, response.text
    return response.json()[tag]


def checkout(shop, rows: list[tuple[int, int, int]], country: int = 8, currency: int = 1) -> dict:
    """A customer, a delivery address in `country` and a cart with `rows` of (product, combination, qty)."""
    customer = create(
        shop,
        "customers",
        "customer",
        {"lastname": "Buyer", "firstname": "TikTok", "email": "order-1@buyer.example", "passwd": "placeholder1"},
    )
    address = create(
        shop,
        "addresses",
        "address",
        {
            "id_customer": customer["id"],
            "id_country": country,
            "alias": "TikTok",
            "lastname": "Buyer",
            "firstname": "TikTok",
            "address1": "1 rue de la Paix",
            "city": "Paris",
            "postcode": "75002",
        },
    )
    cart = create(
        shop,
        "carts",
        "cart",
        {
            "id_customer": customer["id"],
            "id_currency": currency,
            "id_lang": 1,
            "id_address_delivery": address["id"],
            "id_address_invoice": address["id"],
            "id_carrier": 1,
        },
        {
            "cart_rows": (
                "cart_row",
                [
                    {"id_product": p, "id_product_attribute": a, "quantity": q, "id_address_delivery": address["id"]}
                    for p, a, q in rows
                ],
            )
        },
    )
    return {"customer": customer["id"], "address": address["id"], "cart": cart["id"]}


def cart_price(shop, cart: int, product: int, unit_tax_excl: str, combination: int = 0, currency: int = 0) -> None:
    create(
        shop,
        "specific_prices",
        "specific_price",
        {
            "id_shop": 1,
            "id_cart": cart,
            "id_product": product,
            "id_product_attribute": combination,
            "id_currency": currency,
            "id_country": 0,
            "id_group": 0,
            "id_customer": 0,
            "price": unit_tax_excl,
            "from_quantity": 1,
            "reduction": 0,
            "reduction_tax": 1,
            "reduction_type": "amount",
            "from": "0000-00-00 00:00:00",
            "to": "0000-00-00 00:00:00",
        },
    )


def order_fields(ids: dict, total_paid: str, carrier: int = 1, state: int = 2, currency: int = 1) -> dict:
    return {
        "id_address_delivery": ids["address"],
        "id_address_invoice": ids["address"],
        "id_cart": ids["cart"],
        "id_currency": currency,
        "id_lang": 1,
        "id_customer": ids["customer"],
        "id_carrier": carrier,
        "current_state": state,
        "module": "ps_wirepayment",
        "payment": "TikTok Shop",
        "total_paid": total_paid,
        "total_paid_real": total_paid,
        "total_products": total_paid,
        "total_products_wt": total_paid,
        "conversion_rate": 1,
    }


def control_order(shop, order_id) -> dict:
    with shop.control() as control:
        return control.get(f"/orders/{order_id}").json()


def test_an_order_paid_the_cart_total_is_accepted_and_takes_stock(shop):
    product = simple_product(shop)
    product_id = int(product["id"])
    shop.store.stock_row(product_id)["quantity"] = "10"
    ids = checkout(shop, [(product_id, 0, 2)])
    cart_price(shop, ids["cart"], product_id, "12.50")  # 12.50 + 20 % = 15.00 a unit
    response = shop.write("POST", "/orders", entity("order", order_fields(ids, "30.00")))
    assert response.status_code == 201, response.text
    order = response.json()["order"]
    assert order["current_state"] == "2" and order["total_paid"] == "30.000000"
    assert re.fullmatch(r"[A-Z]{9}", order["reference"])
    rows = order["associations"]["order_rows"]
    assert [(r["product_id"], r["product_quantity"], r["unit_price_tax_incl"]) for r in rows] == [
        (str(product_id), "2", "15.000000")
    ]
    assert shop.stock(product_id) == 8
    histories = shop.get_json("/order_histories", display="full", **{"filter[id_order]": f"[{order['id']}]"})
    assert [h["id_order_state"] for h in histories["order_histories"]] == ["2"]
    carriers = shop.get_json("/order_carriers", display="full", **{"filter[id_order]": f"[{order['id']}]"})
    assert [c["tracking_number"] for c in carriers["order_carriers"]] == [""]
    seen = control_order(shop, order["id"])
    assert seen["state_name"] == "Payment accepted" and seen["cart_total"] == "30.000000"


def test_an_order_paid_another_amount_lands_in_payment_error(shop):
    product = simple_product(shop)
    product_id = int(product["id"])
    shop.store.stock_row(product_id)["quantity"] = "10"
    ids = checkout(shop, [(product_id, 0, 2)])
    cart_price(shop, ids["cart"], product_id, "12.50")
    response = shop.write("POST", "/orders", entity("order", order_fields(ids, "29.98")))
    assert response.status_code == 201
    order = response.json()["order"]
    assert order["current_state"] == "8" and order["total_paid_real"] == "29.980000"
    histories = shop.get_json("/order_histories", display="full", **{"filter[id_order]": f"[{order['id']}]"})
    assert [h["id_order_state"] for h in histories["order_histories"]] == ["8"]
    seen = control_order(shop, order["id"])
    assert seen["state_name"] == "Payment error" and seen["total_paid"] == "29.980000"
    assert shop.stock(product_id) == 10  # an order in error holds no stock


def test_the_cart_total_uses_catalog_prices_tax_and_the_carriers_zone_price(shop):
    product = simple_product(shop)
    product["id_tax_rules_group"] = "2"
    product_id = int(product["id"])
    ids = checkout(shop, [(product_id, 0, 3)], country=6)  # Spain: reduced rate 10 %, zone Europe
    from decimal import ROUND_HALF_UP, Decimal

    unit = (Decimal(product["price"]) * Decimal("1.10")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    expected = unit * 3 + Decimal("7.00")  # "My carrier" charges 7.00 in zone 1
    response = shop.write("POST", "/orders", entity("order", order_fields(ids, f"{expected}", carrier=2)))
    assert response.json()["order"]["current_state"] == "2"
    assert response.json()["order"]["total_shipping"] == "7.000000"


def test_a_combination_price_and_a_sale_count(shop):
    store = shop.store
    combination = next(c for c in store.tables["combinations"].values() if c["price"] != "0.000000")
    product = store.get("products", combination["id_product"])
    for earlier in store.rows("specific_prices", id_product=product["id"]):
        del store.tables["specific_prices"][int(earlier["id"])]
    sale = store.insert(
        "specific_prices",
        {
            "id_product": product["id"],
            "id_shop": 0,
            "price": "-1",
            "from_quantity": 1,
            "reduction": "0.5",
            "reduction_type": "percentage",
            "reduction_tax": 1,
            "from": "",
            "to": "",
        },
    )
    assert sale["id_cart"] == "0"
    ids = checkout(shop, [(int(product["id"]), int(combination["id"]), 1)], country=21)  # no tax in the US
    from decimal import Decimal

    unit = ((Decimal(product["price"]) + Decimal(combination["price"])) * Decimal("0.5")).quantize(Decimal("0.01"))
    response = shop.write("POST", "/orders", entity("order", order_fields(ids, f"{unit}")))
    seen = control_order(shop, response.json()["order"]["id"])
    assert seen["current_state"] == 2, (seen, unit)


@pytest.mark.parametrize(("price_currency", "expected"), [(2, "30.00"), (0, "32.40")])
def test_a_cart_in_another_currency_converts_what_is_not_in_it(shop, price_currency, expected):
    product_id = int(simple_product(shop)["id"])
    ids = checkout(shop, [(product_id, 0, 2)], currency=2)  # USD, 1.08 to the euro
    cart_price(shop, ids["cart"], product_id, "12.50", currency=price_currency)
    response = shop.write("POST", "/orders", entity("order", order_fields(ids, expected, currency=2)))
    assert response.json()["order"]["current_state"] == "2", control_order(shop, response.json()["order"]["id"])


def test_a_state_that_is_not_logable_never_becomes_payment_error(shop):
    ids = checkout(shop, [(int(simple_product(shop)["id"]), 0, 1)])
    response = shop.write("POST", "/orders", entity("order", order_fields(ids, "0.01", state=10)))
    assert response.json()["order"]["current_state"] == "10"


@pytest.mark.parametrize("problem", ["other customer", "empty cart", "cart used twice"])
def test_validate_order_refuses_a_cart_it_cannot_use(shop, problem):
    product_id = int(simple_product(shop)["id"])
    ids = checkout(shop, [] if problem == "empty cart" else [(product_id, 0, 1)])
    fields = order_fields(ids, "1.00", state=10)
    if problem == "other customer":
        fields["id_customer"] = create(
            shop,
            "customers",
            "customer",
            {"lastname": "B", "firstname": "C", "email": "c@example.com", "passwd": "pw123456"},
        )["id"]
    if problem == "cart used twice":
        assert shop.write("POST", "/orders", entity("order", fields)).status_code == 201
    response = shop.write("POST", "/orders", entity("order", fields))
    assert response.status_code == 500
    assert len(shop.store.tables["orders"]) == (1 if problem == "cart used twice" else 0)


def test_an_order_needs_its_documented_fields(shop):
    ids = checkout(shop, [(int(simple_product(shop)["id"]), 0, 1)])
    fields = order_fields(ids, "1.00")
    del fields["total_products_wt"]
    response = shop.write("POST", "/orders", entity("order", fields))
    assert response.status_code == 400 and error_of(response) == (41, 'parameter "total_products_wt" required')


def place_order(shop, quantity: int = 2) -> tuple[dict, int]:
    product_id = int(simple_product(shop)["id"])
    shop.store.stock_row(product_id)["quantity"] = "10"
    ids = checkout(shop, [(product_id, 0, quantity)])
    cart_price(shop, ids["cart"], product_id, "10.00")
    response = shop.write("POST", "/orders", entity("order", order_fields(ids, f"{12 * quantity}.00")))
    assert response.json()["order"]["current_state"] == "2"
    return response.json()["order"], product_id


def test_order_histories_move_the_state_and_cancelling_restocks(shop):
    order, product_id = place_order(shop)
    assert shop.stock(product_id) == 8
    with shop.control() as control:
        control.post("/clock", json={"set": "2026-07-01T08:00:00+00:00"})
    response = shop.write(
        "POST", "/order_histories", entity("order_history", {"id_order": order["id"], "id_order_state": 6})
    )
    assert response.status_code == 201
    after = shop.get_json(f"/orders/{order['id']}")["order"]
    assert after["current_state"] == "6" and after["date_upd"] == "2026-07-01 10:00:00"
    assert shop.stock(product_id) == 10
    response = shop.write(
        "PUT",
        f"/order_histories/{response.json()['order_history']['id']}",
        entity("order_history", {"id": 1, "id_order": order["id"], "id_order_state": 2}),
    )
    assert response.status_code == 405 and error_of(response)[0] == 101


def test_tracking_on_the_order_carrier_shows_on_the_order(shop):
    order, _product = place_order(shop)
    carrier = shop.get_json("/order_carriers", display="full", **{"filter[id_order]": f"[{order['id']}]"})[
        "order_carriers"
    ][0]
    with shop.control() as control:
        control.post("/clock", json={"set": "2026-07-02T08:00:00+00:00"})
    fields = {k: v for k, v in carrier.items()}
    fields["tracking_number"] = "1Z999AA10123456784"
    assert shop.write("PUT", f"/order_carriers/{carrier['id']}", entity("order_carrier", fields)).status_code == 200
    after = shop.get_json(f"/orders/{order['id']}")["order"]
    assert after["shipping_number"] == "1Z999AA10123456784" and after["date_upd"] == "2026-07-02 10:00:00"


def test_the_back_office_ships_and_cancels(shop):
    order, product_id = place_order(shop, quantity=3)
    with shop.control() as control:
        shipped = control.post(f"/orders/{order['id']}/ship", json={"tracking_number": "TRACK-1"}).json()
        assert shipped["current_state"] == 4 and shipped["tracking_number"] == "TRACK-1"
        assert control.get("/orders").json()["orders"][0]["rows"] == [
            {"product_id": product_id, "product_attribute_id": 0, "product_quantity": 3}
        ]
        cancelled = control.post(f"/orders/{order['id']}/state", json={"id_order_state": 6}).json()
    assert cancelled["state_name"] == "Canceled" and shop.stock(product_id) == 10
    assert shop.get_json(f"/orders/{order['id']}")["order"]["shipping_number"] == "TRACK-1"


def test_faults_answer_an_internal_error_before_or_after_the_write(shop):
    product_id = int(simple_product(shop)["id"])
    ids = checkout(shop, [(product_id, 0, 1)])
    fields = order_fields(ids, "1.00", state=10)
    with shop.control() as control:
        control.post("/faults", json={"operation": "POST orders", "status": 500, "times": 1})
    response = shop.write("POST", "/orders", entity("order", fields))
    assert response.status_code == 500 and "Internal error" in error_of(response)[1]
    assert shop.store.tables["orders"] == {}
    with shop.control() as control:
        control.post("/faults", json={"operation": "POST orders", "status": 503, "after": True})
    assert shop.write("POST", "/orders", entity("order", fields)).status_code == 503
    assert len(shop.store.tables["orders"]) == 1  # the answer was lost, the order was made
    assert shop.write("POST", "/orders", entity("order", fields)).status_code == 500  # its cart is used


def test_the_request_log_and_reset(shop):
    with shop.control() as control:
        control.delete("/requests")
        shop.get_json("/products", limit=1)
        shop.get_json("/products/2")
        log = control.get("/requests").json()["requests"]
        assert [(r["method"], r["path"], r["status"]) for r in log] == [
            ("GET", "/api/products", 200),
            ("GET", "/api/products/2", 200),
        ]
        assert "limit=1" in log[0]["query"]
        control.patch("/products/1", json={"name": "Changed"})
        control.post("/reset")
        names = {p["id_product"]: p["name"] for p in control.get("/products").json()["products"]}
    assert names[1] != "Changed" and len(names) == 20
