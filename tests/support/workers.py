"""`tokbridge worker` processes for tests that kill one mid-job."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def start_worker(env: dict | None = None) -> subprocess.Popen:
    """A worker with this process's environment (settings, sandbox URLs) plus `env`."""
    full_env = {**os.environ, **(env or {}), "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "tokbridge.cli", "worker"],
        env=full_env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=open(os.environ.get("TEST_WORKER_LOG", os.devnull), "a"),
    )


def stop(*processes: subprocess.Popen | None) -> None:
    for process in processes:
        if process and process.poll() is None:
            process.terminate()
            process.wait(10)


def crash_env(request) -> dict:
    """Settings for killing a worker mid-job: short leases and quick maintenance, so another worker takes
    the job over within seconds; Redis on PostgreSQL runs (the deployment's queue), SQLite's embedded queue otherwise."""
    env = {"JOB_LEASE_SECONDS": "4", "JOB_MAINTENANCE_SECONDS": "0.5", "WORKER_THREADS": "2"}
    if "postgresql" in request.getfixturevalue("database_url"):
        env.update(
            {"REDIS_URL": request.getfixturevalue("redis_url"), "QUEUE_NAME": request.getfixturevalue("redis_prefix")}
        )
    return env


def kill_midway_and_take_over(env: dict, job, *, started, finished, timeout: float = 180) -> None:
    """Start a worker, SIGKILL it once `started(job())` holds (the job running, partly done), then start
    another and wait until `finished(job())`. `job` reads the job row afresh."""
    import signal

    from tests.support.waiting import wait_for

    first = start_worker(env)
    second = None
    try:
        wait_for(lambda: started(job()), timeout=90, what="the first worker to do part of the job")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert job().state == "running", "the kill landed in the middle of the job"
        second = start_worker(env)
        wait_for(lambda: finished(job()), timeout=timeout, what="the second worker to finish")
    finally:
        stop(first, second)
