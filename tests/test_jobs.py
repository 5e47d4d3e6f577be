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
from tokbridge.jobs.registry import PERIODIC, periodic
from tokbridge.jobs.runner import JobContext, LeaseLost, run_due_jobs, run_job
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


def test_threads_counting_into_one_job_never_take_its_progress_back(engine, app_settings, merchant_id):
    # Two upload threads counted 6 then 7 finished products; their transactions committed 7 first, then 6.
    with session_scope(engine) as session:
        job = enqueue(session, "test.count", merchant_id=merchant_id, payload={"steps": 1})
        session.flush()
        job.state, job.worker_id = JobState.RUNNING, "this-worker"
        job.lease_expires_at = utcnow() + timedelta(minutes=5)
        context = JobContext(app_settings, job, "this-worker")
    context.progress(7, 10, checkpoint={"done": 7}, forward_only=True)
    context.progress(6, 10, checkpoint={"done": 6}, forward_only=True)
    saved = _job(engine, job.id)
    assert (saved.progress_done, saved.checkpoint) == (7, {"done": 7})
    # Without forward_only (a handler that starts a new phase), the count is what it says.
    context.progress(2, 10, checkpoint={"phase": 2})
    assert _job(engine, job.id).progress_done == 2
    # Forward only or not, a worker that lost the job hears so.
    with session_scope(engine) as session:
        session.get(Job, job.id).worker_id = "another-worker"
    for forward_only in (True, False):
        try:
            context.progress(9, 10, forward_only=forward_only)
        except LeaseLost:
            continue
        raise AssertionError("the lost lease went unnoticed")


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
        enqueue(session, "test.count", merchant_id=merchant_id, payload={"steps": 1})
    queue.flush(app_settings)  # the message is lost
    later = utcnow() + timedelta(minutes=5)
    assert run_maintenance(app_settings, now=later)["redispatched"] == 1
    assert queue.pending_count(app_settings) == 1
    assert run_maintenance(app_settings, now=later)["redispatched"] == 0  # not again right away


def _waiting(engine) -> list[tuple[str, list]]:
    with session_scope(engine) as session:
        return [(job.state, job.payload.get("items")) for job in session.scalars(select(Job).order_by(Job.id))]


def _add(engine, merchant_id, items, limit=3) -> None:
    from tokbridge.jobs.service import enqueue_or_add

    with session_scope(engine) as session:
        enqueue_or_add(
            session,
            "test.count",
            merchant_id=merchant_id,
            key="items",
            items=items,
            limit=limit,
            title=lambda count: f"{count} items",
        )


def test_work_added_while_the_merchants_job_waits_joins_it(engine, app_settings, merchant_id, two_shops):
    """Small pieces of work share the job still waiting for a worker, up to its limit; a job a worker has
    started, or one waiting out a retry, gets nothing more; other merchants keep their own jobs."""
    from tokbridge.jobs.repository import JobRepository

    other_merchant = two_shops[0][0]
    _add(engine, merchant_id, [1])
    _add(engine, merchant_id, [2])
    _add(engine, other_merchant, [9])
    assert _waiting(engine) == [("queued", [1, 2]), ("queued", [9])]
    _add(engine, merchant_id, [3, 4])  # would pass the limit of 3: a job of its own
    assert _waiting(engine)[2] == ("queued", [3, 4])
    _add(engine, merchant_id, [5, 6, 7, 8])  # more than one job's worth: split
    assert [items for _state, items in _waiting(engine)[3:]] == [[5, 6, 7], [8]]
    with session_scope(engine) as session:
        titles = [job.title for job in session.scalars(select(Job).order_by(Job.id))]
    assert titles[:3] == ["2 items", "1 items", "2 items"]

    with session_scope(engine) as session:  # a worker takes the newest job; a retry waits on another
        newest = max(job.id for job in session.scalars(select(Job)))
        assert JobRepository(session).claim(newest, "worker-1", utcnow(), utcnow() + timedelta(minutes=5))
        for job in session.scalars(select(Job).where(Job.merchant_id == merchant_id, Job.id != newest)):
            job.attempts = 1  # queued again after a failure, waiting for its backoff
    _add(engine, merchant_id, [10])
    assert _waiting(engine)[-1] == ("queued", [10])  # a new job: neither running nor retrying ones took it
    assert _waiting(engine)[-2] == ("running", [8])


def test_work_added_while_a_worker_claims_the_job_goes_to_a_new_one(engine, app_settings, merchant_id):
    """PostgreSQL: the addition waits on the claiming transaction's row lock, then finds the job started and
    queues its own: nothing is added to a job whose payload the worker has already read."""
    import pytest

    from tests.support.waiting import wait_for_lock_wait
    from tokbridge.jobs.repository import JobRepository

    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time")
    _add(engine, merchant_id, [1])
    errors: list[Exception] = []

    def add_meanwhile() -> None:
        try:
            _add(engine, merchant_id, [2])
        except Exception as exc:  # noqa: BLE001 - the test reports it
            errors.append(exc)

    with session_scope(engine) as session:
        [job] = session.scalars(select(Job)).all()
        assert JobRepository(session).claim(job.id, "worker-1", utcnow(), utcnow() + timedelta(minutes=5))
        thread = threading.Thread(target=add_meanwhile)
        thread.start()
        wait_for_lock_wait(engine, "the addition to wait for the claim", waiter=thread)
    thread.join(60)
    assert errors == []
    assert _waiting(engine) == [("running", [1]), ("queued", [2])]


def test_enqueue_in_a_fresh_session_takes_sqlites_write_lock_first(engine, merchant_id):
    """SQLite: enqueue reads (the identity check) and then writes. Another connection writing in between
    must wait for it, not make its insert fail with "database is locked"."""
    import sqlite3

    import pytest
    from sqlalchemy import event

    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL transactions do not fail on a write that came between a read and a write")
    outcome: dict[str, str] = {}

    def other_writer_between(conn, cursor, statement, parameters, context, executemany):
        if not statement.startswith("INSERT INTO job") or outcome:
            return
        other = sqlite3.connect(engine.url.database, timeout=0)
        try:
            # A real change: SQLite commits nothing for an update that leaves the row as it was.
            other.execute("UPDATE merchant SET name = name || '.' WHERE id = ?", (merchant_id,))
            other.commit()
            outcome["other"] = "wrote in between"
        except sqlite3.OperationalError as exc:
            outcome["other"] = str(exc)  # held off: the enqueue has the write lock
        finally:
            other.close()

    event.listen(engine, "before_cursor_execute", other_writer_between)
    try:
        with session_scope(engine) as session:
            job = enqueue(
                session, "test.count", merchant_id=merchant_id, payload={"steps": 1}, identity_key="fresh-session"
            )
    finally:
        event.remove(engine, "before_cursor_execute", other_writer_between)
    assert outcome == {"other": "database is locked"}
    assert _job(engine, job.id).state == JobState.QUEUED


def test_finished_jobs_are_pruned_after_the_keep_days_and_active_ones_never(
    engine, app_settings, merchant_id, monkeypatch
):
    from tokbridge.jobs import tasks as job_tasks

    monkeypatch.setattr(job_tasks, "PRUNE_BATCH", 2)  # several rounds
    now = utcnow()
    old, recent = now - timedelta(days=app_settings.job_keep_days + 1), now - timedelta(days=1)
    with session_scope(engine) as session:
        kept_ids = {}
        for name, state, finished in [
            ("old ok", "succeeded", old),
            ("old failed", "failed", old),
            ("old cancelled", "cancelled", old),
            ("old ok 2", "succeeded", old),
            ("old ok 3", "succeeded", old),
            ("recent ok", "succeeded", recent),
            ("queued", "queued", None),
            ("running", "running", None),
        ]:
            job = enqueue(session, "test.count", merchant_id=merchant_id, payload={"steps": 1}, title=name)
            job.state, job.finished_at = state, finished
            kept_ids[name] = job
        session.flush()
        kept_ids = {name: job.id for name, job in kept_ids.items()}
        prune = enqueue(session, job_tasks.PRUNE_JOB, merchant_id=None)
    assert run_job(app_settings, prune.id) == JobState.SUCCEEDED
    with session_scope(engine) as session:
        left = {job.title for job in session.scalars(select(Job).where(Job.id.in_(kept_ids.values())))}
    assert left == {"recent ok", "queued", "running"}


def test_expired_sign_in_sessions_are_pruned_and_live_ones_kept(engine, app_settings):
    from tokbridge.jobs import tasks as job_tasks
    from tokbridge.tenancy.models import WebSession
    from tokbridge.tenancy.service import create_merchant_with_user, open_session

    with session_scope(engine) as session:
        user = create_merchant_with_user(session, "Pruned Sessions", "prune@example.com", "a long passphrase 42")
        expired, live = open_session(session, app_settings, user), open_session(session, app_settings, user)
        expired.session.expires_at = utcnow() - timedelta(minutes=1)
        live_hash = live.session.token_hash
        prune = enqueue(session, job_tasks.PRUNE_SESSIONS_JOB, merchant_id=None)
    assert job_tasks.PRUNE_SESSIONS_JOB in PERIODIC
    assert run_job(app_settings, prune.id) == JobState.SUCCEEDED
    with session_scope(engine) as session:
        assert session.scalars(select(WebSession.token_hash)).all() == [live_hash]


def test_the_waiting_job_lookup_uses_its_partial_index(engine):
    """The lookup webhook intake makes for every batch reads the small index of jobs waiting for their
    first run, not the merchant's whole history of finished jobs (PostgreSQL: with sequential scans off,
    as on a big table)."""
    from sqlalchemy import text

    from tokbridge.jobs.repository import JobRepository

    compiled = JobRepository.waiting_query("inbox.process", 1).compile(engine)
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            params = tuple(compiled.params[name] for name in compiled.positiontup)  # bound, as when it runs
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params)
        else:
            conn.execute(text("SET enable_seqscan = off"))
            rows = conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params)
        plan = " ".join(str(row[-1]) for row in rows)
    assert "ix_job_waiting" in plan, plan


def _due_now(engine, job_id) -> None:
    with session_scope(engine) as session:
        session.get(Job, job_id).next_run_at = utcnow()


def test_attempts_that_made_progress_do_not_use_up_the_budget(engine, app_settings, merchant_id):
    with session_scope(engine) as session:
        job = enqueue(session, "test.step_then_fail", merchant_id=merchant_id, payload={"steps": 5}, max_attempts=2)
    # Five attempts each meet a transient error, but each got one step further: none counts against the two.
    for _ in range(5):
        _due_now(engine, job.id)
        assert run_job(app_settings, job.id) == "queued"
    _due_now(engine, job.id)
    assert run_job(app_settings, job.id) == "succeeded"
    done = _job(engine, job.id)
    assert done.progress_done == 5 and done.attempts <= done.max_attempts


def test_attempts_without_progress_still_run_out(engine, app_settings, merchant_id):
    with session_scope(engine) as session:
        job = enqueue(
            session,
            "test.step_then_fail",
            merchant_id=merchant_id,
            payload={"steps": 5, "no_progress": True},
            max_attempts=2,
        )
    assert run_job(app_settings, job.id) == "queued"
    _due_now(engine, job.id)
    assert run_job(app_settings, job.id) == "failed"
    assert _job(engine, job.id).last_error == "gave up after 2 attempts: the remote answered 503"


def _killed_worker(engine, job_id, attempts: int, progressed: bool) -> None:
    """The job's worker claimed it (its `attempts`-th attempt) and was killed; its lease ran out."""
    with session_scope(engine) as session:
        row = session.get(Job, job_id)
        row.state, row.worker_id, row.attempts = JobState.RUNNING, "killed-worker", attempts
        row.started_at = utcnow() - timedelta(minutes=6)
        row.progressed_at = utcnow() - timedelta(minutes=5) if progressed else None
        row.lease_expires_at = utcnow() - timedelta(seconds=1)


def test_a_takeover_after_a_killed_worker_stays_within_max_attempts(engine, app_settings, merchant_id):
    with session_scope(engine) as session:
        job = enqueue(session, "test.count", merchant_id=merchant_id, payload={"steps": 2}, max_attempts=3)
    _killed_worker(engine, job.id, attempts=3, progressed=False)
    assert run_maintenance(app_settings)["reclaimed"] == 0
    failed = _job(engine, job.id)
    assert (failed.state, failed.attempts) == ("failed", 3)  # never a 4th attempt of 3
    assert failed.last_error == "gave up after 3 attempts: the worker running it stopped responding"
    with session_scope(engine) as session:
        entry = session.scalar(select(Activity).where(Activity.job_id == job.id))
    assert entry is None or entry.status == "failed"


def test_a_killed_worker_that_made_progress_gives_its_attempt_back(engine, app_settings, merchant_id):
    with session_scope(engine) as session:
        job = enqueue(session, "test.count", merchant_id=merchant_id, payload={"steps": 2}, max_attempts=3)
    _killed_worker(engine, job.id, attempts=3, progressed=True)
    assert run_maintenance(app_settings)["reclaimed"] == 1
    assert _job(engine, job.id).attempts == 2
    assert run_job(app_settings, job.id) == "succeeded"
    assert _job(engine, job.id).attempts == 3


def test_rate_limit_waits_without_progress_for_long_are_reported(engine, app_settings, merchant_id):
    with session_scope(engine) as session:
        job = enqueue(session, "test.throttled", merchant_id=merchant_id)
    assert run_job(app_settings, job.id) == "queued"
    waiting = _job(engine, job.id)
    assert waiting.attempts == 0 and "No progress" not in waiting.last_error
    # Twenty minutes of waits later, still nothing done.
    with session_scope(engine) as session:
        row = session.get(Job, job.id)
        row.created_at, row.next_run_at = utcnow() - timedelta(minutes=20), utcnow()
    assert run_job(app_settings, job.id) == "queued"
    stalled = _job(engine, job.id)
    assert stalled.last_error.startswith("No progress for 20 minutes: waiting for its turn under the rate limit")
    with session_scope(engine) as session:
        entry = session.scalar(select(Activity).where(Activity.job_id == job.id))
    assert entry.status == "ongoing"
    assert entry.message.startswith("No progress for 20 minutes: waiting for its turn under the rate limit")
    assert "/product/" not in entry.message and "GET" not in entry.message
