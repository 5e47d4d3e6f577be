"""The embedded default: the web process runs the job consumer itself, on the SQLite queue."""

from __future__ import annotations

import httpx

from tests.support.live_server import serve
from tests.support.waiting import wait_for
from tokbridge.db.engine import get_engine, session_scope
from tokbridge.jobs.models import Job
from tokbridge.jobs.service import enqueue
from tokbridge.web.app import create_app


def test_web_process_runs_queued_jobs(app_settings, merchant_id):
    engine = get_engine(app_settings.database_url)
    with serve(create_app(app_settings, embedded_worker=True)) as base_url:
        assert httpx.get(f"{base_url}/readyz").status_code == 200
        with session_scope(engine) as session:
            job_id = enqueue(session, "test.count", merchant_id=merchant_id, payload={"steps": 3}).id

        def finished():
            with session_scope(engine) as session:
                job = session.get(Job, job_id)
                return job.state == "succeeded" and job

        job = wait_for(finished, timeout=30, what="the embedded worker to run the job")
    assert job.progress_done == 3 and job.attempts == 1
