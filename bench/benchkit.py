"""What the bench scripts share: a free port, waiting for a server they started to answer, a PostgreSQL
schema of their own, the environment of a throwaway TokBridge, and running an import job to its end."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tokbridge_sandboxes.serving import free_port

__all__ = ["bench_merchant", "free_port", "import_job_of", "import_job_until_done", "own_database", "wait_ready"]


def wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            threading.Event().wait(0.2)  # polling a process we started, not a rate limit
    raise SystemExit(f"{url} did not come up")


@contextmanager
def admin_connection(url: str) -> Iterator:
    """A connection to the PostgreSQL server itself, for the bench's own schema."""
    from tokbridge.db.engine import make_engine

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


@contextmanager
def own_database(workdir: Path, postgres_url: str | None, name: str) -> Iterator[dict[str, str]]:
    """The environment of a throwaway TokBridge in `workdir`: SQLite there, or with `postgres_url` a schema
    of its own (dropped afterwards: the bench never touches existing tables), fresh keys, quiet logs."""
    from cryptography.fernet import Fernet

    env = {
        "DATABASE_URL": f"sqlite:///{workdir}/bench.db",
        "DATA_DIR": str(workdir / "var"),
        "SECRET_KEY": "bench-secret",
        "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "LOG_LEVEL": "WARNING",
        "BASE_URL": "http://127.0.0.1:9",
    }
    if postgres_url is None:
        yield env
        return
    schema = f"tokbridge_{name}_bench_{os.getpid()}"
    with admin_connection(postgres_url) as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in postgres_url else "?"
    try:
        yield {**env, "DATABASE_URL": f"{postgres_url}{separator}options=-csearch_path%3D{schema}"}
    finally:
        with admin_connection(postgres_url) as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')


def import_job_until_done(settings, engine, job_id: int) -> float:
    """Run the job in this process as a worker runs it (again while it is re-queued: a store asking to
    wait, a passing error) until it ends; -> the wall time. Exits when it did not succeed."""
    from tokbridge.db.engine import session_scope
    from tokbridge.jobs.models import Job
    from tokbridge.jobs.runner import run_job

    started = time.perf_counter()
    state = error = None
    while state not in ("succeeded", "failed", "cancelled"):
        run_job(settings, job_id)
        with session_scope(engine) as session:
            job = session.get(Job, job_id)
            state, error = job.state, job.last_error
    wall = time.perf_counter() - started
    if state != "succeeded":
        raise SystemExit(f"the import job ended {state}: {error}")
    return wall


def bench_merchant(business: str, email: str) -> tuple:
    """TokBridge's settings and engine from the environment, the database migrated, and a new merchant:
    (settings, engine, merchant_id)."""
    from tokbridge.config import get_settings
    from tokbridge.db.engine import get_engine, session_scope
    from tokbridge.db.migrate import upgrade
    from tokbridge.tenancy.service import create_merchant_with_user

    get_settings.cache_clear()
    settings = get_settings()
    engine = get_engine(settings.database_url)
    upgrade(engine)
    with session_scope(engine) as session:
        user = create_merchant_with_user(session, business, email, "a long password")
        session.flush()
        return settings, engine, user.merchant_id


def import_job_of(engine, merchant_id: int) -> int:
    """The catalog import job connecting the store queued."""
    from sqlalchemy import select

    from tokbridge.catalog.tasks import IMPORT_JOB
    from tokbridge.db.engine import session_scope
    from tokbridge.jobs.models import Job

    with session_scope(engine) as session:
        job_id = session.scalar(select(Job.id).where(Job.kind == IMPORT_JOB, Job.merchant_id == merchant_id))
    assert job_id is not None, "connecting the store did not start the catalog import"
    return job_id
