"""Migration 0020: variant weights stored before it (in the store's units) become grams, and the store's
"Title: Default Title" stand-in option leaves the catalog, so the mapper needs neither."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from tokbridge.db.engine import make_engine
from tokbridge.db.migrate import upgrade


def insert(conn, table_name: str, **values) -> int:
    """A row with `values`; other required columns get plain placeholders of their type."""
    table = sa.Table(table_name, sa.MetaData(), autoload_with=conn)
    for column in table.columns:
        if column.name in values or column.nullable or column.primary_key or column.server_default is not None:
            continue
        kind = column.type
        values[column.name] = (
            datetime.now(UTC)
            if isinstance(kind, sa.DateTime)
            else {}
            if isinstance(kind, sa.JSON)
            else False
            if isinstance(kind, sa.Boolean)
            else 0
            if isinstance(kind, sa.Integer)
            else "x"
        )
    return conn.execute(table.insert().values(**values)).inserted_primary_key[0]


def test_weights_become_grams_and_the_default_title_option_goes(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0019_job_progress")
    with engine.begin() as conn:
        merchant = insert(conn, "merchant", name="Old data")
        mug = insert(conn, "product", merchant_id=merchant, channel="shopify", external_id="p1", tags=[])
        tee = insert(conn, "product", merchant_id=merchant, channel="shopify", external_id="p2", tags=[])
        insert(
            conn,
            "product_option",
            merchant_id=merchant,
            product_id=mug,
            position=1,
            name="Title",
            values=["Default Title"],
        )
        insert(conn, "product_option", merchant_id=merchant, product_id=tee, position=1, name="Size", values=["M"])
        weights = {
            "v1": ("0.5", "POUNDS", mug, {"Title": "Default Title"}),
            "v2": ("1.2", "KILOGRAMS", tee, {"Size": "M"}),
            "v3": ("250", "GRAMS", tee, {"Size": "M"}),
            "v4": (None, None, tee, {"Size": "M"}),
            "v5": ("2", "OUNCES", tee, {"Size": "M"}),
        }
        for external_id, (weight, unit, product_id, options) in weights.items():
            insert(
                conn,
                "product_variant",
                merchant_id=merchant,
                product_id=product_id,
                channel="shopify",
                external_id=external_id,
                weight=weight,
                weight_unit=unit,
                option_values=options,
            )

    upgrade(engine)
    with engine.connect() as conn:
        variants = sa.Table("product_variant", sa.MetaData(), autoload_with=conn)
        assert "weight_unit" not in variants.c
        rows = {
            row.external_id: (row.weight_grams, row.option_values)
            for row in conn.execute(
                sa.select(variants.c.external_id, variants.c.weight_grams, variants.c.option_values)
            )
        }
        options = conn.execute(sa.text("SELECT product_id, name FROM product_option")).all()
    engine.dispose()
    assert rows == {
        "v1": ("226.796185", {}),
        "v2": ("1200", {"Size": "M"}),
        "v3": ("250", {"Size": "M"}),
        "v4": (None, {"Size": "M"}),
        "v5": ("56.69904625", {"Size": "M"}),
    }
    assert options == [(tee, "Size")]
