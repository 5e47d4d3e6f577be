"""Bulk work makes way for urgent work (orders, webhooks): one merchant's upload must not slow another's orders.

Priorities (`priorities.py`) only order what waits in the queue; measured, the orders hardly waited there but
ran several times slower beside an upload in the same process (8 upload threads against one order job for
the GIL and the 2 cores, the sandboxes' CPU too). So bulk jobs call `JobContext.make_way()` between items:

- while urgent work is under way in this process (a job running, or with the embedded queue dispatched and
  not yet started, or a webhook being recorded), bulk threads pause at their next step (`UrgentGate`): an
  event wait, woken the moment the last urgent job finishes, and bounded, so bulk work is slowed, never
  stopped;
- when an urgent job is due, no worker has started it, and every worker thread of this process is busy
  (bulk jobs holding them all), the bulk job hands its thread back (`HandBack`): the runner re-queues it
  at bulk priority, the urgent message overtakes it, and it resumes from its checkpoint. An attempt hands
  back only once it has made progress, so bulk work always moves, and an urgent job whose message was
  lost (until maintenance re-sends it) cannot make a bulk job go round in circles.

On Redis (several worker processes), the order jobs of another process share the cores and the sandboxes
with the upload too: an urgent job is marked in Redis from its dispatch until a worker starts it
(`UrgentElsewhere.expect`, lapsing after EXPECTED_SECONDS like the gate's own) and while it runs
(`urgent_running`), in a sorted set of marks with an expiry, so a killed process's mark lapses by itself.
Bulk threads also pause, bounded the same way, while another process's mark is there, looking again every
`ELSEWHERE_RECHECK_SECONDS`. Measured (bench/fairness.py), the upload keeps about the speed it had with
the in-process pause alone: a dispatch mark is swapped for the running one at start, and a running mark goes
at the end, so bulk work waits only while order work is really on its way or under way.

Threads that only do bulk work (an upload's pool) also run at a lower OS priority, which counts across
processes: the order work of another worker process on the same cores goes first.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
import time
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tokbridge.jobs.models import Job, JobState
from tokbridge.jobs.priorities import PRIORITY_BY_KIND, URGENT

log = logging.getLogger(__name__)


def urgent_kinds() -> list[str]:
    return sorted(kind for kind, priority in PRIORITY_BY_KIND.items() if priority >= URGENT)


class HandBack(Exception):
    """A bulk job gives its worker thread back to urgent work; it resumes from its checkpoint later."""


# How long urgent work dispatched here counts as on its way to a worker thread of this process (the embedded
# queue's consumer polls every 0.2 s); should another process take it, the pause it caused here ends then.
EXPECTED_SECONDS = 2.0


class UrgentGate:
    """Urgent work in this process: jobs running, jobs dispatched and not yet started, webhooks being
    recorded. Bulk threads wait at `make_way` while there is any."""

    def __init__(self) -> None:
        self._running = 0
        self._expected: dict[int, float] = {}  # urgent job id -> time.monotonic() until which it is awaited
        self._changed = threading.Condition()

    def expect(self, job_id: int) -> None:
        with self._changed:
            self._expected[job_id] = time.monotonic() + EXPECTED_SECONDS

    @contextmanager
    def urgent(self, job_id: int | None = None):
        with self._changed:
            self._running += 1
            if job_id is not None:
                self._expected.pop(job_id, None)
        try:
            yield
        finally:
            with self._changed:
                self._running -= 1
                if not self._running:
                    self._changed.notify_all()

    def _awaited_until(self, now: float) -> float | None:
        """Until when urgent work dispatched here is awaited (None: none is), forgetting what is past."""
        self._expected = {job_id: until for job_id, until in self._expected.items() if until > now}
        return max(self._expected.values(), default=None)

    @property
    def busy(self) -> bool:
        with self._changed:
            return self._running > 0 or self._awaited_until(time.monotonic()) is not None

    def make_way(self, max_pause: float, elsewhere: "UrgentElsewhere | None" = None) -> float:
        """Wait until no urgent work is here (nor, given `elsewhere`, running in another process), at most
        `max_pause` seconds. Returns the seconds paused."""
        started = time.monotonic()
        deadline = started + max_pause
        while (now := time.monotonic()) < deadline:
            with self._changed:
                awaited = self._awaited_until(now)
                if self._running or awaited is not None:
                    # Woken when the last running job ends; else when the awaited work's time is up.
                    self._changed.wait(min(deadline, awaited or deadline) - now)
                    continue
            # Asked outside the lock: urgent jobs here start and end meanwhile.
            if elsewhere is None or not elsewhere.running():
                break
            with self._changed:
                # Another process's job ends unseen here: look again shortly (woken sooner by work here).
                self._changed.wait(min(deadline - time.monotonic(), ELSEWHERE_RECHECK_SECONDS))
        return time.monotonic() - started


GATE = UrgentGate()

ELSEWHERE_RECHECK_SECONDS = 0.02
REDIS_AWAY_SECONDS = 5.0
# A running urgent job's mark lapses after this unless it ends first: a killed worker's mark holds bulk work
# back no longer (and then only by `bulk_max_pause_seconds` a step). Order jobs take well under a second.
URGENT_MARK_SECONDS = 30.0


# The mark of an urgent job dispatched and not yet started by any worker (process name "queued"): it pauses
# bulk work from its dispatch, as the gate's `expect` does here, until a worker starts it or EXPECTED_SECONDS.
DISPATCHED = "queued"


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class UrgentElsewhere:
    """Urgent jobs dispatched or running in any worker process, as a Redis sorted set: member
    "host:pid:job" (or "queued:job"), score the Unix time its mark lapses. `running()` sees the other processes' marks only: this one's are the gate's."""

    def __init__(self, redis_url: str, key: str) -> None:
        import redis  # only with Redis configured

        self._redis = redis.Redis.from_url(redis_url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._key = key
        self._failing_until = 0.0  # monotonic: while Redis is away, don't wait on its timeout at every step

    def mark(self, job_id: int | None, process: str, expires_in: float) -> str:
        member = f"{process}:{job_id if job_id is not None else threading.get_ident()}"
        now = time.time()

        def mark_and_forget_lapsed():
            with self._redis.pipeline() as pipeline:
                pipeline.zremrangebyscore(self._key, "-inf", now)
                pipeline.zadd(self._key, {member: now + expires_in})
                if job_id is not None and process != DISPATCHED:
                    pipeline.zrem(self._key, f"{DISPATCHED}:{job_id}")  # now running: its own mark says so
                pipeline.execute()

        self._call(mark_and_forget_lapsed)
        return member

    def expect(self, job_id: int) -> None:
        """An urgent job was just dispatched: bulk work everywhere makes way until a worker starts it."""
        self.mark(job_id, DISPATCHED, EXPECTED_SECONDS)

    def unmark(self, member: str) -> None:
        self._call(lambda: self._redis.zrem(self._key, member))

    def running(self) -> bool:
        mine = this_process() + ":"
        members = self._call(lambda: self._redis.zrangebyscore(self._key, time.time(), "+inf")) or []
        return any(not member.decode().startswith(mine) for member in members)

    def _call(self, command):
        """Redis being away slows nobody down and stops nothing: fairness is a nicety, the work is not."""
        import redis

        if time.monotonic() < self._failing_until:
            return None
        try:
            return command()
        except redis.RedisError as exc:
            log.warning(
                "cannot reach Redis for urgent work in other processes (asking again in %.0f s): %s",
                REDIS_AWAY_SECONDS,
                exc,
            )
            self._failing_until = time.monotonic() + REDIS_AWAY_SECONDS
            return None


_elsewhere: dict[tuple[str, str], UrgentElsewhere] = {}
_elsewhere_lock = threading.Lock()


def urgent_elsewhere(settings) -> UrgentElsewhere | None:
    """The cross-process view for these settings; None for the embedded queue (one process)."""
    if not settings.redis_url:
        return None
    key = (settings.redis_url, f"{settings.queue_name}:urgent-running")
    with _elsewhere_lock:
        if key not in _elsewhere:
            _elsewhere[key] = UrgentElsewhere(*key)
        return _elsewhere[key]


@contextmanager
def urgent_running(
    settings, job_id: int | None = None, process: str | None = None, expires_in: float = URGENT_MARK_SECONDS
):
    """Mark an urgent job running for the other worker processes' bulk work (nothing without Redis)."""
    elsewhere = urgent_elsewhere(settings)
    if elsewhere is None:
        yield
        return
    member = elsewhere.mark(job_id, process or this_process(), expires_in)
    try:
        yield
    finally:
        elsewhere.unmark(member)


# The consumer threads of this process's worker (`tokbridge worker --threads`), once one is started here.
_worker_threads: int | None = None


def set_worker_threads(threads: int | None) -> None:
    global _worker_threads
    _worker_threads = threads


def worker_threads(settings) -> int:
    return _worker_threads or settings.worker_threads


BULK_NICENESS = 10  # added to the thread's niceness (19 at most)


def lower_this_threads_priority() -> None:
    """For a thread that only does bulk work (an upload's pool): the OS gives the cores to the other
    threads and processes first (order work in other worker processes, the web server, the database).
    Linux renices one thread by its id; elsewhere that call would renice the whole process, so nothing."""
    if sys.platform.startswith("linux"):
        try:
            thread_id = threading.get_native_id()
            niceness = min(19, os.getpriority(os.PRIO_PROCESS, thread_id) + BULK_NICENESS)
            os.setpriority(os.PRIO_PROCESS, thread_id, niceness)
        except OSError:  # not allowed here (a container's policy): the pauses above still apply
            pass


def urgent_waiting(session: Session, now: datetime) -> bool:
    """Is urgent work due that no worker has started?"""
    return (
        session.scalar(
            select(Job.id)
            .where(Job.state == JobState.QUEUED, Job.next_run_at <= now, Job.kind.in_(urgent_kinds()))
            .limit(1)
        )
        is not None
    )
