"""Job handlers used by the job-layer tests; workers load them through JOB_MODULES."""

from __future__ import annotations

import threading

from tokbridge.activity.service import record
from tokbridge.jobs.priorities import PRIORITY_BY_KIND, URGENT
from tokbridge.jobs.registry import job_handler
from tokbridge.jobs.runner import JobContext
from tokbridge.kit.errors import PermanentError, RetryableError

# Stands in for slow external work in a step; tests never wait on it, they wait on job state.
_work = threading.Event()


@job_handler("test.count", title="Count steps")
def count_steps(ctx: JobContext) -> None:
    """Writes one activity row per step, each with its checkpoint in the same transaction."""
    total = int(ctx.payload["steps"])
    start = int(ctx.checkpoint.get("next", 0))
    for step in range(start, total):
        _work.wait(float(ctx.payload.get("step_seconds", 0)))
        with ctx.session() as session, session.begin():
            record(session, ctx.merchant_id, "test.step", f"step {step}")
            ctx.progress(step + 1, total, checkpoint={"next": step + 1}, session=session)


@job_handler("test.flaky", title="Flaky work")
def flaky(ctx: JobContext) -> None:
    if ctx.attempt < int(ctx.payload.get("succeed_on", 2)):
        raise RetryableError("the remote answered 503", retry_after=ctx.payload.get("retry_after"))


@job_handler("test.broken", title="Broken work")
def broken(ctx: JobContext) -> None:
    raise PermanentError("the product has no SKU; add one in your store")


@job_handler("test.crash", title="Crashing work")
def crash(ctx: JobContext) -> None:
    raise ZeroDivisionError("division by zero")


@job_handler("test.system", title="System work", visible=False)
def system(ctx: JobContext) -> None:
    ctx.progress(1, 1)


@job_handler("test.step_then_fail", title="Progress, then a transient error")
def step_then_fail(ctx: JobContext) -> None:
    """Each attempt does one step and then meets a transient error, until every step is done."""
    total = int(ctx.payload["steps"])
    step = int(ctx.checkpoint.get("next", 0))
    if step >= total:
        return
    if not ctx.payload.get("no_progress"):
        with ctx.session() as session, session.begin():
            ctx.progress(step + 1, total, checkpoint={"next": step + 1}, session=session)
    raise RetryableError("the remote answered 503", retry_after=0)


@job_handler("test.throttled", title="Throttled work")
def throttled(ctx: JobContext) -> None:
    from tokbridge.channels.tiktok.errors import RateLimited

    raise RateLimited("local rate limit for GET /product/202309/products/{product_id}", retry_after=30)


# A job that runs until the test lets it finish (tests/test_job_leases.py): longer than its lease.
hold_started = threading.Event()
hold_release = threading.Event()


@job_handler("test.hold", title="Long work", visible=False)
@job_handler("test.urgent_hold", title="Long order work", visible=False)
def hold(ctx: JobContext) -> None:
    hold_started.set()
    if not hold_release.wait(timeout=120):
        raise RetryableError("the test never let the long work finish")


PRIORITY_BY_KIND["test.urgent_hold"] = URGENT
