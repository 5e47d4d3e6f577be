"""The lease heartbeat: a job running on a live worker keeps its lease however long it runs, without
reporting progress; a killed worker's job is taken over once its (short, default) lease runs out."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from tests import job_handlers
from tests.support.waiting import wait_for
from tokbridge.config import Settings
from tokbridge.db.base import utcnow
from tokbridge.db.engine import session_scope
from tokbridge.jobs.leases import renew_leases
from tokbridge.jobs.maintenance import run_maintenance
from tokbridge.jobs.models import Job, JobState
from tokbridge.jobs.runner import run_job
from tokbridge.jobs.service import enqueue


def _job(engine, job_id) -> Job:
    with session_scope(engine) as session:
        return session.get(Job, job_id)


@pytest.fixture
def long_job(engine, merchant_id):
    """Runs a `test.hold` job in a thread until the test releases it: (job id, the thread's outcome)."""
    job_handlers.hold_started.clear()
    job_handlers.hold_release.clear()
    outcome: list = []
    threads = []

    def start(settings):
        with session_scope(engine) as session:
            job_id = enqueue(session, "test.hold", merchant_id=merchant_id).id
        thread = threading.Thread(target=lambda: outcome.append(run_job(settings, job_id)))
        thread.start()
        threads.append(thread)
        assert job_handlers.hold_started.wait(30)
        return job_id, outcome

    yield start
    job_handlers.hold_release.set()
    for thread in threads:
        thread.join(30)


def test_the_default_lease_is_short(app_settings):
    assert Settings.model_fields["job_lease_seconds"].default <= 60


def test_a_live_workers_long_job_is_never_taken_over_and_a_killed_workers_is(
    engine, app_settings, merchant_id, long_job
):
    # Long enough that the real heartbeat stays out of the simulated beats below.
    settings = app_settings.model_copy(update={"job_lease_seconds": 3600})
    lease = settings.job_lease_seconds
    live_id, outcome = long_job(settings)
    claimed_until = _job(engine, live_id).lease_expires_at
    # A job of a worker that was killed: claimed at the same time, nobody renews it.
    with session_scope(engine) as session:
        dead = enqueue(session, "test.count", merchant_id=merchant_id, payload={"steps": 1})
        session.flush()
        dead.state, dead.worker_id, dead.attempts = JobState.RUNNING, "killed-host:1:1", 1
        dead.started_at, dead.lease_expires_at = utcnow(), claimed_until
    dead_id = dead.id

    # The heartbeat's beats over three lease lengths, each a third of a lease after the last.
    claimed_at = claimed_until - timedelta(seconds=lease)
    for beat in range(1, 10):
        assert renew_leases(now=claimed_at + timedelta(seconds=beat * lease / 3)) == 1
    counts = run_maintenance(app_settings, now=claimed_at + timedelta(seconds=lease * 3))

    assert counts["reclaimed"] == 1
    assert _job(engine, dead_id).state == JobState.QUEUED  # taken over, for another worker
    live = _job(engine, live_id)
    assert live.state == JobState.RUNNING and live.attempts == 1  # still its worker's
    job_handlers.hold_release.set()
    wait_for(lambda: outcome, timeout=30, what="the long job to finish")
    assert outcome == [JobState.SUCCEEDED]
    assert _job(engine, live_id).attempts == 1


def test_the_heartbeat_renews_a_running_jobs_lease_without_progress(engine, app_settings, long_job):
    settings = app_settings.model_copy(update={"job_lease_seconds": 3})  # a beat every second
    job_id, outcome = long_job(settings)
    first = _job(engine, job_id).lease_expires_at
    wait_for(lambda: _job(engine, job_id).lease_expires_at > first, timeout=20, what="a heartbeat")
    job_handlers.hold_release.set()
    wait_for(lambda: outcome, timeout=30, what="the long job to finish")
    assert outcome == [JobState.SUCCEEDED]
    # Once the job is finished, nothing renews its lease any more.
    assert renew_leases() == 0
