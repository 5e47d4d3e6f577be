"""Migration 0021_shop_context: configuration written before it (category templates, product links, sync
switches, order settings) belongs to the merchant's current shop afterwards (its earliest active TikTok
connection), the shops list the merchant's store, a merchant without a shop keeps its configuration
unattached; and the downgrade brings one configuration per merchant back. On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from tests.conftest import PG_URL, unavailable
from tests.test_migration_weights import insert
from tokbridge.db.engine import make_engine
from tokbridge.db.migrate import downgrade, upgrade

BEFORE, AFTER = "0020_weight_in_grams", "0021_shop_context"
PER_SHOP = ("category_template", "product_template_assignment", "sync_settings", "order_settings")
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request, tmp_path) -> Iterator[sa.Engine]:
    """An empty database (not the migrated one the other tests share)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield engine
        engine.dispose()
        return
    schema = f"tb_migration_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "not reachable"
        admin.dispose()
        unavailable("PostgreSQL", exc)
    separator = "&" if "?" in PG_URL else "?"
    engine = make_engine(f"{PG_URL}{separator}options=-csearch_path%3D{schema}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def connection(
    conn, merchant: int, channel: str, external_id: str, minutes: int, status: str = "active", **values
) -> str:
    row_id = uuid.uuid4().hex
    insert(
        conn,
        "channel_connection",
        id=row_id,
        merchant_id=merchant,
        channel=channel,
        external_id=external_id,
        status=status,
        data={},
        created_at=T0 + timedelta(minutes=minutes),
        updated_at=T0 + timedelta(minutes=minutes),
        **values,
    )
    return row_id


def old_data(engine: sa.Engine) -> dict:
    """At 0020: merchant A with an old disconnected shop, then a US and a UK shop, a store, two templates,
    a product linked to one, sync switches and order settings; merchant B with no shop and a template."""
    with engine.begin() as conn:
        a = insert(conn, "merchant", name="Two shops")
        b = insert(conn, "merchant", name="No shop yet")
        old = connection(conn, a, "tiktok", "shop-old", 0, status="disconnected", region="US")
        store = connection(conn, a, "shopify", "a.myshopify.com", 1)
        us = connection(conn, a, "tiktok", "shop-us", 2, region="US")
        gb = connection(conn, a, "tiktok", "shop-gb", 3, region="GB")
        tees = insert(
            conn,
            "category_template",
            merchant_id=a,
            name="Tees",
            rules=[],
            category_name_path=[],
            attribute_mappings=[],
            variant_mappings=[],
            price_rule={},
            inventory_rule={},
            listing_defaults={},
        )
        insert(
            conn,
            "category_template",
            merchant_id=a,
            name="Mugs",
            rules=[],
            category_name_path=[],
            attribute_mappings=[],
            variant_mappings=[],
            price_rule={},
            inventory_rule={},
            listing_defaults={},
        )
        insert(
            conn,
            "category_template",
            merchant_id=b,
            name="Tees",
            rules=[],
            category_name_path=[],
            attribute_mappings=[],
            variant_mappings=[],
            price_rule={},
            inventory_rule={},
            listing_defaults={},
        )
        product = insert(conn, "product", merchant_id=a, channel="shopify", external_id="p1", tags=[])
        insert(conn, "product_template_assignment", merchant_id=a, product_id=product, template_id=tees)
        insert(
            conn,
            "sync_settings",
            merchant_id=a,
            sync_product_info=False,
            sync_price=True,
            sync_inventory=True,
            on_store_delete="delete",
        )
        insert(
            conn,
            "order_settings",
            merchant_id=a,
            restock_on_cancel=False,
            restock_on_return=True,
            unknown_sku="fail",
            carrier_map={},
        )
    return {"a": a, "b": b, "old": old, "store": store, "us": us, "gb": gb, "tees": tees, "product": product}


def attached(engine: sa.Engine, merchant: int) -> dict[str, set]:
    with engine.connect() as conn:
        return {
            table: set(
                conn.execute(
                    sa.text(f"SELECT connection_id FROM {table} WHERE merchant_id = :m"), {"m": merchant}
                ).scalars()
            )
            for table in PER_SHOP
        }


def template(conn, merchant: int, name: str, **values) -> int:
    return insert(
        conn,
        "category_template",
        merchant_id=merchant,
        name=name,
        rules=[],
        category_name_path=[],
        attribute_mappings=[],
        variant_mappings=[],
        price_rule={},
        inventory_rule={},
        listing_defaults={},
        **values,
    )


def test_configuration_joins_the_current_shop_and_the_downgrade_keeps_it(empty_engine):
    engine = empty_engine
    upgrade(engine, BEFORE)
    ids = old_data(engine)

    for _pass in range(2):  # upgrade, downgrade, and the same again
        upgrade(engine, AFTER)
        # Merchant A's configuration belongs to its current shop: the earliest one still active.
        assert attached(engine, ids["a"]) == {table: {ids["us"]} for table in PER_SHOP}
        # Merchant B has no shop: its template waits, unattached, for the first one it connects.
        assert attached(engine, ids["b"])["category_template"] == {None}
        with engine.connect() as conn:
            links = dict(
                conn.execute(
                    sa.text("SELECT id, store_connection_id FROM channel_connection WHERE channel = 'tiktok'")
                ).all()
            )
            assert links == {ids["old"]: ids["store"], ids["us"]: ids["store"], ids["gb"]: ids["store"]}
            counts = conn.execute(
                sa.text("SELECT count(*) FROM category_template WHERE merchant_id = :m"), {"m": ids["a"]}
            ).scalar()
            assert counts == 2
        # A template's name is unique per shop now: the UK shop may have its own "Tees", the US one not twice.
        with engine.begin() as conn:
            template(conn, ids["a"], "Tees", connection_id=ids["gb"])
            conn.execute(
                sa.text(
                    "INSERT INTO sync_settings (merchant_id, connection_id, sync_product_info, "
                    "sync_price, sync_inventory, on_store_delete, created_at, updated_at) "
                    "VALUES (:m, :shop, true, true, true, 'deactivate', :t, :t)"
                ),
                {"m": ids["a"], "shop": ids["gb"], "t": T0},
            )
        with pytest.raises(IntegrityError), engine.begin() as conn:
            template(conn, ids["a"], "Tees", connection_id=ids["us"])

        downgrade(engine, BEFORE)
        with engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("category_template")}
            assert "connection_id" not in columns
            assert "store_connection_id" not in {c["name"] for c in sa.inspect(conn).get_columns("channel_connection")}
            # One configuration per merchant again: the current shop's; the UK shop's rows went.
            names = sorted(
                conn.execute(
                    sa.text("SELECT name FROM category_template WHERE merchant_id = :m"), {"m": ids["a"]}
                ).scalars()
            )
            assert names == ["Mugs", "Tees"]
            assert conn.execute(sa.text("SELECT count(*) FROM sync_settings")).scalar() == 1
            assert conn.execute(sa.text("SELECT sync_product_info FROM sync_settings")).scalar() in (False, 0)
            assert conn.execute(sa.text("SELECT count(*) FROM product_template_assignment")).scalar() == 1
        # The merchant-wide uniqueness is back.
        with pytest.raises(IntegrityError), engine.begin() as conn:
            template(conn, ids["a"], "Mugs")
