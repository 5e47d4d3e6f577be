"""A worker process killed in the middle of a long job: another worker finishes it, once.

Runs on the embedded default (SQLite database and queue, two worker processes on one machine) and on
the distributed set-up (PostgreSQL and Redis).
"""

from __future__ import annotations

import signal
from collections import Counter

import pytest
from sqlalchemy import select

from tests.support.waiting import wait_for
from tests.support.workers import start_worker, stop
from tokbridge.activity.models import Activity
from tokbridge.config import get_settings
from tokbridge.db.engine import make_engine, session_scope
from tokbridge.jobs import queue
from tokbridge.jobs.models import Job
from tokbridge.jobs.service import enqueue
from tokbridge.tenancy.models import Merchant

STEPS = 20


@pytest.fixture(params=["sqlite", "postgresql+redis"])
def deployment(request, tmp_path, monkeypatch):
    if request.param == "sqlite":
        env = {"DATABASE_URL": request.getfixturevalue("sqlite_url")}
    else:
        prefix = request.getfixturevalue("redis_prefix")
        env = {
            "DATABASE_URL": request.getfixturevalue("postgres_url"),
            "REDIS_URL": request.getfixturevalue("redis_url"),
            "QUEUE_NAME": prefix,
        }
    env.update(
        {
            "DATA_DIR": str(tmp_path / "var"),
            "JOB_MODULES": '["tests.job_handlers"]',
            "JOB_LEASE_SECONDS": "3",
            "JOB_MAINTENANCE_SECONDS": "0.5",
            "WORKER_THREADS": "2",
        }
    )
    for name, value in env.items():  # this process enqueues into the same deployment
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    settings = get_settings()
    yield env, settings
    queue.flush(settings)


@pytest.mark.slow
def test_killed_worker_job_is_finished_by_another_worker_once(deployment):
    env, settings = deployment
    engine = make_engine(settings.database_url)
    with session_scope(engine) as session:
        merchant = Merchant(name="Crash Test")
        session.add(merchant)
        session.flush()
        merchant_id = merchant.id
    with session_scope(engine) as session:  # dispatched to this deployment's queue after commit
        job_id = enqueue(
            session, "test.count", merchant_id=merchant_id, payload={"steps": STEPS, "step_seconds": 0.15}
        ).id

    def job() -> Job:
        with session_scope(engine) as session:
            return session.get(Job, job_id)

    first = start_worker(env)
    second = None
    try:
        wait_for(lambda: job().progress_done >= 5, timeout=60, what="the first worker to make progress")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        progress_at_kill = job().progress_done
        assert job().state == "running" and progress_at_kill < STEPS

        second = start_worker(env)
        finished = wait_for(
            lambda: (j := job()).state == "succeeded" and j, timeout=90, what="the second worker to finish the job"
        )
    finally:
        stop(first, second)

    # The killed attempt had made progress: it gave its attempt back, so only the finishing one counts.
    assert finished.attempts == 1 and finished.progress_done == STEPS
    with session_scope(engine) as session:
        steps = Counter(session.scalars(select(Activity.title).where(Activity.kind == "test.step")))
        summary = session.scalar(select(Activity).where(Activity.job_id == job_id))
    assert steps == Counter({f"step {i}": 1 for i in range(STEPS)})  # every step exactly once
    assert summary.status == "succeeded"
    engine.dispose()
