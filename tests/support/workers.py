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
    return subprocess.Popen([sys.executable, "-m", "tokbridge.cli", "worker"], env=full_env, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=open(os.environ.get("TEST_WORKER_LOG", os.devnull), "a"))


def stop(*processes: subprocess.Popen | None) -> None:
    for process in processes:
        if process and process.poll() is None:
            process.terminate()
            process.wait(10)
