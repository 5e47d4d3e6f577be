"""The queue transport: Huey. The only module that imports it.

Messages carry a job id and nothing else; the job table is the truth (see runner.py). Embedded
default: Huey on a SQLite file of its own (var/queue.db), consumed by threads inside `tokbridge serve`.
With REDIS_URL: Huey on Redis, consumed by any number of `tokbridge worker` processes.
Both storages hand out the highest priority first (`priorities.py`): orders before bulk work.
"""

from __future__ import annotations

import logging
import threading

from huey import PriorityRedisHuey, SqliteHuey
from huey.api import Huey, TaskWrapper

from tokbridge.config import Settings, get_settings

log = logging.getLogger(__name__)

_lock = threading.Lock()
_instances: dict[tuple, tuple[Huey, TaskWrapper]] = {}


def _key(settings: Settings) -> tuple:
    return (settings.redis_url, settings.queue_name, str(settings.data_dir))


def huey_for(settings: Settings) -> tuple[Huey, TaskWrapper]:
    """The Huey instance for these settings and its one task, `execute_job(job_id)`."""
    key = _key(settings)
    with _lock:
        if key not in _instances:
            if settings.redis_url:
                huey = PriorityRedisHuey(settings.queue_name, url=settings.redis_url)
                _drop_unprioritised_queue(huey)
            else:
                settings.data_dir.mkdir(parents=True, exist_ok=True)
                huey = SqliteHuey(settings.queue_name, filename=str(settings.data_dir / "queue.db"))

            @huey.task(name="tokbridge.execute_job")
            def execute_job(job_id: int) -> None:
                from tokbridge.jobs.runner import run_job

                run_job(settings, job_id)

            _instances[key] = (huey, execute_job)
        return _instances[key]


def _drop_unprioritised_queue(huey: Huey) -> None:
    """Before priorities the Redis queue was a list under the same key; a sorted set cannot share it.
    Its messages only carry job ids, so dropping them loses nothing: maintenance re-dispatches the jobs."""
    storage = huey.storage
    if storage.conn.type(storage.queue_key) == b"list":
        log.warning("dropping the queue's messages of the previous (unprioritised) format; jobs are re-dispatched")
        storage.conn.delete(storage.queue_key)


def dispatch(
    job_id: int, delay: float | None = None, settings: Settings | None = None, priority: int | None = None
) -> None:
    """Wake a worker for this job. Losing this message loses nothing: maintenance re-dispatches."""
    settings = settings or get_settings()
    _huey, execute_job = huey_for(settings)
    try:
        if delay:
            execute_job.schedule((job_id,), delay=delay, priority=priority)
        else:
            execute_job(job_id, priority=priority)
    except Exception:  # noqa: BLE001 - the job row stays queued and maintenance will re-dispatch it
        log.exception("could not dispatch job %s; it will be re-dispatched", job_id)


def ping(settings: Settings | None = None) -> None:
    """Raise if the queue storage cannot be reached (used by /readyz)."""
    settings = settings or get_settings()
    huey, _task = huey_for(settings)
    huey.pending_count()


def pending_count(settings: Settings | None = None) -> int:
    huey, _task = huey_for(settings or get_settings())
    return huey.pending_count()


def flush(settings: Settings | None = None) -> None:
    huey, _task = huey_for(settings or get_settings())
    huey.flush()


def create_consumer(settings: Settings, workers: int):
    """Threads that take messages off the queue. Periodic work is ours (maintenance.py), not Huey's."""
    huey, _task = huey_for(settings)
    # An idle SQLite consumer polls; cap its back-off so new work starts within a fifth of a second
    # (a webhook's order goes through three jobs on its way to the store).
    return huey.create_consumer(
        workers=workers, worker_type="thread", periodic=False, check_worker_health=True, max_delay=0.2
    )
