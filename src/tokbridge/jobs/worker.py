"""Worker processes: queue consumer threads plus the maintenance loop.

`tokbridge worker` runs one in the foreground (distributed mode, any number of processes);
`tokbridge serve` starts one inside the web process (embedded default).
"""

from __future__ import annotations

import logging
import signal
import threading

from tokbridge.config import Settings
from tokbridge.jobs import fairness, queue
from tokbridge.jobs.maintenance import MaintenanceLoop
from tokbridge.jobs.registry import load_handlers

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, settings: Settings, threads: int | None = None):
        self.settings = settings
        load_handlers(settings.job_modules)
        fairness.set_worker_threads(threads or settings.worker_threads)  # bulk jobs hand back when all are busy
        self.consumer = queue.create_consumer(settings, threads or settings.worker_threads)
        self.maintenance = MaintenanceLoop(settings)

    def start(self) -> None:
        """Start in background threads (embedded mode)."""
        self.maintenance.start()
        # Huey's start() installs its own SIGINT/SIGTERM handlers, which only its run() loop obeys;
        # inside the web server, the server's handlers must stay in charge of shutting down.
        in_main_thread = threading.current_thread() is threading.main_thread()
        saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        if in_main_thread:
            self.consumer.start()
        else:  # signal handlers can only be set from the main thread; Huey's would fail here
            self.consumer.scheduler.start()
            for _, thread in self.consumer.worker_threads:
                thread.start()
        if in_main_thread:
            for sig, handler in saved.items():
                signal.signal(sig, handler)
        log.info("embedded worker started")

    def stop(self) -> None:
        self.consumer.stop(graceful=True)
        self.maintenance.stop()
        fairness.set_worker_threads(None)

    def run_forever(self) -> None:
        """Run in the foreground until SIGINT/SIGTERM (distributed mode)."""
        self.maintenance.start()
        try:
            self.consumer.run()
        finally:
            self.maintenance.stop()
