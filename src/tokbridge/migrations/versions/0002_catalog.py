"""Catalog: products, variants, options, images and inventory levels read from a merchant's store.

Revision ID: 0002_catalog
Revises: 0001_foundation
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_catalog"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "product",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description_html", sa.Text(), nullable=False),
        sa.Column("vendor", sa.String(length=255), nullable=True),
        sa.Column("product_type", sa.String(length=255), nullable=True),
        sa.Column("handle", sa.String(length=255), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("merchant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchant.id"], name=op.f("fk_product_merchant_id_merchant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product")),
        sa.UniqueConstraint("merchant_id", "channel", "external_id", name=op.f("uq_product_merchant_id")),
    )
    op.create_index(op.f("ix_product_merchant_id"), "product", ["merchant_id"], unique=False)

    op.create_table(
        "product_image",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("alt_text", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchant.id"], name=op.f("fk_product_image_merchant_id_merchant"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_product_image_product_id_product"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_image")),
    )
    op.create_index(op.f("ix_product_image_merchant_id"), "product_image", ["merchant_id"], unique=False)
    op.create_index(op.f("ix_product_image_product_id"), "product_image", ["product_id"], unique=False)

    op.create_table(
        "product_option",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("merchant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchant.id"], name=op.f("fk_product_option_merchant_id_merchant"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_product_option_product_id_product"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_option")),
        sa.UniqueConstraint("product_id", "position", name=op.f("uq_product_option_product_id")),
    )
    op.create_index(op.f("ix_product_option_merchant_id"), "product_option", ["merchant_id"], unique=False)

    op.create_table(
        "product_variant",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=255), nullable=True),
        sa.Column("barcode", sa.String(length=255), nullable=True),
        sa.Column("price", sa.String(length=32), nullable=False),
        sa.Column("compare_at_price", sa.String(length=32), nullable=True),
        sa.Column("option_values", sa.JSON(), nullable=False),
        sa.Column("weight", sa.String(length=32), nullable=True),
        sa.Column("weight_unit", sa.String(length=16), nullable=True),
        sa.Column("inventory_item_external_id", sa.String(length=255), nullable=True),
        sa.Column("inventory_tracked", sa.Boolean(), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("merchant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchant.id"], name=op.f("fk_product_variant_merchant_id_merchant"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_product_variant_product_id_product"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_variant")),
        sa.UniqueConstraint("merchant_id", "channel", "external_id", name=op.f("uq_product_variant_merchant_id")),
    )
    op.create_index(op.f("ix_product_variant_merchant_id"), "product_variant", ["merchant_id"], unique=False)
    op.create_index(op.f("ix_product_variant_product_id"), "product_variant", ["product_id"], unique=False)
    op.create_index("ix_product_variant_merchant_sku", "product_variant", ["merchant_id", "sku"], unique=False)

    op.create_table(
        "inventory_level",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("variant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("location_external_id", sa.String(length=255), nullable=False),
        sa.Column("available", sa.Integer(), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("merchant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchant.id"], name=op.f("fk_inventory_level_merchant_id_merchant"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["product_variant.id"],
            name=op.f("fk_inventory_level_variant_id_product_variant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_level")),
        sa.UniqueConstraint("variant_id", "location_external_id", name=op.f("uq_inventory_level_variant_id")),
    )
    op.create_index(op.f("ix_inventory_level_merchant_id"), "inventory_level", ["merchant_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_inventory_level_merchant_id"), table_name="inventory_level")

    op.drop_table("inventory_level")
    op.drop_index("ix_product_variant_merchant_sku", table_name="product_variant")
    op.drop_index(op.f("ix_product_variant_product_id"), table_name="product_variant")
    op.drop_index(op.f("ix_product_variant_merchant_id"), table_name="product_variant")

    op.drop_table("product_variant")
    op.drop_index(op.f("ix_product_option_merchant_id"), table_name="product_option")

    op.drop_table("product_option")
    op.drop_index(op.f("ix_product_image_product_id"), table_name="product_image")
    op.drop_index(op.f("ix_product_image_merchant_id"), table_name="product_image")

    op.drop_table("product_image")
    op.drop_index(op.f("ix_product_merchant_id"), table_name="product")

    op.drop_table("product")
