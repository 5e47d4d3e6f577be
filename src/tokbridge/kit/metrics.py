"""Prometheus metrics that the code counts as it works: jobs run, webhooks taken or refused, calls to each
platform and the rate-limit waits they met. What the database already knows (jobs by state, the queue,
listings, orders held by the plan) is read when `/metrics` is scraped instead (web/metrics.py), so it is
never counted twice.

The only importer of `prometheus_client`. Several processes (the web app, `tokbridge worker`s) add up in
multi-process mode: `use_directory` (called by the CLI at start, from the METRICS_DIR setting) makes every
process write its counts to files there, and `/metrics` sums them. Without it, a process serves its own.

Labels stay few: a platform is the plugin's `kind` (or the client's own name inside its folder), an
endpoint is a path template or an operation name, never an id.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported for real on first use only, like the rest of prometheus_client here
    from prometheus_client import CollectorRegistry, Counter, Histogram

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# What became of one call to a platform.
OK = "ok"
RATE_LIMITED = "rate_limited"  # the platform's 429 (or its own word for it)
CLIENT_ERROR = "client_error"  # refused as sent: 4xx, or an error code in a 200 envelope
SERVER_ERROR = "server_error"
TIMEOUT = "timeout"
UNREACHABLE = "unreachable"

# Who made a request wait: our own limiter (no call sent) or the platform's answer.
LOCAL = "local"
PLATFORM = "platform"

_JOB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)
_CALL_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


def use_directory(directory: Path | str | None) -> None:
    """Count into files in `directory`, shared with the other processes (before any metric is counted)."""
    if not directory:
        return
    Path(directory).mkdir(parents=True, exist_ok=True)
    os.environ[MULTIPROCESS_ENV] = str(directory)
    if "prometheus_client.values" in sys.modules:  # imported already (by a library): choose its storage again
        from prometheus_client import values

        values.ValueClass = values.get_value_class()
    with _creating:
        _made.cache_clear()


@dataclass(frozen=True)
class _Instruments:
    registry: CollectorRegistry  # this process's own (when no directory is shared)
    job_duration: Histogram
    webhooks_received: Counter
    webhooks_refused: Counter
    platform_calls: Counter
    platform_call_seconds: Histogram
    rate_limit_waits: Counter
    rate_limit_wait_seconds: Counter


_creating = threading.Lock()


def _instruments() -> _Instruments:
    """This process's instruments, made on first use (threads that count at once get the same ones)."""
    with _creating:
        return _made()


@lru_cache(maxsize=1)
def _made() -> _Instruments:
    from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics

    disable_created_metrics()  # a `_created` series per label set doubles the output and says little here
    registry = CollectorRegistry()

    def counter(name: str, documentation: str, labels: list[str]) -> Counter:
        return Counter(name, documentation, labels, registry=registry)

    def histogram(name: str, documentation: str, labels: list[str], buckets: tuple) -> Histogram:
        return Histogram(name, documentation, labels, buckets=buckets, registry=registry)

    return _Instruments(
        registry=registry,
        job_duration=histogram(
            "tokbridge_job_duration_seconds",
            "How long one attempt of a job ran, by its outcome",
            ["kind", "outcome"],
            _JOB_BUCKETS,
        ),
        webhooks_received=counter("tokbridge_webhooks_received", "Webhooks verified and recorded", ["platform"]),
        webhooks_refused=counter(
            "tokbridge_webhooks_refused",
            "Webhooks answered with an error (bad signature, malformed, too large, not recorded)",
            ["platform", "status"],
        ),
        platform_calls=counter(
            "tokbridge_platform_calls",
            "Requests sent to a platform, by endpoint and outcome",
            ["platform", "endpoint", "outcome"],
        ),
        platform_call_seconds=histogram(
            "tokbridge_platform_call_seconds", "How long a platform took to answer", ["platform"], _CALL_BUCKETS
        ),
        rate_limit_waits=counter(
            "tokbridge_rate_limit_waits",
            "Requests held back by a rate limit: ours (local) or the platform's answer",
            ["platform", "source"],
        ),
        rate_limit_wait_seconds=counter(
            "tokbridge_rate_limit_wait_seconds",
            "Seconds of waiting those rate limits asked for",
            ["platform", "source"],
        ),
    )


def job_attempt(kind: str, outcome: str, seconds: float) -> None:
    _instruments().job_duration.labels(kind, outcome).observe(max(0.0, seconds))


def webhook_received(platform: str) -> None:
    _instruments().webhooks_received.labels(platform).inc()


def webhook_refused(platform: str, status: int) -> None:
    _instruments().webhooks_refused.labels(platform, str(status)).inc()


def platform_call(platform: str, endpoint: str, outcome: str, seconds: float | None = None) -> None:
    instruments = _instruments()
    instruments.platform_calls.labels(platform, endpoint, outcome).inc()
    if seconds is not None:
        instruments.platform_call_seconds.labels(platform).observe(max(0.0, seconds))


def rate_limit_wait(platform: str, source: str, seconds: float | None) -> None:
    instruments = _instruments()
    instruments.rate_limit_waits.labels(platform, source).inc()
    instruments.rate_limit_wait_seconds.labels(platform, source).inc(max(0.0, seconds or 0.0))


def outcome_of_status(status: int) -> str:
    """The outcome of an HTTP answer by its status alone."""
    if status == 429:
        return RATE_LIMITED
    if status >= 500:
        return SERVER_ERROR
    if status >= 400:
        return CLIENT_ERROR
    return OK


_ID_SEGMENT = re.compile(r"^(?:\d+|[0-9a-fA-F-]{16,}|[A-Za-z0-9_-]*\d[A-Za-z0-9_-]{11,})$")


def path_template(path: str) -> str:
    """`/shops/123/listings/456` -> `/shops/{id}/listings/{id}`: an endpoint label without ids."""
    return "/".join("{id}" if _ID_SEGMENT.match(segment) else segment for segment in path.split("/"))


# --- reading ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gauge:
    """A value read when scraped (from the database): `samples` are (label values, value)."""

    name: str
    documentation: str
    labels: Sequence[str]
    samples: Iterable[tuple[Sequence[str], float]]


def exposition(directory: Path | str | None, gauges: Iterable[Gauge] = ()) -> bytes:
    """The text format: what this process counted (or, given the shared `directory`, what every process
    counted), then `gauges`."""
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.core import GaugeMetricFamily
    from prometheus_client.multiprocess import MultiProcessCollector

    if directory and Path(directory).is_dir():
        counted = CollectorRegistry()
        MultiProcessCollector(counted, path=str(directory))
    else:
        counted = _instruments().registry

    class _Read:
        def collect(self):
            for gauge in gauges:
                family = GaugeMetricFamily(gauge.name, gauge.documentation, labels=list(gauge.labels))
                for label_values, value in gauge.samples:
                    family.add_metric(list(label_values), value)
                yield family

    read = CollectorRegistry()
    read.register(_Read())
    return generate_latest(counted) + generate_latest(read)
