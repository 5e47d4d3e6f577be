"""Group commit for webhook intake: verified events from concurrent requests are recorded together.

Each request verifies its signature itself (no database), hands the event to the process's recorder and
waits for it: a single writer thread takes everything waiting, records it in one transaction (one INSERT
for the inbox rows, one processing job per merchant), commits, and only then answers each request. A burst of
webhooks costs one transaction per batch instead of one per webhook, and nothing is acknowledged before it is
stored.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence

from tokbridge.db.engine import get_engine, session_scope
from tokbridge.inbox.service import Intake, Verified, record

log = logging.getLogger(__name__)

MAX_BATCH = 500


class IntakeRecorder:
    def __init__(self, database_url: str, max_batch: int = MAX_BATCH):
        self._engine = get_engine(database_url)
        self._max_batch = max_batch
        self._waiting: list[tuple[Verified, asyncio.Future]] = []
        self._wake = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="webhook-intake", daemon=True)
        self._thread.start()

    async def record(self, event: Verified) -> Intake:
        """Record `event` with whatever else is waiting; returns once it is committed."""
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        with self._wake:
            self._waiting.append((event, future))
            self._wake.notify()
        return await future

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._waiting:
                    self._wake.wait()
                batch, self._waiting = self._waiting[: self._max_batch], self._waiting[self._max_batch :]
            results = self._record([event for event, _ in batch])
            # One wake-up per event loop for the whole batch, not one per request.
            by_loop: dict[asyncio.AbstractEventLoop, list] = {}
            for (_, future), result in zip(batch, results, strict=True):
                by_loop.setdefault(future.get_loop(), []).append((future, result))
            for loop, settled in by_loop.items():
                try:
                    loop.call_soon_threadsafe(_settle, settled)
                except RuntimeError:  # that loop has closed: its requests are gone
                    log.info("%d webhook answers dropped: their server loop closed", len(settled))

    def _record(self, events: list[Verified]) -> Sequence[Intake | BaseException]:
        try:
            with session_scope(self._engine) as session:
                return record(session, events)
        except Exception as exc:  # noqa: BLE001 - answered as a 503, which the platform retries later
            log.exception("recording %d webhooks failed; the platforms will deliver them again", len(events))
            if len(events) == 1:
                return [exc]
        # Intake refuses what it can tell cannot be stored; should an event still fail its batch, it must
        # not take the others with it: each is recorded alone, and only the failing ones are refused.
        return [self._record_alone(event) for event in events]

    def _record_alone(self, event: Verified) -> Intake | BaseException:
        try:
            with session_scope(self._engine) as session:
                return record(session, [event])[0]
        except Exception as exc:  # noqa: BLE001 - the batch's failure was logged with its trace above
            log.error(
                "a %s webhook (topic %.100s) could not be recorded alone either: %s: %.200s",
                event.source,
                event.topic,
                type(exc).__name__,
                exc,
            )
            return exc


def _settle(settled: list[tuple[asyncio.Future, Intake | BaseException]]) -> None:
    for future, result in settled:
        if future.done():
            continue
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)


_recorders: dict[str, IntakeRecorder] = {}
_lock = threading.Lock()


def recorder_for(database_url: str) -> IntakeRecorder:
    """One recorder (and writer thread) per database, for the life of the process."""
    with _lock:
        if database_url not in _recorders:
            _recorders[database_url] = IntakeRecorder(database_url)
        return _recorders[database_url]
