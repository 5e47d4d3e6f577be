"""How close the shared rate limiter gets to TikTok's limit without ever being throttled.

Starts the TikTok sandbox limited to Q requests per second per shop and endpoint, then runs N
workers (threads or processes) that call Get Warehouses for one shop as fast as the shared limiter
lets them. When the limiter says "retry in t seconds" the worker waits t, playing the job layer's
part (a real worker would hand the job back to the queue instead). Prints achieved/Q and the 429s.

    .venv/bin/python bench/tiktok_rate_limit.py                       # 8 processes, SQLite bucket, Q=50, 60 s
    .venv/bin/python bench/tiktok_rate_limit.py --backend redis --duration 10
    .venv/bin/python bench/tiktok_rate_limit.py --mode threads --backend memory --workers 16

Target: achieved/Q >= 0.95 with zero 429s.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.support.live_server

from tests.support.live_server import serve  # noqa: E402

from tokbridge.channels.tiktok.client import TikTokClient  # noqa: E402
from tokbridge.channels.tiktok.errors import RateLimited, TikTokError  # noqa: E402
from tokbridge.channels.tiktok.settings import TikTokAppSettings  # noqa: E402
from tokbridge.channels.tiktok.transport import SignedTransport  # noqa: E402
from tokbridge.kit.ratelimit import RateLimiter, make_rate_limiter  # noqa: E402
from tokbridge_sandboxes.tiktok import SandboxConfig, create_app  # noqa: E402

APP_KEY, APP_SECRET = "bench_key", "bench_secret"


@dataclass(frozen=True)
class Job:
    base_url: str
    access_token: str
    shop_id: str
    shop_cipher: str
    rate: int
    burst: int
    backend: str
    location: str  # SQLite path or Redis prefix
    redis_url: str
    start_at: float
    stop_at: float


@dataclass
class Tally:
    ok: int = 0
    local_waits: int = 0
    throttled_429: int = 0
    other_errors: int = 0

    def add(self, other: Tally) -> None:
        self.ok += other.ok
        self.local_waits += other.local_waits
        self.throttled_429 += other.throttled_429
        self.other_errors += other.other_errors


class BootstrapToken:
    """The sandbox's pre-authorized token; the bench runs far inside its 7-day life."""

    def __init__(self, token: str):
        self.token = token

    def access_token(self, shop_id: str) -> str:
        return self.token

    def refresh(self, shop_id: str, rejected_token: str) -> str:
        raise RuntimeError("the bench token expired; restart the bench")

    def settled_token(self, shop_id: str) -> str:
        return self.token


def build_limiter(job: Job) -> RateLimiter:
    if job.backend == "redis":
        return make_rate_limiter(job.rate, burst=job.burst, redis_url=job.redis_url, prefix=job.location)
    if job.backend == "sqlite":
        return make_rate_limiter(job.rate, burst=job.burst, sqlite_path=job.location)
    return make_rate_limiter(job.rate, burst=job.burst)


def run_worker(job: Job, limiter: RateLimiter | None = None) -> Tally:
    app = TikTokAppSettings(app_key=APP_KEY, app_secret=APP_SECRET, timeout_seconds=10)
    transport = SignedTransport(app, job.base_url, limiter=limiter or build_limiter(job))
    client = TikTokClient(
        transport, shop_id=job.shop_id, shop_cipher=job.shop_cipher, tokens=BootstrapToken(job.access_token)
    )
    tally = Tally()
    time.sleep(max(0.0, job.start_at - time.time()))  # every worker starts together
    while time.time() < job.stop_at:
        try:
            client.get_warehouses()
            tally.ok += 1
        except RateLimited as exc:
            if exc.http_status == 429:
                tally.throttled_429 += 1
            else:
                tally.local_waits += 1
            # The job layer's part: come back when told (bounded by the end of the run).
            time.sleep(min(exc.retry_after or 0.01, max(0.0, job.stop_at - time.time())))
        except TikTokError:
            tally.other_errors += 1
    transport.close()
    return tally


def run_thread_workers(job: Job, workers: int, shared: RateLimiter | None) -> Tally:
    import threading

    results: list[Tally] = []
    lock = threading.Lock()

    def target() -> None:
        tally = run_worker(job, shared)
        with lock:
            results.append(tally)

    threads = [threading.Thread(target=target) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = Tally()
    for tally in results:
        total.add(tally)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--rate", type=int, default=50, help="Q: the sandbox's limit per shop and endpoint, req/s")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of measured load")
    parser.add_argument("--mode", choices=("processes", "threads"), default="processes")
    parser.add_argument("--backend", choices=("sqlite", "redis", "memory"), default="sqlite")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--burst", type=int, default=None, help="limiter burst (default: the client's setting)")
    args = parser.parse_args()
    if args.mode == "processes" and args.backend == "memory":
        parser.error("processes cannot share a memory bucket: use --backend sqlite or redis")
    burst = args.burst or TikTokAppSettings().rate_limit_burst

    app = create_app(SandboxConfig(app_key=APP_KEY, app_secret=APP_SECRET, rate_limit_per_second=args.rate, seed=3))
    with serve(app) as base_url, tempfile.TemporaryDirectory() as scratch:
        control = httpx.Client(base_url=base_url)
        state = control.get("/sandbox/state").json()
        shop = state["shops"][0]
        location = str(Path(scratch) / "rate.sqlite") if args.backend == "sqlite" else f"bench:{uuid.uuid4().hex[:8]}"
        start_at = time.time() + (3.0 if args.mode == "processes" else 0.2)
        job = Job(
            base_url,
            state["bootstrap_token"]["access_token"],
            shop["id"],
            shop["cipher"],
            args.rate,
            burst,
            args.backend,
            location,
            args.redis_url,
            start_at,
            start_at + args.duration,
        )

        if args.mode == "processes":
            with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
                total = Tally()
                for tally in pool.map(run_worker, [job] * args.workers):
                    total.add(tally)
        else:
            shared = build_limiter(job) if args.backend == "memory" else None
            total = run_thread_workers(job, args.workers, shared)

        server = control.get("/sandbox/state").json()["rate_limit"]
        control.close()
        if args.backend == "redis":
            import redis

            client = redis.Redis.from_url(args.redis_url)
            keys = list(client.scan_iter(match=f"{location}:*"))
            if keys:
                client.delete(*keys)

    achieved = total.ok / args.duration
    print(
        f"workers={args.workers} mode={args.mode} backend={args.backend} Q={args.rate}/s burst={burst} duration={args.duration:.0f}s"
    )
    print(f"successful calls: {total.ok}  achieved: {achieved:.2f}/s  achieved/Q: {achieved / args.rate:.3f}")
    print(
        f"429s seen by workers: {total.throttled_429}  throttled by the sandbox: {server['throttled']}  "
        f"local limiter refusals: {total.local_waits}  other errors: {total.other_errors}"
    )
    ok = achieved / args.rate >= 0.95 and total.throttled_429 == 0
    print("target (>= 0.95, no 429):", "met" if ok else "NOT met")


if __name__ == "__main__":
    main()
