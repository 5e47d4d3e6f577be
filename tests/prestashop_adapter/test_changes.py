"""Changes found by polling: products by `date_upd`, shop-local time across daylight saving, and the stock
and combination writes PrestaShop does not stamp on the product (found through the digests the plugin
keeps under its own key in the connection's data)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.contracts.catalog import read_catalog
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.prestashop.poll_state import POLL_KEY
from tokbridge.db.engine import session_scope


def changed(store, since: datetime) -> dict:
    found, cursor = {}, None
    while True:
        page = store.products_changed_since(since, cursor)
        for product in page.products:
            assert product.external_id not in found, "a product came twice"
            found[product.external_id] = product
        if not page.has_more:
            return found
        cursor = page.next_cursor


def _set_clock(live, moment: str) -> None:
    live.control("POST", "/sandbox/clock", json={"set": moment})


def test_an_edit_in_the_hour_that_repeats_when_summer_time_ends_is_found(live_prestashop, engine):
    live = live_prestashop()
    store = live.store(engine)
    _set_clock(live, "2026-10-25T00:20:00+00:00")  # 02:20 summer time in Paris
    since = datetime(2026, 10, 25, 0, 20, tzinfo=UTC)
    product_id = live.products()[0]["id_product"]
    _set_clock(live, "2026-10-25T01:10:00+00:00")  # 02:10 winter time: earlier on the shop's clock

    live.control("PATCH", f"/sandbox/products/{product_id}", json={"name": "Edited at 02:10, the second time"})

    found = changed(store, since)
    assert set(found) == {str(product_id)}
    assert found[str(product_id)].title == "Edited at 02:10, the second time"
    assert found[str(product_id)].updated_at is None  # 02:10 happened twice: not placed on the timeline


def test_an_edit_after_the_hour_skipped_in_spring_is_placed_exactly(live_prestashop, engine):
    live = live_prestashop()
    store = live.store(engine)
    since = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 winter time
    _set_clock(live, "2026-03-29T01:30:00+00:00")  # 03:30 summer time
    product_id = live.products()[1]["id_product"]

    live.control("PATCH", f"/sandbox/products/{product_id}", json={"name": "Edited in summer time"})

    found = changed(store, since)
    assert set(found) == {str(product_id)}
    assert found[str(product_id)].updated_at == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert changed(store, datetime(2026, 3, 29, 1, 30, tzinfo=UTC)) == {}


def test_stock_and_combination_changes_are_found_though_the_product_is_not_stamped(live_prestashop, engine):
    live = live_prestashop()
    store = live.store(engine)
    with session_scope(engine) as session:  # a key of the domain's own, which the plugin must keep
        row = session.scalar(select(ChannelConnection))
        row.data = {**row.data, "catalog": {"reconciled_at": "2026-01-01T00:00:00+00:00"}}
    catalog = read_catalog(store)
    since = max(product.updated_at for product in catalog.products.values())
    assert changed(store, since) == {}

    simple = next(p for p in live.products() if not p["combinations"])
    varied = next(p for p in live.products() if p["combinations"] and p["id_product"] != simple["id_product"])
    combination = varied["combinations"][0]
    stamps = {p["id_product"]: p["date_upd"] for p in live.products()}
    live.control(
        "PUT", "/sandbox/stock", json={"id_product": simple["id_product"], "id_product_attribute": 0, "quantity": 321}
    )
    live.control(
        "PATCH",
        f"/sandbox/combinations/{combination['id_product_attribute']}",
        json={"price": "3.000000", "reference": "NEW-REF"},
    )
    assert {p["id_product"]: p["date_upd"] for p in live.products()} == stamps  # nothing stamped

    found = changed(store, since)

    assert set(found) == {str(simple["id_product"]), str(varied["id_product"])}
    [variant] = found[str(simple["id_product"])].variants
    assert variant.inventory_levels[0].available == 321
    edited = {v.external_id: v for v in found[str(varied["id_product"])].variants}[
        f"{varied['id_product']}-{combination['id_product_attribute']}"
    ]
    assert edited.sku == "NEW-REF"
    # The caller asks for a later `since` once it applied the poll's pages: then the change is not repeated.
    later = since + timedelta(minutes=5)
    assert changed(store, later) == {}, "a change is reported once"
    with session_scope(engine) as session:
        data = session.scalar(select(ChannelConnection)).data
    assert data["catalog"] == {"reconciled_at": "2026-01-01T00:00:00+00:00"}
    assert set(data[POLL_KEY]) == {"digests"}


def test_a_stock_change_read_by_a_poll_that_crashed_is_reported_again(live_prestashop, engine):
    """The digests are read before the poll's pages are applied: a worker killed in between must not lose
    the change. The caller's `since` does not move after a crash, and the plugin reports the change again."""
    live = live_prestashop()
    store = live.store(engine)
    catalog = read_catalog(store)
    since = max(product.updated_at for product in catalog.products.values())
    simple = next(p for p in live.products() if not p["combinations"])
    live.control(
        "PUT", "/sandbox/stock", json={"id_product": simple["id_product"], "id_product_attribute": 0, "quantity": 77}
    )

    assert set(changed(store, since)) == {str(simple["id_product"])}  # ... and the worker dies here
    again = changed(store, since)  # the next run asks for the same `since`

    assert set(again) == {str(simple["id_product"])}
    assert again[str(simple["id_product"])].variants[0].inventory_levels[0].available == 77
    assert changed(store, since + timedelta(minutes=5)) == {}
