"""Worker processes: queue consumer threads plus the maintenance loop.

`tokbridge worker` runs one in the foreground (distributed mode, any number of processes);
`tokbridge serve` starts one inside the web process (embedded default).
"""

from __future__ import annotations

import logging

from tokbridge.config import Settings
from tokbridge.jobs import queue
from tokbridge.jobs.maintenance import MaintenanceLoop
from tokbridge.jobs.registry import load_handlers

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, settings: Settings, threads: int | None = None):
        self.settings = settings
        load_handlers(settings.job_modules)
        self.consumer = queue.create_consumer(settings, threads or settings.worker_threads)
        self.maintenance = MaintenanceLoop(settings)

    def start(self) -> None:
        """Start in background threads (embedded mode)."""
        self.maintenance.start()
        self.consumer.start()
        log.info("embedded worker started")

    def stop(self) -> None:
        self.consumer.stop(graceful=True)
        self.maintenance.stop()

    def run_forever(self) -> None:
        """Run in the foreground until SIGINT/SIGTERM (distributed mode)."""
        self.maintenance.start()
        try:
            self.consumer.run()
        finally:
            self.maintenance.stop()
