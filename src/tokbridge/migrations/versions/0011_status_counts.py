"""The dashboard's product counts kept by triggers: listing_count_delta (listings per shop, status and
whether their product is listable) and product_count_delta (catalog products per status). Triggers see
every write, the ORM's and the catalog importer's bulk statements alike; counting 100,000 listings and
products on each dashboard view was its slowest part on PostgreSQL. Existing rows are counted here.

Revision ID: 0011_status_counts
Revises: 0010_notifications
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_status_counts"
down_revision = "0010_notifications"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
LISTABLE = "'active'"  # tokbridge.listings.repository.LISTABLE_STATUSES

LISTING_DELTA = (
    "INSERT INTO listing_count_delta (merchant_id, connection_id, status, product_listable, n) "
    "SELECT {row}.merchant_id, {row}.connection_id, {row}.status, p.status = " + LISTABLE + ", {n} "
    "FROM product p WHERE p.id = {row}.product_id"
)
# A product's listings, moved out of (or into) its listable bucket. When the product itself is deleted,
# its listings go by cascade after it is gone: their own delete trigger then finds no product and
# writes nothing, so the product's BEFORE DELETE trigger takes them out.
PRODUCT_LISTINGS_DELTA = (
    "INSERT INTO listing_count_delta (merchant_id, connection_id, status, product_listable, n) "
    "SELECT l.merchant_id, l.connection_id, l.status, {row}.status = " + LISTABLE + ", {n} "
    "FROM tiktok_listing l WHERE l.product_id = {row}.id"
)
PRODUCT_DELTA = "INSERT INTO product_count_delta (merchant_id, status, n) VALUES ({row}.merchant_id, {row}.status, {n})"
LISTING_CHANGED = (
    "OLD.status IS DISTINCT FROM NEW.status OR OLD.connection_id IS DISTINCT FROM NEW.connection_id "
    "OR OLD.product_id IS DISTINCT FROM NEW.product_id"
)
LISTABLE_CHANGED = f"(OLD.status = {LISTABLE}) IS DISTINCT FROM (NEW.status = {LISTABLE})"


def _sqlite_triggers() -> list[str]:
    def changed(condition: str) -> str:  # SQLite spells IS DISTINCT FROM as IS NOT
        return condition.replace("IS DISTINCT FROM", "IS NOT")

    return [
        f"CREATE TRIGGER tr_listing_count_insert AFTER INSERT ON tiktok_listing BEGIN "
        f"{LISTING_DELTA.format(row='NEW', n=1)}; END",
        f"CREATE TRIGGER tr_listing_count_delete AFTER DELETE ON tiktok_listing BEGIN "
        f"{LISTING_DELTA.format(row='OLD', n=-1)}; END",
        f"CREATE TRIGGER tr_listing_count_update AFTER UPDATE OF status, connection_id, product_id ON tiktok_listing "
        f"WHEN {changed(LISTING_CHANGED)} BEGIN "
        f"{LISTING_DELTA.format(row='OLD', n=-1)}; {LISTING_DELTA.format(row='NEW', n=1)}; END",
        f"CREATE TRIGGER tr_product_count_insert AFTER INSERT ON product BEGIN "
        f"{PRODUCT_DELTA.format(row='NEW', n=1)}; END",
        f"CREATE TRIGGER tr_product_count_delete AFTER DELETE ON product BEGIN "
        f"{PRODUCT_DELTA.format(row='OLD', n=-1)}; END",
        f"CREATE TRIGGER tr_product_count_update AFTER UPDATE OF status ON product "
        f"WHEN OLD.status IS NOT NEW.status BEGIN "
        f"{PRODUCT_DELTA.format(row='OLD', n=-1)}; {PRODUCT_DELTA.format(row='NEW', n=1)}; END",
        f"CREATE TRIGGER tr_product_listable_update AFTER UPDATE OF status ON product "
        f"WHEN {changed(LISTABLE_CHANGED)} BEGIN "
        f"{PRODUCT_LISTINGS_DELTA.format(row='OLD', n=-1)}; {PRODUCT_LISTINGS_DELTA.format(row='NEW', n=1)}; END",
        f"CREATE TRIGGER tr_product_listings_delete BEFORE DELETE ON product BEGIN "
        f"{PRODUCT_LISTINGS_DELTA.format(row='OLD', n=-1)}; END",
    ]


def _postgresql_triggers() -> list[str]:
    def function(name: str, body: str) -> str:
        # The row returned lets a BEFORE DELETE go ahead; AFTER triggers ignore it.
        return (
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} "
            f"IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$"
        )

    return [
        function(
            "tokbridge_listing_count",
            f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {LISTING_DELTA.format(row='OLD', n=-1)}; END IF; "
            f"IF TG_OP IN ('UPDATE', 'INSERT') THEN {LISTING_DELTA.format(row='NEW', n=1)}; END IF;",
        ),
        "CREATE TRIGGER tr_listing_count AFTER INSERT OR DELETE ON tiktok_listing "
        "FOR EACH ROW EXECUTE FUNCTION tokbridge_listing_count()",
        f"CREATE TRIGGER tr_listing_count_update AFTER UPDATE OF status, connection_id, product_id ON tiktok_listing "
        f"FOR EACH ROW WHEN ({LISTING_CHANGED}) EXECUTE FUNCTION tokbridge_listing_count()",
        function(
            "tokbridge_product_count",
            f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {PRODUCT_DELTA.format(row='OLD', n=-1)}; END IF; "
            f"IF TG_OP IN ('UPDATE', 'INSERT') THEN {PRODUCT_DELTA.format(row='NEW', n=1)}; END IF;",
        ),
        "CREATE TRIGGER tr_product_count AFTER INSERT OR DELETE ON product "
        "FOR EACH ROW EXECUTE FUNCTION tokbridge_product_count()",
        "CREATE TRIGGER tr_product_count_update AFTER UPDATE OF status ON product "
        "FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION tokbridge_product_count()",
        function(
            "tokbridge_product_listable",
            f"{PRODUCT_LISTINGS_DELTA.format(row='OLD', n=-1)}; "
            f"IF TG_OP = 'UPDATE' THEN {PRODUCT_LISTINGS_DELTA.format(row='NEW', n=1)}; END IF;",
        ),
        f"CREATE TRIGGER tr_product_listable_update AFTER UPDATE OF status ON product "
        f"FOR EACH ROW WHEN ({LISTABLE_CHANGED}) EXECUTE FUNCTION tokbridge_product_listable()",
        "CREATE TRIGGER tr_product_listings_delete BEFORE DELETE ON product "
        "FOR EACH ROW EXECUTE FUNCTION tokbridge_product_listable()",
    ]


def upgrade() -> None:
    op.create_table(
        "listing_count_delta",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("merchant_id", BIG_ID, nullable=False),
        sa.Column("connection_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("product_listable", sa.Boolean(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_count_delta")),
    )
    op.create_index("ix_listing_count_delta_shop", "listing_count_delta", ["merchant_id", "connection_id"])
    op.create_table(
        "product_count_delta",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("merchant_id", BIG_ID, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_count_delta")),
    )
    op.create_index("ix_product_count_delta_merchant", "product_count_delta", ["merchant_id"])

    op.execute(
        "INSERT INTO listing_count_delta (merchant_id, connection_id, status, product_listable, n) "
        f"SELECT l.merchant_id, l.connection_id, l.status, p.status = {LISTABLE}, count(*) "
        "FROM tiktok_listing l JOIN product p ON p.id = l.product_id "
        f"GROUP BY l.merchant_id, l.connection_id, l.status, p.status = {LISTABLE}"
    )
    op.execute(
        "INSERT INTO product_count_delta (merchant_id, status, n) "
        "SELECT merchant_id, status, count(*) FROM product GROUP BY merchant_id, status"
    )
    triggers = _postgresql_triggers() if op.get_bind().dialect.name == "postgresql" else _sqlite_triggers()
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for trigger, table in (
            ("tr_listing_count", "tiktok_listing"),
            ("tr_listing_count_update", "tiktok_listing"),
            ("tr_product_count", "product"),
            ("tr_product_count_update", "product"),
            ("tr_product_listable_update", "product"),
            ("tr_product_listings_delete", "product"),
        ):
            op.execute(f"DROP TRIGGER {trigger} ON {table}")
        for function in ("tokbridge_listing_count", "tokbridge_product_count", "tokbridge_product_listable"):
            op.execute(f"DROP FUNCTION {function}()")
    else:
        for trigger in (
            "tr_listing_count_insert",
            "tr_listing_count_delete",
            "tr_listing_count_update",
            "tr_product_count_insert",
            "tr_product_count_delete",
            "tr_product_count_update",
            "tr_product_listable_update",
            "tr_product_listings_delete",
        ):
            op.execute(f"DROP TRIGGER {trigger}")
    op.drop_index("ix_product_count_delta_merchant", table_name="product_count_delta")
    op.drop_table("product_count_delta")
    op.drop_index("ix_listing_count_delta_shop", table_name="listing_count_delta")
    op.drop_table("listing_count_delta")
