"""Two TikTok shops of one merchant (US in dollars, UK in pounds) listing one store (in dollars): each shop's
orders reach that store exactly once, in a currency the store accepts with the amounts of both sides
recorded; order settings are the shop's own; the overview's figures equal the sandboxes' truth and the
plan counts both shops."""

from __future__ import annotations

from contextlib import closing
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import add_user, sign_in
from tests.orders.helpers import (
    advance,
    as_merchant,
    http,
    live_skus,
    live_world,
    ok,
    orders,
    place,
    run_jobs,
    store_orders,
    tiktok_orders,
)
from tests.tiktok_client.builders import tshirt
from tokbridge.activity.service import record as record_activity
from tokbridge.channels import registry
from tokbridge.channels.connections import ConnectionRepository
from tokbridge.channels.factory import tiktok_client
from tokbridge.channels.models import ChannelConnection
from tokbridge.db.engine import session_scope
from tokbridge.jobs.service import enqueue
from tokbridge.orders import service
from tokbridge.orders.models import Order
from tokbridge.orders.repository import OrderRepository
from tokbridge.tenancy.scoping import bind_merchant
from tokbridge.web.app import create_app

RATE = Decimal("0.8")  # the UK shop's rate: 1 USD = 0.80 GBP


def add_shop(world, region: str, *, rate: Decimal | None = None) -> str:
    """The seller's shop in `region` connected too, listing the same store; its connection id. The store's
    currency is read from the store first, as the catalog import job does."""
    with session_scope(world.engine) as session:
        store = session.get(ChannelConnection, world.shopify_connection_id)
        session.expunge(store)
    with closing(registry.store_for(world.settings, world.engine, store)) as source:
        currency = source.shop_details()["currency"]
    with session_scope(world.engine) as session:
        session.get(ChannelConnection, world.shopify_connection_id).currency = currency
    state = world.tiktok_sandbox.state
    shop = next(s for s in state.shops.values() if s.region == region)
    token = state.bootstrap
    with session_scope(world.engine) as session:
        first = session.get(ChannelConnection, world.tiktok_connection_id)
        connection = ChannelConnection(
            merchant_id=world.merchant_id,
            channel="tiktok",
            external_id=shop.id,
            name=shop.name,
            region=shop.region,
            data={"cipher": shop.cipher},
            scopes=[],
            store_connection_id=world.shopify_connection_id,
            price_rate=rate,
            price_rate_from="USD" if rate is not None else None,
        )
        connection.access_token = token.access_token
        connection.refresh_token = token.refresh_token
        connection.access_expires_at = first.access_expires_at
        connection.refresh_expires_at = first.refresh_expires_at
        session.add(connection)
        session.flush()
        return connection.id


def listed_by_hand(world, connection_id: str, *, currency: str, category_version: str, number: int) -> str:
    """A T-shirt the merchant listed in Seller Center (not through TokBridge: its SKU is linked to no store
    variant), approved; its SKU id."""
    with session_scope(world.engine) as session:
        bind_merchant(session, world.merchant_id)
        connection = ConnectionRepository(session).get(connection_id)
        client = tiktok_client(world.settings, world.engine, connection)
        created = client.create_product(
            tshirt(client, sku_count=1, currency=currency, category_version=category_version, number=number)
        )
    ok(http(world.tiktok_url).post(f"/sandbox/products/{created.product_id}/review", json={"outcome": "APPROVED"}))
    return created.skus[0].id


def poll_every_shop(world) -> None:
    """The periodic search, as the scheduler starts it: one poll per connected shop."""
    with session_scope(world.engine) as session:
        enqueue(session, service.POLL_ALL_JOB, merchant_id=None)
    run_jobs(world)
    run_jobs(world)


def test_each_shops_orders_reach_the_one_store_once_in_its_currency(world_factory):
    world = live_world(world_factory, tiktok={"shop_regions": ["US", "GB"]})
    us = world.tiktok_connection_id
    uk = add_shop(world, "GB", rate=RATE)
    us_sku = live_skus(world)[0]["sku_id"]
    us_unlinked = listed_by_hand(world, us, currency="USD", category_version="v2", number=7)
    uk_sku = listed_by_hand(world, uk, currency="GBP", category_version="v1", number=8)

    # The UK shop sends unknown SKUs as custom line items; the US shop keeps failing them (the default).
    def custom_lines(session):
        OrderRepository(session).settings(world.merchant_id, uk).unknown_sku = "custom_line"
        session.commit()

    as_merchant(world, custom_lines)
    us_order = place(world, [{"sku_id": us_sku, "quantity": 1}])["id"]
    us_failing = place(world, [{"sku_id": us_unlinked, "quantity": 1}])["id"]
    uk_order = ok(
        http(world.tiktok_url).post(
            "/sandbox/orders",
            json={"shop_id": _shop_external_id(world, uk), "items": [{"sku_id": uk_sku, "quantity": 2}]},
        )
    )["id"]
    advance(world, 120)
    advance(world, 3600)  # out of the remorse window: awaiting shipment
    poll_every_shop(world)
    poll_every_shop(world)  # a second search changes nothing

    by_id = {order.tiktok_order_id: order for order in orders(world)}
    assert {by_id[us_order].connection_id, by_id[us_failing].connection_id} == {us}
    assert by_id[uk_order].connection_id == uk
    # Per-shop settings: the US shop's unknown SKU fails, the UK shop's goes in as a custom line item.
    assert by_id[us_failing].store_sync == "failed" and "Unknown SKU" in by_id[us_failing].failure_reason

    truth = tiktok_orders(world)
    in_store = store_orders(world)
    assert sorted(o["source_identifier"] for o in in_store) == sorted([us_order, uk_order])  # once each
    store = {o["source_identifier"]: o for o in in_store}

    us_row, uk_row = by_id[us_order], by_id[uk_order]
    assert us_row.currency == "USD" and us_row.store_currency == "USD" and us_row.store_rate is None
    assert store[us_order]["currency"] == "USD" and store[us_order]["presentment_currency"] == "USD"
    assert us_row.store_total_minor == _minor(store[us_order]["total_price"])
    assert us_row.total_minor == _minor(truth[us_order]["payment"]["total_amount"])

    # The UK order: pounds on TikTok, dollars in the store with the pounds beside (presentment currency).
    paid = Decimal(truth[uk_order]["payment"]["total_amount"])
    assert truth[uk_order]["payment"]["currency"] == "GBP"
    assert uk_row.currency == "GBP" and uk_row.total_minor == _minor(paid)
    assert store[uk_order]["currency"] == "USD" and store[uk_order]["presentment_currency"] == "GBP"
    assert uk_row.store_currency == "USD" and uk_row.store_rate == RATE
    assert uk_row.store_total_minor == _minor(store[uk_order]["total_price"])
    assert abs(Decimal(store[uk_order]["total_price"]) - paid / RATE) <= Decimal("0.05")  # rounding per line
    buyer_side = store[uk_order]["total_price_set"]["presentment_money"]
    assert buyer_side == {"amount": format(paid, ".2f"), "currency_code": "GBP"}

    # The order page shows both sides; the API lists each shop's own orders.
    with session_scope(world.engine) as session:
        bind_merchant(session, world.merchant_id)
        assert [o.tiktok_order_id for o in OrderRepository(session).search(connection_id=uk)[0]] == [uk_order]
        assert OrderRepository(session).settings(world.merchant_id, us, create=False).unknown_sku == "fail"
    run_jobs(world)
    assert len(store_orders(world)) == 2

    _pages_and_overview(world, us, uk, us_order, uk_order, truth)


def _pages_and_overview(world, us: str, uk: str, us_order: str, uk_order: str, truth: dict) -> None:
    """Over HTTP: each shop's order list, the order page's two amounts, per-shop settings, the overview's
    figures against the sandboxes' truth, and the plan counting both shops."""
    add_user(world.settings, world.merchant_id, "clerk@shops.test")
    with TestClient(create_app(world.settings), base_url="http://127.0.0.1") as client:
        sign_in(client, "clerk@shops.test")
        assert client.get("/api/v1/orders").status_code == 409  # two shops, none chosen: say which
        assert {o["tiktok_order_id"] for o in client.get(f"/api/v1/orders?shop={uk}").json()["items"]} == {uk_order}
        us_listed = {o["tiktok_order_id"] for o in client.get(f"/api/v1/orders?shop={us}").json()["items"]}
        assert uk_order not in us_listed and us_order in us_listed
        assert client.get("/api/v1/orders?shop=nosuchshop").status_code == 404

        uk_id = next(o["id"] for o in client.get(f"/api/v1/orders?shop={uk}").json()["items"])
        detail = client.get(f"/api/v1/orders/{uk_id}").json()
        assert (detail["currency"], detail["store_currency"], Decimal(str(detail["store_rate"]))) == (
            "GBP",
            "USD",
            RATE,
        )
        page = client.get(f"/orders/{uk_id}").text
        amounts = page.split('data-testid="order-amounts">', 1)[1].split("</p>", 1)[0]
        assert f"{detail['total']} GBP" in amounts and f"{detail['store_total']} USD" in amounts
        assert "1 USD = 0.8 GBP" in amounts

        assert client.get(f"/api/v1/settings/orders?shop={uk}").json()["unknown_sku"] == "custom_line"
        assert client.get(f"/api/v1/settings/orders?shop={us}").json()["unknown_sku"] == "fail"

        overview = client.get("/api/v1/overview").json()
        shops = {shop["id"]: shop for shop in overview["shops"]}
        assert set(shops) == {us, uk}
        assert (shops[us]["currency"], shops[uk]["currency"]) == ("USD", "GBP")
        for shop_id, region in ((us, "US"), (uk, "GB")):
            placed_here = [o for o in truth.values() if _order_shop(world, o["id"]) == shop_id]
            assert shops[shop_id]["region"] == region and shops[shop_id]["orders"] == len(placed_here)
            paid = sum(
                (Decimal(o["payment"]["total_amount"]) for o in placed_here if o["status"] == "AWAITING_SHIPMENT"),
                Decimal(0),
            )
            assert Decimal(shops[shop_id]["sales"]["amount"]) == paid
        assert shops[uk]["products"]["live"] == 0  # listed by hand, not through TokBridge
        on_tiktok = [
            p
            for p in world.tiktok_control("GET", "/sandbox/products")["products"]
            if p["status"] in ("ACTIVATE", "PENDING", "SELLER_DEACTIVATED", "PLATFORM_DEACTIVATED")
        ]
        assert overview["plan"]["products_used"] == len(on_tiktok) - 2  # less the two listed by hand
        assert overview["plan"]["orders_used"] == 2  # one order from each shop reached the store
        page = client.get("/overview").text
        assert "All your TikTok shops" in page and f'data-shop="{uk}"' in page
        assert 'data-testid="overview-link"' in client.get("/products").text  # reached from the shop switcher
        # Recent Activity names each row's shop: a row of the UK shop shows beside its name, not the US shop's.
        with session_scope(world.engine) as session:
            bind_merchant(session, world.merchant_id)
            record_activity(session, world.merchant_id, "orders.test", "Checked the UK shop", connection_id=uk)
            session.commit()
        uk_rows = client.get(f"/api/v1/activity?shop={uk}").json()
        assert any(row["title"] == "Checked the UK shop" and row["connection_id"] == uk for row in uk_rows)
        assert all(row["connection_id"] in (uk, None) for row in uk_rows)
        assert "Checked the UK shop" not in [row["title"] for row in client.get(f"/api/v1/activity?shop={us}").json()]
        activity_page = client.get("/activity").text
        row = activity_page.split("Checked the UK shop", 1)[1].split("</div>", 1)[0]
        assert f"{_label(world, uk)}" in row
        dashboard = client.get(f"/api/v1/dashboard?shop={uk}").json()
        assert dashboard["shop_id"] == uk and dashboard["orders"]["awaiting_shipment"] == 1
        assert dashboard["sales"]["currency"] == "GBP"


def _order_shop(world, tiktok_order_id: str) -> str | None:
    with session_scope(world.engine) as session:
        return session.scalar(select(Order.connection_id).where(Order.tiktok_order_id == tiktok_order_id))


def test_without_a_rate_the_order_fails_in_plain_words_and_goes_in_once_one_is_set(world_factory):
    world = world_factory(products=5, tiktok={"shop_regions": ["US", "GB"]})
    world.import_catalog()
    uk = add_shop(world, "GB")  # no rate yet
    uk_sku = listed_by_hand(world, uk, currency="GBP", category_version="v1", number=9)

    def custom_lines(session):
        OrderRepository(session).settings(world.merchant_id, uk).unknown_sku = "custom_line"
        session.commit()

    as_merchant(world, custom_lines)
    uk_order = ok(
        http(world.tiktok_url).post(
            "/sandbox/orders",
            json={"shop_id": _shop_external_id(world, uk), "items": [{"sku_id": uk_sku, "quantity": 1}]},
        )
    )["id"]
    advance(world, 120)
    advance(world, 3600)
    poll_every_shop(world)
    [order] = [o for o in orders(world) if o.tiktok_order_id == uk_order]
    assert order.store_sync == "failed" and store_orders(world) == []
    assert order.failure_reason == (
        f"This order is in GBP and your store sells in USD. Set the rate of the TikTok "
        f"shop {_label(world, uk)} in Settings, then retry."
    )

    with session_scope(world.engine) as session:
        shop = session.get(ChannelConnection, uk)
        shop.price_rate, shop.price_rate_from = RATE, "USD"
    as_merchant(world, lambda s: (service.retry(s, order.id), s.commit()))
    run_jobs(world)
    [order] = [o for o in orders(world) if o.tiktok_order_id == uk_order]
    assert order.store_sync == "created" and order.store_currency == "USD" and order.store_rate == RATE
    [in_store] = store_orders(world)
    assert in_store["source_identifier"] == uk_order and in_store["presentment_currency"] == "GBP"


def _shop_external_id(world, connection_id: str) -> str:
    with session_scope(world.engine) as session:
        return session.scalar(select(ChannelConnection.external_id).where(ChannelConnection.id == connection_id))


def _label(world, connection_id: str) -> str:
    with session_scope(world.engine) as session:
        shop = session.get(ChannelConnection, connection_id)
        return f"{shop.name} ({shop.region})"


def _minor(amount) -> int:
    return int(Decimal(str(amount)) * 100)


def test_the_store_side_columns_match_the_models(engine):
    """0022_orders_store_amounts creates what the Order model declares, on both databases."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from tokbridge.db.base import Base

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [change for change in diff if "tiktok_order" in repr(change)] == []
