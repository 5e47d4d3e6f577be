"""Which function runs which kind of job, and which jobs run periodically.

Domain modules register their handlers in their own `tasks.py`:

    @job_handler("catalog.import", title="Import catalog")
    def import_catalog(ctx: JobContext) -> None: ...

    periodic("sessions.prune", every_seconds=3600)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

# Modules whose import registers the built-in handlers.
BUILTIN_TASK_MODULES = [
    "tokbridge.jobs.tasks",
    "tokbridge.listings.tasks",
    "tokbridge.catalog.tasks",
    "tokbridge.category_templates.tasks",
    "tokbridge.onboarding.tasks",
    "tokbridge.orders.tasks",
    "tokbridge.inbox.tasks",
    "tokbridge.notifications.tasks",
    "tokbridge.undo.tasks",
]


@dataclass(frozen=True)
class HandlerSpec:
    kind: str
    func: Callable
    title: str
    # Shown under Recent Activity (merchant jobs only).
    visible: bool = True
    # Called as on_failure(session, job, message) in the transaction that records the job as failed for
    # good (attempts used up, or a permanent error): to leave no work marked as under way.
    on_failure: Callable | None = None


@dataclass(frozen=True)
class PeriodicSpec:
    kind: str
    every_seconds: int
    payload: dict | None = None


HANDLERS: dict[str, HandlerSpec] = {}
PERIODIC: dict[str, PeriodicSpec] = {}


def job_handler(kind: str, title: str = "", visible: bool = True, on_failure: Callable | None = None):
    def register(func: Callable) -> Callable:
        HANDLERS[kind] = HandlerSpec(kind=kind, func=func, title=title or kind, visible=visible, on_failure=on_failure)
        return func

    return register


def periodic(kind: str, every_seconds: int, payload: dict | None = None) -> None:
    """Run the (system) job `kind` once per period, however many workers are running."""
    PERIODIC[kind] = PeriodicSpec(kind=kind, every_seconds=every_seconds, payload=payload)


def load_handlers(extra_modules: list[str] | None = None) -> None:
    for name in BUILTIN_TASK_MODULES + list(extra_modules or []):
        importlib.import_module(name)


def handler_for(kind: str) -> HandlerSpec | None:
    return HANDLERS.get(kind)
