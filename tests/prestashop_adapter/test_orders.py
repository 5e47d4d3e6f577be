"""TikTok orders in PrestaShop through the Webservice's own path: created once even after lost answers,
with totals equal to the cart's (never "Payment error"), in the mapped state; tracking and cancellations
read back; states changed through order_histories."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tokbridge.channels.base import (
    STATE_CANCELLED,
    STATE_PAID,
    STATE_PAYMENT_ERROR,
    Address,
    NewOrder,
    OrderLine,
    ShippingLine,
    TaxLine,
)
from tokbridge.channels.prestashop.settings import get_prestashop_settings
from tokbridge.kit import errors

PAYMENT, PREPARATION, SHIPPING, DELIVERED, CANCELED, ERROR = 2, 3, 4, 5, 6, 8
PARIS = Address(
    first_name="Ada",
    last_name="Lovelace",
    address1="1 rue de Rivoli",
    city="Paris",
    zip="75001",
    country_code="FR",
    phone="+33 1 23 45 67 89",
)


def order(
    variant: str,
    order_id: str,
    *,
    unit_price: str = "19.99",
    quantity: int = 2,
    state: str | None = None,
    address: Address = PARIS,
    taxes_included: bool = True,
    tax_lines=(),
) -> NewOrder:
    return NewOrder(
        source_name="tiktok",
        source_order_id=order_id,
        currency="EUR",
        taxes_included=taxes_included,
        lines=[
            OrderLine(variant_external_id=variant, quantity=quantity, unit_price=unit_price, tax_lines=list(tax_lines))
        ],
        shipping_lines=[ShippingLine(title="Standard shipping", price="0.00")],
        shipping_address=address,
        tags=["TikTok Shop"],
        state_external_id=state,
    )


def stocked_variant(live) -> str:
    for product in live.products():
        if product["active"] and not product["combinations"]:
            quantity = live.control("GET", "/sandbox/stock", params={"id_product": product["id_product"]})["quantity"]
            if quantity >= 5:
                return f"{product['id_product']}-0"
    raise AssertionError("no stocked simple product")


def seen(live, order_id: str) -> dict:
    return live.control("GET", f"/sandbox/orders/{int(order_id)}")


def test_an_order_is_created_once_after_a_lost_answer_in_the_mapped_state_and_not_in_payment_error(
    live_prestashop, sqlite_engine
):
    live = live_prestashop()
    store = live.store(sqlite_engine)
    variant = stocked_variant(live)
    live.control("POST", "/sandbox/faults", json={"operation": "POST orders", "status": 500, "times": 1, "after": True})

    created = store.create_order(order(variant, "576461413", state=str(PREPARATION)))
    again = store.create_order(order(variant, "576461413", state=str(PREPARATION)))  # the job, retried

    assert again.external_id == created.external_id
    assert [r["status"] for r in live.requests() if (r["method"], r["path"]) == ("POST", "/api/orders")] == [500]
    orders = live.control("GET", "/sandbox/orders")["orders"]
    assert len(orders) == 1
    state = seen(live, created.external_id)
    assert state["current_state"] == PREPARATION, state["state_name"]
    assert state["total_paid"] == state["cart_total"] == "39.980000"
    assert state["email"].startswith("tiktok-576461413@") and state["payment"] == "TikTok Shop"
    assert created.name == state["reference"] and created.total == "39.98" and created.currency == "EUR"


def test_a_lost_answer_at_any_step_makes_nothing_twice(live_prestashop, sqlite_engine):
    live = live_prestashop()
    store = live.store(sqlite_engine)
    variant = stocked_variant(live)
    for step in ("POST customers", "POST addresses", "POST carts", "POST specific_prices"):
        live.control("POST", "/sandbox/faults", json={"operation": step, "status": 500, "times": 1, "after": True})
        with pytest.raises(errors.RetryableError):
            store.create_order(order(variant, "900001"))
    created = store.create_order(order(variant, "900001"))

    for resource in ("customers", "addresses", "carts", "specific_prices"):
        query = {"display": "[id]"}
        if resource == "specific_prices":
            query["filter[id_cart]"] = "[1,999]"
        assert len(store.client.rows(resource, query, what="test")) == 1, resource
    assert seen(live, created.external_id)["current_state"] == PAYMENT  # PS_OS_PAYMENT by default


def test_each_line_costs_what_the_buyer_paid_tax_included_whatever_the_shops_price(live_prestashop, sqlite_engine):
    live = live_prestashop()
    store = live.store(sqlite_engine)
    variant = stocked_variant(live)
    # A buyer outside the EU, prices without tax, the tax on its own line (the shop has no US tax).
    us = Address(
        first_name="Ada",
        last_name="L",
        address1="1 Main St",
        city="Austin",
        province_code="TX",
        zip="73301",
        country_code="US",
    )
    created = store.create_order(
        order(
            variant,
            "900002",
            unit_price="10.00",
            taxes_included=False,
            address=us,
            tax_lines=[TaxLine(title="Sales tax", amount="1.60", rate="0.08")],
        )
    )
    state = seen(live, created.external_id)
    assert state["total_paid"] == state["cart_total"] == "21.600000"


def test_a_paid_carrier_adds_its_price_for_the_zone_as_prestashop_does(live_prestashop, sqlite_engine, monkeypatch):
    monkeypatch.setenv("PRESTASHOP_CARRIER_ID", "2")  # the sandbox's paid carrier: 7 in Europe
    get_prestashop_settings.cache_clear()
    live = live_prestashop()
    store = live.store(sqlite_engine)

    created = store.create_order(order(stocked_variant(live), "900003", quantity=1))

    state = seen(live, created.external_id)
    assert state["total_paid"] == state["cart_total"] == "26.990000"
    assert state["current_state"] == PAYMENT


def test_a_shipment_entered_in_the_back_office_is_polled_with_its_tracking(live_prestashop, sqlite_engine):
    live = live_prestashop()
    store = live.store(sqlite_engine)
    variant = stocked_variant(live)
    ours = store.create_order(order(variant, "900004"))
    other = store.create_order(order(variant, "900005"))
    store.create_order(replace(order(variant, "900008"), source_name="othershop"))  # not a TikTok order
    live.control("POST", f"/sandbox/orders/{ours.external_id}/ship", json={"tracking_number": "1Z999AA10123456784"})

    page = store.orders_changed_since(None, source_name="tiktok")

    by_id = {found.order_external_id: found for found in page.orders}
    assert set(by_id) == {ours.external_id, other.external_id}
    [shipment] = by_id[ours.external_id].fulfilments
    assert shipment.tracking_numbers == ["1Z999AA10123456784"] and shipment.tracking_company
    assert {line.variant_external_id for line in shipment.lines} == {variant}
    assert by_id[other.external_id].fulfilments == []
    assert store.orders_changed_since(None, source_name="elsewhere").orders == []


def test_cancelling_goes_through_order_histories_and_gives_the_units_back(live_prestashop, sqlite_engine):
    live = live_prestashop()
    store = live.store(sqlite_engine)
    variant = stocked_variant(live)
    product_id = variant.split("-")[0]
    before = live.control("GET", "/sandbox/stock", params={"id_product": product_id})["quantity"]
    created = store.create_order(order(variant, "900006"))
    assert live.control("GET", "/sandbox/stock", params={"id_product": product_id})["quantity"] == before - 2
    live.control("DELETE", "/sandbox/requests")

    store.cancel_order(created.external_id)
    store.cancel_order(created.external_id)  # already cancelled: nothing more

    assert seen(live, created.external_id)["current_state"] == CANCELED
    assert [r["method"] for r in live.requests() if r["path"] == "/api/order_histories"] == ["POST"]
    assert live.control("GET", "/sandbox/stock", params={"id_product": product_id})["quantity"] == before
    assert store.order_fulfilments(created.external_id).cancelled


def test_order_states_say_what_they_are_for_and_a_state_can_be_set(live_prestashop, sqlite_engine):
    live = live_prestashop()
    store = live.store(sqlite_engine)
    states = {state.external_id: state for state in store.order_states()}
    assert states[str(PAYMENT)].meaning == STATE_PAID and states[str(CANCELED)].meaning == STATE_CANCELLED
    assert states[str(ERROR)].meaning == STATE_PAYMENT_ERROR
    assert all(state.name for state in states.values())

    created = store.create_order(order(stocked_variant(live), "900007"))
    store.set_order_state(created.external_id, str(DELIVERED))
    assert seen(live, created.external_id)["current_state"] == DELIVERED
