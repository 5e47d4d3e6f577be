"""Token-bucket rate limits shared by every worker, without ever sleeping.

One bucket per key (for TikTok: app, shop and endpoint), refilled at `per_second` tokens per
second. `try_acquire` answers at once: admitted, or "come back in N seconds", so a worker hands
the job back to the queue instead of blocking a thread. A server's own 429 is recorded with
`cool_down`, which holds every key of that scope (a shop, say) until the time has passed.

Built on PyrateLimiter's `TokenBucket` algorithm and `StateBucket`; where the state lives decides
who shares it:
- `MemoryBackend`: one process (tests, a single worker).
- `SQLiteBackend`: every process on one host, through one SQLite file; SQLite's own file lock
  makes each read-modify-write atomic (`BEGIN IMMEDIATE`). The embedded default.
- `RedisBackend`: every process on every host, through PyrateLimiter's Lua script.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pyrate_limiter import (
    Decision,
    Duration,
    InMemoryStateStore,
    Rate,
    RateItem,
    RedisStateStore,
    StateBucket,
    StateStore,
    TokenBucket,
    WallClock,
)

# Each key is the joined parts; the separator cannot appear inside a TikTok id or path.
KEY_SEPARATOR = "|"


@dataclass(frozen=True)
class Admission:
    allowed: bool
    retry_after: float = 0.0  # seconds; 0 when allowed


ADMITTED = Admission(True)


class Backend(Protocol):
    def store_for(self, key: str) -> StateStore: ...

    def cool_down_until(self, scope: str) -> float | None: ...

    def set_cool_down(self, scope: str, until: float) -> None: ...


class RateLimiter:
    """`try_acquire(*key)` spends one token of that key's bucket or says when to retry."""

    def __init__(self, backend: Backend, per_second: int = 50, *, burst: int = 1, period_seconds: float = 1.0):
        # burst=1 spaces requests evenly (one every 1/per_second s), so no one-second window the
        # server counts in can ever hold more than `per_second` of ours.
        if per_second < 1 or burst < 1 or period_seconds <= 0:
            raise ValueError("per_second and burst must be at least 1, period_seconds positive")
        self.backend = backend
        # `per_second` tokens per `period_seconds` (one second unless a test wants a slower drip).
        self.rate = Rate(per_second, int(period_seconds * Duration.SECOND), burst=burst)
        self._algorithm = TokenBucket()
        self._clock = WallClock()  # shared stores compare timestamps across processes
        self._buckets: dict[str, StateBucket] = {}
        self._lock = threading.Lock()

    def _bucket(self, key: str) -> StateBucket:
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                store = self.backend.store_for(key)
                bucket = StateBucket([self.rate], algorithm=self._algorithm, store=store, clock=self._clock)
                self._buckets[key] = bucket
            return bucket

    def try_acquire(self, *key: str, cool_down_scope: Sequence[str] | None = None) -> Admission:
        """Never blocks. `cool_down_scope` names the scope whose server cool-down also applies."""
        now = time.time()
        if cool_down_scope is not None:
            until = self.backend.cool_down_until(KEY_SEPARATOR.join(cool_down_scope))
            if until is not None and until > now:
                return Admission(False, until - now)
        joined = KEY_SEPARATOR.join(key)
        bucket = self._bucket(joined)
        item = RateItem(joined, bucket.now())
        decision = bucket.put_decision(item)
        if not isinstance(decision, Decision):  # an asynchronous store would answer later: none is used here
            raise TypeError("the rate limit's store must answer at once")
        if decision.allowed:
            return ADMITTED
        wait_ms = (
            decision.retry_after_ms if decision.retry_after_ms is not None else self.rate.interval // self.rate.limit
        )
        return Admission(False, max(wait_ms, 1) / 1000)

    def cool_down(self, scope: Sequence[str], seconds: float) -> None:
        """Hold every request in `scope` for `seconds` (after a server 429)."""
        self.backend.set_cool_down(KEY_SEPARATOR.join(scope), time.time() + max(0.0, seconds))


class MemoryBackend:
    def __init__(self) -> None:
        self._cool_downs: dict[str, float] = {}
        self._lock = threading.Lock()

    def store_for(self, key: str) -> StateStore:
        return InMemoryStateStore()

    def cool_down_until(self, scope: str) -> float | None:
        with self._lock:
            return self._cool_downs.get(scope)

    def set_cool_down(self, scope: str, until: float) -> None:
        with self._lock:
            self._cool_downs[scope] = max(until, self._cool_downs.get(scope, 0.0))


class RedisBackend:
    def __init__(self, redis_url: str, prefix: str = "tokbridge"):
        import redis  # only needed when Redis is configured

        self.redis = redis.Redis.from_url(redis_url)
        self.prefix = f"{prefix}:ratelimit"

    def store_for(self, key: str) -> StateStore:
        return RedisStateStore(self.redis, f"{self.prefix}:bucket:{key}")

    def cool_down_until(self, scope: str) -> float | None:
        value = self.redis.get(f"{self.prefix}:cooldown:{scope}")
        return float(value) if value is not None else None

    def set_cool_down(self, scope: str, until: float) -> None:
        ttl_ms = max(1, int((until - time.time()) * 1000))
        self.redis.set(f"{self.prefix}:cooldown:{scope}", repr(until), px=ttl_ms)


class SQLiteBackend:
    """Bucket states in one SQLite file; each process and thread opens its own connection."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._transaction() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS rate_bucket (key TEXT PRIMARY KEY, state TEXT NOT NULL)")
            conn.execute("CREATE TABLE IF NOT EXISTS rate_cool_down (scope TEXT PRIMARY KEY, until REAL NOT NULL)")

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, taking the write lock
            # before reading so two processes cannot both spend the same token.
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            _switch_to_wal(conn, deadline=time.monotonic() + 10)
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def _transaction(self) -> _SQLiteTransaction:
        return _SQLiteTransaction(self._connection())

    def store_for(self, key: str) -> StateStore:
        return SQLiteStateStore(self, key)

    def cool_down_until(self, scope: str) -> float | None:
        row = self._connection().execute("SELECT until FROM rate_cool_down WHERE scope = ?", (scope,)).fetchone()
        return row[0] if row else None

    def set_cool_down(self, scope: str, until: float) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO rate_cool_down (scope, until) VALUES (?, ?) "
                "ON CONFLICT(scope) DO UPDATE SET until = MAX(until, excluded.until)",
                (scope, until),
            )


def _switch_to_wal(conn: sqlite3.Connection, deadline: float) -> None:
    """Turn on WAL, waiting for the other processes that open the same file at the same moment.

    Switching needs an exclusive lock; when another connection holds the write lock, SQLite answers
    "database is locked" at once instead of calling its busy handler (it would deadlock otherwise),
    so the wait is ours to do. Once any connection has switched, the file stays in WAL.
    """
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            if conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                return
            time.sleep(0.005)


class _SQLiteTransaction:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")


class SQLiteStateStore(StateStore):
    """PyrateLimiter state store for one key, kept as a row of the backend's file."""

    is_async = False
    default_clock = WallClock()

    def __init__(self, backend: SQLiteBackend, key: str):
        self.backend = backend
        self.key = key

    def _load(self, conn: sqlite3.Connection, algorithm, rates):
        row = conn.execute("SELECT state FROM rate_bucket WHERE key = ?", (self.key,)).fetchone()
        if row is None:
            return algorithm.initial(rates)
        values = row[0].split(",")
        return algorithm.decode(values) if len(values) == len(rates) else algorithm.initial(rates)

    def check(self, algorithm, rates, now, weight):
        with self.backend._transaction() as conn:
            new_state, decision = algorithm.step(rates, self._load(conn, algorithm, rates), now, weight)
            if decision.allowed:
                conn.execute(
                    "INSERT INTO rate_bucket (key, state) VALUES (?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET state = excluded.state",
                    (self.key, ",".join(str(int(value)) for value in new_state)),
                )
            return decision

    def read(self, algorithm, rates):
        return self._load(self.backend._connection(), algorithm, rates)

    def reset(self) -> None:
        with self.backend._transaction() as conn:
            conn.execute("DELETE FROM rate_bucket WHERE key = ?", (self.key,))


def make_rate_limiter(
    per_second: int = 50,
    *,
    redis_url: str | None = None,
    sqlite_path: str | Path | None = None,
    prefix: str = "tokbridge",
    burst: int = 1,
    period_seconds: float = 1.0,
) -> RateLimiter:
    """Redis when configured, else a SQLite file when given, else memory."""
    if redis_url:
        backend: Backend = RedisBackend(redis_url, prefix)
    elif sqlite_path is not None:
        backend = SQLiteBackend(sqlite_path)
    else:
        backend = MemoryBackend()
    return RateLimiter(backend, per_second=per_second, burst=burst, period_seconds=period_seconds)
