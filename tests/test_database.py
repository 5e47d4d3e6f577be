from sqlalchemy import inspect, select

from tokbridge.db.base import Base
from tokbridge.db.engine import session_scope
from tokbridge.tenancy.models import Merchant


def test_migrations_create_every_model_table(engine):
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_each_test_starts_empty(engine):
    with session_scope(engine) as session:
        assert session.scalars(select(Merchant)).all() == []
        session.add(Merchant(name="left behind"))
