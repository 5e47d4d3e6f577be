"""Orders go ahead of bulk work: a queue holding one merchant's upload batches hands another merchant's
order job to the next free worker first, on both queue storages (SQLite file, Redis)."""

from __future__ import annotations

import pytest

from tokbridge.config import get_settings
from tokbridge.db.engine import session_scope
from tokbridge.jobs import queue
from tokbridge.jobs.priorities import BULK, URGENT, priority_of
from tokbridge.jobs.service import enqueue
from tokbridge.tenancy.models import Merchant


def _next_job_ids(settings, count: int) -> list[int]:
    """The job ids of the next `count` messages a worker would take, in that order."""
    huey, _task = queue.huey_for(settings)
    taken = []
    for _ in range(count):
        message = huey.dequeue()
        taken.append(message.args[0])
    return taken


@pytest.fixture(params=["sqlite", "redis"])
def queue_settings(request, app_settings, monkeypatch):
    if request.param == "redis":
        monkeypatch.setenv("REDIS_URL", request.getfixturevalue("redis_url"))
        monkeypatch.setenv("QUEUE_NAME", request.getfixturevalue("redis_prefix"))
        get_settings.cache_clear()
    settings = get_settings()
    queue.flush(settings)
    yield settings
    queue.flush(settings)


def test_an_order_queued_behind_many_upload_batches_is_taken_first(engine, queue_settings, merchant_id):
    with session_scope(engine) as session:
        other = Merchant(name="Second merchant")
        session.add(other)
        session.flush()
        other_id = other.id
    with session_scope(engine) as session:
        uploads = [
            enqueue(session, "listings.upload", merchant_id=merchant_id, payload={"batch": n}).id for n in range(30)
        ]
    with session_scope(engine) as session:
        order = enqueue(session, "orders.to_store", merchant_id=other_id, payload={"order_id": 1}).id
    with session_scope(engine) as session:
        webhook = enqueue(session, "inbox.process", merchant_id=other_id, payload={"ids": [1]}).id
    assert queue.pending_count(queue_settings) == 32

    first, second, *rest = _next_job_ids(queue_settings, 32)
    assert {first, second} == {order, webhook}  # the other merchant's order work, before any upload
    assert rest == uploads  # bulk work keeps its own order


def test_every_order_kind_is_urgent_and_bulk_kinds_come_last():
    assert priority_of("orders.to_store") == priority_of("orders.ship") == priority_of("inbox.process") == URGENT
    assert priority_of("listings.upload") == priority_of("catalog.import") == BULK
    assert BULK < priority_of("some.kind.without.a.declared.priority") < URGENT


def test_a_redis_queue_of_the_previous_format_is_replaced_not_crashed_on(
    app_settings, redis_url, redis_prefix, monkeypatch
):
    import redis
    from huey.storage import RedisStorage

    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("QUEUE_NAME", redis_prefix)
    get_settings.cache_clear()
    settings = get_settings()
    client = redis.Redis.from_url(redis_url)
    legacy_key = RedisStorage(redis_prefix, url=redis_url).queue_key  # where the list queue lived
    client.rpush(legacy_key, b"a message of the unprioritised list")
    try:
        queue.dispatch(1, settings=settings, priority=URGENT)  # would be WRONGTYPE on the old list
        assert queue.pending_count(settings) == 1
    finally:
        queue.flush(settings)
        client.delete(legacy_key)
        client.close()
