"""Catalog: variant weights in grams, and no placeholder options.

The catalog holds neutral records: a store plugin converts its weight units and drops its stand-in option
for products without variants (a store's "Title: Default Title") before the catalog sees them. Rows
written before are converted here, so the mapper needs no store's units or placeholders.

Revision ID: 0020_weight_in_grams
Revises: 0019_job_progress
"""

from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from alembic import op

revision = "0020_weight_in_grams"
down_revision = "0019_job_progress"
branch_labels = None
depends_on = None

GRAMS_PER = {
    "GRAMS": Decimal(1),
    "KILOGRAMS": Decimal(1000),
    "OUNCES": Decimal("28.349523125"),
    "POUNDS": Decimal("453.59237"),
}
PLACEHOLDER = ("Title", "Default Title")

variants = sa.table(
    "product_variant",
    sa.column("id", sa.Integer),
    sa.column("product_id", sa.Integer),
    sa.column("weight", sa.String),
    sa.column("weight_unit", sa.String),
    sa.column("option_values", sa.JSON),
)
options = sa.table(
    "product_option",
    sa.column("id", sa.Integer),
    sa.column("product_id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("values", sa.JSON),
)


def _grams(weight: str, unit: str | None) -> str | None:
    try:
        value = Decimal(weight) * GRAMS_PER[(unit or "KILOGRAMS").upper()]
    except (InvalidOperation, KeyError):
        return None
    return format(value.normalize(), "f")


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(variants.c.id, variants.c.weight, variants.c.weight_unit).where(variants.c.weight.is_not(None))
    ).all()
    for variant_id, weight, unit in rows:
        conn.execute(variants.update().where(variants.c.id == variant_id).values(weight=_grams(weight, unit)))
    placeholder_options = [
        (option_id, product_id)
        for option_id, product_id, values in conn.execute(
            sa.select(options.c.id, options.c.product_id, options.c["values"]).where(options.c.name == PLACEHOLDER[0])
        )
        if list(values or ()) == [PLACEHOLDER[1]]
    ]
    for option_id, product_id in placeholder_options:
        conn.execute(options.delete().where(options.c.id == option_id))
        for variant_id, values in conn.execute(
            sa.select(variants.c.id, variants.c.option_values).where(variants.c.product_id == product_id)
        ).all():
            if (values or {}).get(PLACEHOLDER[0]) == PLACEHOLDER[1]:
                kept = {name: value for name, value in values.items() if name != PLACEHOLDER[0]}
                conn.execute(variants.update().where(variants.c.id == variant_id).values(option_values=kept))
    with op.batch_alter_table("product_variant") as batch:
        batch.alter_column("weight", new_column_name="weight_grams", existing_type=sa.String(length=32))
        batch.drop_column("weight_unit")


def downgrade() -> None:
    # Weights stay in grams (labelled so); dropped placeholder options are not restored.
    with op.batch_alter_table("product_variant") as batch:
        batch.alter_column("weight_grams", new_column_name="weight", existing_type=sa.String(length=32))
        batch.add_column(sa.Column("weight_unit", sa.String(length=16), nullable=True))
    conn = op.get_bind()
    conn.execute(variants.update().where(variants.c.weight.is_not(None)).values(weight_unit="GRAMS"))
