"""The shared token bucket: admission, retry times, cool-downs and sharing across processes."""

from __future__ import annotations

import multiprocessing

import pytest

from tokbridge.kit.ratelimit import MemoryBackend, RateLimiter, SQLiteBackend, make_rate_limiter

BACKENDS = ["memory", "sqlite", "redis"]


@pytest.fixture
def limiter_for(request, tmp_path):
    """Builds a limiter on the named backend; Redis keys get this test's own prefix."""

    def build(kind: str, **kwargs) -> RateLimiter:
        if kind == "memory":
            return make_rate_limiter(**kwargs)
        if kind == "sqlite":
            return make_rate_limiter(sqlite_path=tmp_path / "rate.sqlite", **kwargs)
        url = request.getfixturevalue("redis_url")
        return make_rate_limiter(redis_url=url, prefix=request.getfixturevalue("redis_prefix"), **kwargs)

    return build


@pytest.mark.parametrize("kind", BACKENDS)
def test_burst_then_refused_with_retry_time(kind, limiter_for):
    # 3 tokens an hour: the fourth request is refused and told to come back in about 20 minutes.
    limiter = limiter_for(kind, per_second=3, burst=3, period_seconds=3600)
    assert [limiter.try_acquire("app", "shop", "GET /x").allowed for _ in range(3)] == [True] * 3
    refused = limiter.try_acquire("app", "shop", "GET /x")
    assert not refused.allowed
    assert 1100 < refused.retry_after <= 1200


@pytest.mark.parametrize("kind", BACKENDS)
def test_keys_are_independent(kind, limiter_for):
    limiter = limiter_for(kind, per_second=1, burst=1, period_seconds=3600)
    assert limiter.try_acquire("app", "shop-1", "GET /x").allowed
    assert not limiter.try_acquire("app", "shop-1", "GET /x").allowed
    assert limiter.try_acquire("app", "shop-1", "GET /y").allowed
    assert limiter.try_acquire("app", "shop-2", "GET /x").allowed
    assert limiter.try_acquire("other-app", "shop-1", "GET /x").allowed


@pytest.mark.parametrize("kind", BACKENDS)
def test_default_burst_spaces_requests_evenly(kind, limiter_for):
    # 50 per hour with the default burst of 1: one request, then the next one 72 s later.
    limiter = limiter_for(kind, per_second=50, period_seconds=3600)
    assert limiter.try_acquire("a", "s", "e").allowed
    refused = limiter.try_acquire("a", "s", "e")
    assert not refused.allowed
    assert 70 < refused.retry_after <= 72


@pytest.mark.parametrize("kind", BACKENDS)
def test_cool_down_holds_the_whole_scope(kind, limiter_for):
    limiter = limiter_for(kind, per_second=50)
    limiter.cool_down(("app", "shop"), 30)
    held = limiter.try_acquire("app", "shop", "GET /anything", cool_down_scope=("app", "shop"))
    assert not held.allowed and 29 < held.retry_after <= 30
    # another shop is not affected
    assert limiter.try_acquire("app", "shop-2", "GET /anything", cool_down_scope=("app", "shop-2")).allowed


def _spend(args) -> int:
    sqlite_path, redis_url, prefix, attempts = args
    if sqlite_path:
        limiter = RateLimiter(SQLiteBackend(sqlite_path), per_second=5, burst=5, period_seconds=3600)
    else:
        limiter = make_rate_limiter(redis_url=redis_url, prefix=prefix, per_second=5, burst=5, period_seconds=3600)
    return sum(limiter.try_acquire("app", "shop", "POST /p").allowed for _ in range(attempts))


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_processes_share_one_bucket(kind, request, tmp_path):
    if kind == "sqlite":
        args = (str(tmp_path / "shared.sqlite"), None, None, 10)
    else:
        args = (None, request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix"), 10)
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        admitted = pool.map(_spend, [args] * 4)
    # 40 attempts from 4 processes, 5 tokens in the shared bucket: exactly 5 get through.
    assert sum(admitted) == 5


def test_memory_backend_is_per_instance():
    first, second = (
        RateLimiter(MemoryBackend(), 1, period_seconds=3600),
        RateLimiter(MemoryBackend(), 1, period_seconds=3600),
    )
    assert first.try_acquire("k").allowed and second.try_acquire("k").allowed
