"""Category templates and product-to-template assignments.

Revision ID: 0003_category_templates
Revises: 0002_catalog
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_category_templates"
down_revision = "0002_catalog"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "category_template",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("match_mode", sa.String(length=8), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("category_id", sa.String(length=32), nullable=False),
        sa.Column("category_name_path", sa.JSON(), nullable=False),
        sa.Column("category_version", sa.String(length=8), nullable=False),
        sa.Column("attribute_mappings", sa.JSON(), nullable=False),
        sa.Column("variant_mappings", sa.JSON(), nullable=False),
        sa.Column("price_rule", sa.JSON(), nullable=False),
        sa.Column("inventory_rule", sa.JSON(), nullable=False),
        sa.Column("listing_defaults", sa.JSON(), nullable=False),
        sa.Column("auto_assign", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchant.id"], name=op.f("fk_category_template_merchant_id_merchant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category_template")),
        sa.UniqueConstraint("merchant_id", "name", name=op.f("uq_category_template_merchant_id")),
    )
    op.create_index(op.f("ix_category_template_merchant_id"), "category_template", ["merchant_id"], unique=False)
    op.create_index(
        "ix_category_template_merchant_priority", "category_template", ["merchant_id", "priority"], unique=False
    )

    op.create_table(
        "product_template_assignment",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("product_id", ID, nullable=False),
        sa.Column("template_id", ID, nullable=False),
        sa.Column("assigned_by", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchant.id"],
            name=op.f("fk_product_template_assignment_merchant_id_merchant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_product_template_assignment_product_id_product"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["category_template.id"],
            name=op.f("fk_product_template_assignment_template_id_category_template"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_template_assignment")),
        sa.UniqueConstraint("merchant_id", "product_id", name=op.f("uq_product_template_assignment_merchant_id")),
    )
    op.create_index(
        op.f("ix_product_template_assignment_merchant_id"), "product_template_assignment", ["merchant_id"], unique=False
    )
    op.create_index(
        op.f("ix_product_template_assignment_product_id"), "product_template_assignment", ["product_id"], unique=False
    )
    op.create_index(
        op.f("ix_product_template_assignment_template_id"), "product_template_assignment", ["template_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_product_template_assignment_template_id"), table_name="product_template_assignment")
    op.drop_index(op.f("ix_product_template_assignment_product_id"), table_name="product_template_assignment")
    op.drop_index(op.f("ix_product_template_assignment_merchant_id"), table_name="product_template_assignment")
    op.drop_table("product_template_assignment")
    op.drop_index("ix_category_template_merchant_priority", table_name="category_template")
    op.drop_index(op.f("ix_category_template_merchant_id"), table_name="category_template")
    op.drop_table("category_template")
