"""The job layer: enqueue after commit, identity keys, retries, failures, leases, periodic jobs."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select

from tokbridge.activity.models import Activity
from tokbridge.db.base import utcnow
from tokbridge.db.engine import session_scope
from tokbridge.jobs import queue
from tokbridge.jobs.maintenance import run_maintenance
from tokbridge.jobs.models import Job, JobState
from tokbridge.jobs.registry import periodic, PERIODIC
from tokbridge.jobs.runner import run_due_jobs, run_job
from tokbridge.jobs.service import enqueue
from tokbridge.tenancy.models import Merchant


def _job(engine, job_id) -> Job:
    with session_scope(engine) as session:
        return session.get(Job, job_id)


def test_job_is_dispatched_only_after_commit(engine, app_settings, merchant_id):
    assert queue.pending_count(app_settings) == 0
    with session_scope(engine) as session:
        job = enqueue(session, "test.count", merchant_id=merchant_id, payload={"steps": 1})
        assert queue.pending_count(app_settings) == 0  # not yet: the row is not committed
    assert queue.pending_count(app_settings) == 1

    try:
        with session_scope(engine) as session:
            enqueue(session, "test.count", merchant_id=merchant_id, payload={"steps": 1})
            raise RuntimeError("the business change failed")
    except RuntimeError:
        pass
    assert queue.pending_count(app_settings) == 1  # the rolled-back job was never sent
    with session_scope(engine) as session:
        assert session.scalars(select(Job)).all()[0].id == job.id


def test_identity_key_prevents_queueing_the_same_work_twice(engine, app_settings, merchant_id):
    with session_scope(engine) as session:
        first = enqueue(session, "test.count", merchant_id=merchant_id, payload={"steps": 1}, identity_key="import:1")
    with session_scope(engine) as session:
        again = enqueue(session, "test.count", merchant_id=merchant_id, payload={"steps": 1}, identity_key="import:1")
    assert again.id == first.id
    run_due_jobs(app_settings)
    with session_scope(engine) as session:  # finished work frees the key
        later = enqueue(session, "test.count", merchant_id=merchant_id, payload={"steps": 1}, identity_key="import:1")
    assert later.id != first.id


def test_successful_job_reports_progress_and_activity(engine, app_settings, merchant_id):
    with session_scope(engine) as session:
        job = enqueue(session, "test.count", merchant_id=merchant_id, payload={"steps": 3})
    assert run_due_jobs(app_settings) == 1
    done = _job(engine, job.id)
    assert (done.state, done.progress_done, done.progress_total, done.attempts) == ("succeeded", 3, 3, 1)
    with session_scope(engine) as session:
        entry = session.scalar(select(Activity).where(Activity.job_id == job.id))
        steps = session.scalars(select(Activity).where(Activity.kind == "test.step")).all()
    assert (entry.status, entry.title, entry.progress_done, entry.progress_total) == ("succeeded", "Count steps", 3, 3)
    assert len(steps) == 3


def test_retryable_error_backs_off_then_succeeds(engine, app_settings, merchant_id):
    with session_scope(engine) as session:
        job = enqueue(session, "test.flaky", merchant_id=merchant_id, payload={"succeed_on": 2})
    run_job(app_settings, job.id)
    waiting = _job(engine, job.id)
    assert waiting.state == "queued" and waiting.attempts == 1
    assert waiting.last_error == "the remote answered 503"
    assert waiting.next_run_at >= utcnow() + timedelta(seconds=app_settings.job_retry_base_seconds - 1)
    assert run_job(app_settings, job.id) is None  # not due yet: nobody may run it early
    with session_scope(engine) as session:
        session.get(Job, job.id).next_run_at = utcnow()
        entry = session.scalar(select(Activity).where(Activity.job_id == job.id))
        assert entry.status == "ongoing" and "503" in entry.message
    assert run_job(app_settings, job.id) == "succeeded"
    assert _job(engine, job.id).attempts == 2


def test_retry_after_from_the_error_sets_the_next_run(engine, app_settings, merchant_id):
    with session_scope(engine) as session:
        job = enqueue(session, "test.flaky", merchant_id=merchant_id, payload={"succeed_on": 5, "retry_after": 120})
    before = utcnow()
    run_job(app_settings, job.id)
    waiting = _job(engine, job.id)
    assert timedelta(seconds=119) <= waiting.next_run_at - before <= timedelta(seconds=125)


def test_permanent_error_fails_with_a_readable_message(engine, app_settings, merchant_id):
    with session_scope(engine) as session:
        job = enqueue(session, "test.broken", merchant_id=merchant_id)
    assert run_job(app_settings, job.id) == "failed"
    failed = _job(engine, job.id)
    assert failed.last_error == "the product has no SKU; add one in your store"
    with session_scope(engine) as session:
        entry = session.scalar(select(Activity).where(Activity.job_id == job.id))
    assert entry.status == "failed" and entry.message == failed.last_error


def test_unexpected_error_retries_until_attempts_run_out(engine, app_settings, merchant_id):
    with session_scope(engine) as session:
        job = enqueue(session, "test.crash", merchant_id=merchant_id, max_attempts=2)
    assert run_job(app_settings, job.id) == "queued"
    with session_scope(engine) as session:
        session.get(Job, job.id).next_run_at = utcnow()
    assert run_job(app_settings, job.id) == "failed"
    failed = _job(engine, job.id)
    assert failed.last_error == "gave up after 2 attempts: ZeroDivisionError: division by zero"


def test_job_of_a_deleted_merchant_is_cancelled(engine, app_settings, merchant_id):
    with session_scope(engine) as session:
        job = enqueue(session, "test.count", merchant_id=merchant_id, payload={"steps": 1})
    with session_scope(engine) as session:
        session.delete(session.get(Merchant, merchant_id))
    assert run_job(app_settings, job.id) == "cancelled"
    assert _job(engine, job.id).last_error == "the merchant no longer exists"


def test_expired_lease_is_taken_over_and_resumes_from_checkpoint(engine, app_settings, merchant_id):
    with session_scope(engine) as session:
        job = enqueue(session, "test.count", merchant_id=merchant_id, payload={"steps": 4})
    # A worker claimed it, did two steps, and died: its lease runs out.
    with session_scope(engine) as session:
        row = session.get(Job, job.id)
        row.state, row.worker_id, row.attempts = JobState.RUNNING, "dead-worker", 1
        row.lease_expires_at = utcnow() - timedelta(seconds=1)
        row.checkpoint = {"next": 2}
    counts = run_maintenance(app_settings)
    assert counts["reclaimed"] == 1
    assert run_job(app_settings, job.id) == "succeeded"
    with session_scope(engine) as session:
        titles = sorted(a.title for a in session.scalars(select(Activity).where(Activity.kind == "test.step")))
    assert titles == ["step 2", "step 3"]  # steps 0-1 were the dead worker's; nothing ran twice
    assert _job(engine, job.id).attempts == 2


def test_live_lease_is_not_taken_over(engine, app_settings, merchant_id):
    with session_scope(engine) as session:
        job = enqueue(session, "test.count", merchant_id=merchant_id, payload={"steps": 1})
        session.flush()
        job.state, job.worker_id = JobState.RUNNING, "busy-worker"
        job.lease_expires_at = utcnow() + timedelta(minutes=5)
    assert run_maintenance(app_settings)["reclaimed"] == 0
    assert run_job(app_settings, job.id) is None


def test_periodic_job_fires_once_per_period_across_workers(engine, app_settings):
    periodic("test.system", every_seconds=3600)
    try:
        now = utcnow()
        results = []
        barrier = threading.Barrier(4)

        def worker():
            barrier.wait()
            results.append(run_maintenance(app_settings, now=now)["periodic"])

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with session_scope(engine) as session:
            jobs = session.scalars(select(Job).where(Job.kind == "test.system")).all()
        assert len(jobs) == 1 and sum(results) >= 1
        run_due_jobs(app_settings)
        # The next period fires again, once.
        run_maintenance(app_settings, now=now + timedelta(hours=1))
        run_maintenance(app_settings, now=now + timedelta(hours=1))
        with session_scope(engine) as session:
            assert len(session.scalars(select(Job).where(Job.kind == "test.system")).all()) == 2
    finally:
        PERIODIC.pop("test.system", None)


def test_lost_queue_message_is_dispatched_again(engine, app_settings, merchant_id, monkeypatch):
    for name in list(PERIODIC):
        monkeypatch.delitem(PERIODIC, name)
    with session_scope(engine) as session:
        job = enqueue(session, "test.count", merchant_id=merchant_id, payload={"steps": 1})
    queue.flush(app_settings)  # the message is lost
    later = utcnow() + timedelta(minutes=5)
    assert run_maintenance(app_settings, now=later)["redispatched"] == 1
    assert queue.pending_count(app_settings) == 1
    assert run_maintenance(app_settings, now=later)["redispatched"] == 0  # not again right away
