"""Shared fixtures: settings, databases (SQLite and PostgreSQL), Redis, merchants.

Every test that takes `engine` runs twice: on SQLite and on PostgreSQL. PostgreSQL tests use a schema
of their own per test run, so parallel runs on one server do not meet. Under CI=true a PostgreSQL or
Redis test that cannot connect fails instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import inspect, text

# Secrets for the whole test process (and the workers it starts), before settings are first read.
os.environ.setdefault("SECRET_KEY", "test-secret-key-" + uuid.uuid4().hex)
os.environ.setdefault("ENCRYPTION_KEYS", Fernet.generate_key().decode())
os.environ.setdefault("LOG_LEVEL", "WARNING")

import tokbridge.db.models  # noqa: E402,F401
from tokbridge.config import get_settings  # noqa: E402
from tokbridge.db.engine import make_engine  # noqa: E402
from tokbridge.db.migrate import upgrade  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RUN_ID = uuid.uuid4().hex[:10]


def unavailable(what: str, exc: Exception):
    message = f"{what} is not reachable: {exc}"
    if IN_CI:
        pytest.fail(message + " (CI=true: this must run, not skip)")
    pytest.skip(message)


def _forget_settings() -> None:
    """Settings are read once per process and cached: the app's, and each plugin's own (its `<KIND>_*`
    variables, the sandbox's address among them), which each test sets for itself."""
    from tokbridge.channels.etsy.settings import get_etsy_settings
    from tokbridge.channels.factory import tiktok_app
    from tokbridge.channels.shopify.settings import get_shopify_settings

    get_settings.cache_clear()
    get_shopify_settings.cache_clear()
    get_etsy_settings.cache_clear()
    tiktok_app.cache_clear()


@pytest.fixture(autouse=True)
def _fresh_settings():
    _forget_settings()
    yield
    _forget_settings()


# --- SQLite: one migrated template per run, copied for each test --------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("db") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def sqlite_url(sqlite_template, tmp_path) -> str:
    path = tmp_path / "tokbridge.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


# --- PostgreSQL: one migrated schema per run, truncated after each test ------------------------


@pytest.fixture(scope="session")
def postgres_schema_url():
    schema = f"tb_test_{RUN_ID}"
    admin = make_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "not reachable"
        admin.dispose()
        yield None, exc
        return
    separator = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url, None
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def postgres_url(postgres_schema_url):
    url, error = postgres_schema_url
    if url is None:
        unavailable("PostgreSQL", error)
    yield url
    engine = make_engine(url)
    present = set(inspect(engine).get_table_names()) - {"alembic_version"}
    tables = ", ".join(f'"{name}"' for name in sorted(present))
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request) -> str:
    """A migrated, empty database; the test runs once per backend."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(sqlite_url):
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


# --- Redis ------------------------------------------------------------------------------------


@pytest.fixture
def redis_url():
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except Exception as exc:  # noqa: BLE001
        unavailable("Redis", exc)
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_url):
    """A key prefix of this test's own; its keys are deleted afterwards."""
    import redis

    prefix = f"tbtest:{RUN_ID}:{uuid.uuid4().hex[:8]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


# --- Tenants ----------------------------------------------------------------------------------


@pytest.fixture
def merchant_id(engine) -> int:
    from tokbridge.db.engine import session_scope
    from tokbridge.tenancy.models import Merchant

    with session_scope(engine) as session:
        merchant = Merchant(name="Test Merchant")
        session.add(merchant)
        session.flush()
        return merchant.id


# --- Settings for code under test ---------------------------------------------------------------


@pytest.fixture
def app_settings(database_url, tmp_path, monkeypatch):
    """Settings pointing at this test's database and an embedded queue of its own."""
    from tokbridge.jobs.registry import load_handlers

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("JOB_MODULES", '["tests.job_handlers"]')
    monkeypatch.delenv("REDIS_URL", raising=False)
    get_settings.cache_clear()
    settings = get_settings()
    load_handlers(settings.job_modules)
    return settings


# --- The web app ------------------------------------------------------------------------------


def create_account(settings, business: str, email: str, password: str = "correct horse battery") -> int:
    from tokbridge.db.engine import get_engine, session_scope
    from tokbridge.tenancy.service import create_merchant_with_user

    with session_scope(get_engine(settings.database_url)) as session:
        return create_merchant_with_user(session, business, email, password).merchant_id


@pytest.fixture
def web_app(app_settings):
    from tokbridge.web.app import create_app

    return create_app(app_settings)


@pytest.fixture
def client(web_app):
    from fastapi.testclient import TestClient

    with TestClient(web_app, base_url="http://127.0.0.1") as client:
        yield client


def sign_in(client, email: str, password: str = "correct horse battery"):
    """Sign in through the real form (with its CSRF token); returns the final response."""
    import re

    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token, "next": "/dashboard"})


def add_user(settings, merchant_id: int, email: str, password: str = "correct horse battery") -> None:
    """A user for an existing merchant (the first user normally comes with sign-up)."""
    from argon2 import PasswordHasher

    from tokbridge.db.engine import get_engine, session_scope
    from tokbridge.tenancy.models import User

    with session_scope(get_engine(settings.database_url)) as session:
        session.add(User(merchant_id=merchant_id, email=email, password_hash=PasswordHasher().hash(password)))


@pytest.fixture
def two_shops(engine) -> list[tuple[int, str]]:
    """Two merchants, each with a TikTok shop connection: [(merchant id, connection id)] * 2."""
    from tokbridge.channels.models import ChannelConnection
    from tokbridge.db.engine import session_scope
    from tokbridge.tenancy.models import Merchant

    with session_scope(engine) as session:
        merchants = [Merchant(name="A"), Merchant(name="B")]
        session.add_all(merchants)
        session.flush()
        shops = [ChannelConnection(merchant_id=m.id, channel="tiktok", external_id=f"shop-{m.id}") for m in merchants]
        session.add_all(shops)
        session.flush()
        return [(m.id, shop.id) for m, shop in zip(merchants, shops, strict=True)]
