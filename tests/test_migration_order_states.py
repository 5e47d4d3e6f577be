"""Migration 0023_order_state_mapping: order settings written before it keep every choice and get an empty
status mapping (the store's own states, by their meaning), orders read as not yet moved to a delivered
state; the downgrade takes the columns away again. On SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa

from tests.test_migration_shop_context import empty_engine  # noqa: F401  (fixture)
from tests.test_migration_weights import insert
from tokbridge.db.migrate import downgrade, upgrade

BEFORE, AFTER = "0022_orders_store_amounts", "0023_order_state_mapping"


def test_settings_and_orders_written_before_keep_their_values(empty_engine):  # noqa: F811
    engine = empty_engine
    upgrade(engine, BEFORE)
    with engine.begin() as conn:
        merchant = insert(conn, "merchant", name="Old data")
        shop = insert(
            conn,
            "channel_connection",
            id="a" * 32,
            merchant_id=merchant,
            channel="tiktok",
            external_id="shop-1",
            status="active",
            data={},
            scopes=[],
        )
        insert(
            conn,
            "order_settings",
            merchant_id=merchant,
            connection_id=shop,
            restock_on_cancel=False,
            restock_on_return=True,
            unknown_sku="custom_line",
            carrier_map={"My Courier": "UPS"},
        )
        insert(
            conn,
            "tiktok_order",
            merchant_id=merchant,
            connection_id=shop,
            tiktok_order_id="576",
            raw={},
            store_cancelled=False,
        )

    upgrade(engine, AFTER)
    with engine.connect() as conn:
        settings = conn.execute(
            sa.text(
                "SELECT restock_on_cancel, unknown_sku, carrier_map, new_order_state, "
                "delivered_state, cancelled_state FROM order_settings"
            )
        ).one()
        delivered = conn.execute(sa.text("SELECT store_delivered FROM tiktok_order")).scalar_one()
    assert (bool(settings[0]), settings[1], settings[3:]) == (False, "custom_line", (None, None, None))
    assert "My Courier" in str(settings[2])
    assert delivered in (False, 0)

    downgrade(engine, BEFORE)
    with engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("order_settings")}
        order_columns = {c["name"] for c in sa.inspect(conn).get_columns("tiktok_order")}
    assert "new_order_state" not in columns and "carrier_map" in columns
    assert "store_delivered" not in order_columns


def test_the_mapping_columns_match_the_models(engine):
    """0023 creates what OrderSettings and Order declare, on both databases (the migrated test database)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from tokbridge.db.base import Base

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [change for change in diff if "order_settings" in repr(change) or "tiktok_order'" in repr(change)] == []
