"""Bulk work pauses while urgent work (orders) runs in the same process or, on Redis, in another worker
process, and only for a bounded time.
(Handing the thread back to urgent work waiting for a worker: tests/pipeline/test_bulk_makes_way.py.)"""

from __future__ import annotations

import os
import sys
import threading

import pytest

from tests import job_handlers
from tests.support.waiting import wait_for
from tokbridge.db.engine import session_scope
from tokbridge.jobs.models import JobState
from tokbridge.jobs.runner import JobContext, run_job
from tokbridge.jobs.service import enqueue


@pytest.fixture
def urgent_job_running(engine, app_settings, merchant_id):
    """An urgent job running in this process until the test releases it."""
    job_handlers.hold_started.clear()
    job_handlers.hold_release.clear()
    with session_scope(engine) as session:
        job_id = enqueue(session, "test.urgent_hold", merchant_id=merchant_id).id
    outcome: list = []
    thread = threading.Thread(target=lambda: outcome.append(run_job(app_settings, job_id)))
    thread.start()
    assert job_handlers.hold_started.wait(30)
    yield outcome
    job_handlers.hold_release.set()
    thread.join(30)


def _context(engine, settings, kind: str, merchant_id: int) -> JobContext:
    with session_scope(engine) as session:
        job = enqueue(session, kind, merchant_id=merchant_id)
        session.flush()
        return JobContext(settings, job, "this-worker")


def _make_way_in_thread(context: JobContext) -> threading.Thread:
    thread = threading.Thread(target=lambda: context.make_way(hand_back=False))
    thread.start()
    return thread


def test_bulk_work_waits_while_urgent_work_runs_here_and_goes_on_when_it_ends(
    engine, app_settings, merchant_id, urgent_job_running
):
    settings = app_settings.model_copy(update={"bulk_max_pause_seconds": 120})
    upload = _make_way_in_thread(_context(engine, settings, "listings.upload", merchant_id))
    upload.join(0.5)
    assert upload.is_alive()  # paused at its step
    job_handlers.hold_release.set()
    upload.join(30)
    assert not upload.is_alive()
    wait_for(lambda: urgent_job_running, timeout=30, what="the urgent job's outcome")
    assert urgent_job_running == [JobState.SUCCEEDED]


def test_bulk_work_pauses_a_bounded_time_and_other_work_not_at_all(
    engine, app_settings, merchant_id, urgent_job_running
):
    bounded = app_settings.model_copy(update={"bulk_max_pause_seconds": 0.01})
    upload = _make_way_in_thread(_context(engine, bounded, "listings.upload", merchant_id))
    upload.join(30)
    assert not upload.is_alive()  # the urgent job still runs: bulk work slows down, it never stops

    patient = app_settings.model_copy(update={"bulk_max_pause_seconds": 120})
    normal = _make_way_in_thread(_context(engine, patient, "test.count", merchant_id))
    normal.join(30)
    assert not normal.is_alive()  # not bulk: never waits
    assert job_handlers.hold_started.is_set() and not urgent_job_running  # the urgent job was running throughout


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux renices one thread")
def test_a_bulk_thread_runs_at_a_lower_os_priority_and_the_others_keep_theirs():
    from tokbridge.jobs.fairness import BULK_NICENESS, lower_this_threads_priority

    def priority() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    before = priority()
    seen: list[int] = []

    def bulk_thread():
        lower_this_threads_priority()
        seen.append(priority())

    thread = threading.Thread(target=bulk_thread)
    thread.start()
    thread.join(30)
    assert seen == [min(19, before + BULK_NICENESS)]
    assert priority() == before  # this (worker) thread is untouched


def test_bulk_work_makes_way_from_the_moment_urgent_work_is_queued_here(engine, app_settings, merchant_id, monkeypatch):
    from tokbridge.jobs import fairness

    monkeypatch.setattr(fairness, "EXPECTED_SECONDS", 600)  # however slow this machine is, still awaited
    job_handlers.hold_started.clear()
    job_handlers.hold_release.clear()
    with session_scope(engine) as session:
        urgent_id = enqueue(session, "test.urgent_hold", merchant_id=merchant_id).id
    assert fairness.GATE.busy  # queued, no worker has it yet
    patient = app_settings.model_copy(update={"bulk_max_pause_seconds": 120})
    upload = _make_way_in_thread(_context(engine, patient, "listings.upload", merchant_id))
    upload.join(0.5)
    assert upload.is_alive()

    outcome: list = []
    worker = threading.Thread(target=lambda: outcome.append(run_job(app_settings, urgent_id)))
    worker.start()
    assert job_handlers.hold_started.wait(30)
    upload.join(0.2)
    assert upload.is_alive()  # now running: still making way
    job_handlers.hold_release.set()
    worker.join(30)
    upload.join(30)
    assert not upload.is_alive() and outcome == [JobState.SUCCEEDED]


# --- Across worker processes (PostgreSQL + Redis): urgent jobs running in another process count too --------


@pytest.fixture
def distributed_settings(app_settings, database_url, redis_url, redis_prefix):
    if not database_url.startswith("postgresql"):
        pytest.skip("worker processes share PostgreSQL and Redis")
    return app_settings.model_copy(
        update={"redis_url": redis_url, "queue_name": redis_prefix, "bulk_max_pause_seconds": 120}
    )


def test_bulk_work_waits_while_urgent_work_runs_in_another_worker_process(engine, distributed_settings, merchant_id):
    from tokbridge.jobs.fairness import urgent_running

    other_process = urgent_running(distributed_settings, job_id=1, process="other-host:4242")
    other_process.__enter__()
    upload = _make_way_in_thread(_context(engine, distributed_settings, "listings.upload", merchant_id))
    upload.join(0.5)
    assert upload.is_alive()  # paused while the other process's order job runs
    other_process.__exit__(None, None, None)
    upload.join(30)
    assert not upload.is_alive()  # and goes on once it has finished


def test_a_crashed_processs_urgent_mark_expires_and_bulk_work_is_not_held_by_it(
    engine, distributed_settings, merchant_id
):
    from tokbridge.jobs.fairness import urgent_running

    crashed = urgent_running(distributed_settings, job_id=2, process="other-host:4343", expires_in=-1)
    crashed.__enter__()  # and never left: the process died
    upload = _make_way_in_thread(_context(engine, distributed_settings, "listings.upload", merchant_id))
    upload.join(30)
    assert not upload.is_alive()


def test_on_redis_bulk_work_makes_way_from_the_moment_urgent_work_is_dispatched(
    engine, distributed_settings, merchant_id, monkeypatch
):
    from tokbridge.config import get_settings
    from tokbridge.jobs import fairness

    monkeypatch.setattr(fairness, "EXPECTED_SECONDS", 600)  # however slow this machine is, still awaited
    monkeypatch.setenv("REDIS_URL", distributed_settings.redis_url)
    monkeypatch.setenv("QUEUE_NAME", distributed_settings.queue_name)
    get_settings.cache_clear()
    job_handlers.hold_started.clear()
    job_handlers.hold_release.clear()
    with session_scope(engine) as session:  # dispatched through Redis: any worker process may take it
        urgent_id = enqueue(session, "test.urgent_hold", merchant_id=merchant_id).id
    assert not fairness.GATE.busy  # not this process's own to run
    upload = _make_way_in_thread(_context(engine, distributed_settings, "listings.upload", merchant_id))
    upload.join(0.5)
    assert upload.is_alive()

    outcome: list = []
    worker = threading.Thread(target=lambda: outcome.append(run_job(distributed_settings, urgent_id)))
    worker.start()
    assert job_handlers.hold_started.wait(30)
    upload.join(0.2)
    assert upload.is_alive()  # now running here: the gate holds it
    job_handlers.hold_release.set()
    worker.join(30)
    upload.join(30)
    assert not upload.is_alive() and outcome == [JobState.SUCCEEDED]
    assert not fairness.urgent_elsewhere(distributed_settings).running()  # no mark left behind


def test_with_redis_away_bulk_and_urgent_work_go_on_as_in_one_process(engine, app_settings, merchant_id):
    import socket

    from tokbridge.jobs.fairness import urgent_running

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    away = app_settings.model_copy(
        update={"redis_url": f"redis://127.0.0.1:{port}/0", "queue_name": "redis-away", "bulk_max_pause_seconds": 120}
    )
    with urgent_running(away, job_id=4, process="other-host:4444"):  # the mark is lost, the job goes on
        upload = _make_way_in_thread(_context(engine, away, "listings.upload", merchant_id))
        upload.join(30)
        assert not upload.is_alive()
