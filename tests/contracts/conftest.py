"""The conformance suite's fixtures: a running sandbox, TokBridge configured against it as a deployment
would be, the merchant's store connection stored as the connect flow stores it, and the plugin's store
for that connection, found through the registry."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine

from tests.contracts.admin import SandboxAdmin
from tests.contracts.catalog import Catalog, read_catalog
from tests.contracts.pairs import PAIRS
from tokbridge.channels import registry
from tokbridge.channels.base import SourceStore, StorePlugin
from tokbridge.channels.models import ChannelConnection
from tokbridge.config import Settings, get_settings
from tokbridge.db.engine import make_engine, session_scope
from tokbridge.tenancy.models import Merchant


@dataclass
class Pair:
    kind: str
    plugin: StorePlugin
    admin: SandboxAdmin
    settings: Settings
    engine: Engine
    connection: ChannelConnection

    def store(self) -> SourceStore:
        return self.plugin.store(self.settings, self.engine, self.connection)

    def catalog(self) -> Catalog:
        return read_catalog(self.store())


@pytest.fixture
def pair(request, sqlite_url, tmp_path, monkeypatch) -> Iterator[Pair]:
    """Parametrise with `pairs(...)` from tests/contracts/pairs.py, `indirect=True`."""
    kind = request.param
    with ExitStack() as stack:
        admin = PAIRS[kind](stack)
        for name, value in {"DATABASE_URL": sqlite_url, "DATA_DIR": str(tmp_path / "var"), **admin.env}.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        admin.clear_cached_settings()
        stack.callback(admin.clear_cached_settings)
        engine = make_engine(sqlite_url)
        stack.callback(engine.dispose)
        with session_scope(engine) as session:
            merchant = Merchant(name="Conformance")
            session.add(merchant)
            session.flush()
            connection = ChannelConnection(
                merchant_id=merchant.id,
                channel=kind,
                external_id=admin.account.external_id,
                name=admin.account.name,
                data=dict(admin.account.data),
                scopes=[],
            )
            connection.access_token = admin.account.access_token
            session.add(connection)
            session.flush()
            session.expunge(connection)
        yield Pair(kind, registry.plugin(kind), admin, get_settings(), engine, connection)
