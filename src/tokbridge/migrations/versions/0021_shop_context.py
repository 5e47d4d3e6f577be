"""Several TikTok shops per merchant: configuration belongs to a shop.

Category templates (with their price, inventory and warehouse rules), the products linked to them, the
sync switches and the order settings move from the merchant to one TikTok shop: `connection_id`. Rows
written before belong to the merchant's current shop, the one connected first that is still active (the
shop every page used until now); a merchant with no shop yet keeps them unattached (NULL) until a shop
is connected, which adopts them. A TikTok shop names the store whose catalog it lists
(`store_connection_id`), a browser session the shop the merchant chose (`shop_connection_id`), and an
activity row the shop it happened in.

Revision ID: 0021_shop_context
Revises: 0020_weight_in_grams
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_shop_context"
down_revision = "0020_weight_in_grams"
branch_labels = None
depends_on = None

# (table, the unique constraint on merchant_id it replaces, the columns of the per-shop one)
PER_SHOP = (
    ("category_template", "uq_category_template_merchant_id", ["connection_id", "name"]),
    ("product_template_assignment", "uq_product_template_assignment_merchant_id", ["connection_id", "product_id"]),
    ("sync_settings", "uq_sync_settings_merchant_id", ["connection_id"]),
    ("order_settings", "uq_order_settings_merchant_id", ["connection_id"]),
)
OLD_COLUMNS = {
    "uq_category_template_merchant_id": ["merchant_id", "name"],
    "uq_product_template_assignment_merchant_id": ["merchant_id", "product_id"],
    "uq_sync_settings_merchant_id": ["merchant_id"],
    "uq_order_settings_merchant_id": ["merchant_id"],
}


def _current_shop_of_each_merchant() -> sa.Select:
    """merchant_id -> the id of its earliest active TikTok connection."""
    conn = sa.table(
        "channel_connection",
        sa.column("id", sa.String),
        sa.column("merchant_id", sa.Integer),
        sa.column("channel", sa.String),
        sa.column("status", sa.String),
        sa.column("created_at", sa.DateTime),
    )
    ranked = (
        sa.select(
            conn.c.merchant_id,
            conn.c.id,
            sa.func.row_number()
            .over(partition_by=conn.c.merchant_id, order_by=(conn.c.created_at, conn.c.id))
            .label("n"),
        )
        .where(conn.c.channel == "tiktok", conn.c.status == "active")
        .subquery()
    )
    return sa.select(ranked.c.merchant_id, ranked.c.id).where(ranked.c.n == 1)


def upgrade() -> None:
    for table, _old, _new in PER_SHOP:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("connection_id", sa.String(length=32), nullable=True))
    with op.batch_alter_table("channel_connection") as batch:
        batch.add_column(sa.Column("store_connection_id", sa.String(length=32), nullable=True))
    with op.batch_alter_table("web_session") as batch:
        batch.add_column(sa.Column("shop_connection_id", sa.String(length=32), nullable=True))
    with op.batch_alter_table("activity") as batch:
        batch.add_column(sa.Column("connection_id", sa.String(length=32), nullable=True))

    bind = op.get_bind()
    current = bind.execute(_current_shop_of_each_merchant()).all()
    for merchant_id, shop_id in current:
        for table, _old, _new in PER_SHOP:
            bind.execute(
                sa.text(f"UPDATE {table} SET connection_id = :shop WHERE merchant_id = :merchant").bindparams(
                    shop=shop_id, merchant=merchant_id
                )
            )
        # The shop lists the catalog of the merchant's store (the one connected first, still active).
        store = bind.execute(
            sa.text(
                "SELECT id FROM channel_connection WHERE merchant_id = :merchant AND channel <> 'tiktok' "
                "AND status = 'active' ORDER BY created_at, id LIMIT 1"
            ).bindparams(merchant=merchant_id)
        ).scalar()
        if store:
            bind.execute(
                sa.text(
                    "UPDATE channel_connection SET store_connection_id = :store "
                    "WHERE merchant_id = :merchant AND channel = 'tiktok'"
                ).bindparams(store=store, merchant=merchant_id)
            )

    for table, old, new in PER_SHOP:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(old, type_="unique")
            batch.create_unique_constraint(f"uq_{table}_connection_id", new)
            batch.create_foreign_key(
                f"fk_{table}_connection_id_channel_connection",
                "channel_connection",
                ["connection_id"],
                ["id"],
                ondelete="CASCADE",
            )
            batch.create_index(f"ix_{table}_connection_id", ["connection_id"], unique=False)
    with op.batch_alter_table("channel_connection") as batch:
        batch.create_foreign_key(
            "fk_channel_connection_store_connection_id_channel_connection",
            "channel_connection",
            ["store_connection_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("web_session") as batch:
        batch.create_foreign_key(
            "fk_web_session_shop_connection_id_channel_connection",
            "channel_connection",
            ["shop_connection_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_index(
        "ix_activity_merchant_connection_created",
        "activity",
        ["merchant_id", "connection_id", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_activity_merchant_connection_created", table_name="activity")
    with op.batch_alter_table("activity") as batch:
        batch.drop_column("connection_id")
    with op.batch_alter_table("web_session") as batch:
        batch.drop_constraint("fk_web_session_shop_connection_id_channel_connection", type_="foreignkey")
        batch.drop_column("shop_connection_id")
    with op.batch_alter_table("channel_connection") as batch:
        batch.drop_constraint("fk_channel_connection_store_connection_id_channel_connection", type_="foreignkey")
        batch.drop_column("store_connection_id")
    for table, old, _new in PER_SHOP:
        # Back to one configuration per merchant: keep the current shop's rows, drop the other shops'.
        bind = op.get_bind()
        for merchant_id, shop_id in bind.execute(_current_shop_of_each_merchant()).all():
            bind.execute(
                sa.text(f"DELETE FROM {table} WHERE merchant_id = :merchant AND connection_id <> :shop").bindparams(
                    merchant=merchant_id, shop=shop_id
                )
            )
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_connection_id")
            batch.drop_constraint(f"fk_{table}_connection_id_channel_connection", type_="foreignkey")
            batch.drop_constraint(f"uq_{table}_connection_id", type_="unique")
            batch.create_unique_constraint(old, OLD_COLUMNS[old])
            batch.drop_column("connection_id")
