"""A worker killed in the middle of an undo: another worker takes the job over from its checkpoint and
finishes it once: TikTok's prices are exactly as before the change, and each product's undo is recorded
once. SQLite with the embedded queue, and PostgreSQL with Redis."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from tests.audit.helpers import entries, live, tiktok_prices
from tests.audit.test_undo import live_world
from tests.pipeline.helpers import jobs, run_jobs
from tests.support.workers import crash_env, kill_midway_and_take_over
from tokbridge.audit import service as audit
from tokbridge.channels.shops import shop_context
from tokbridge.db.engine import session_scope
from tokbridge.jobs import queue
from tokbridge.listings import template_sync
from tokbridge.tenancy.models import User
from tokbridge.tenancy.scoping import bind_merchant
from tokbridge.undo import service as undo


@pytest.fixture
def crash_world(world_factory, request):
    env = crash_env(request)
    world = live_world(world_factory, products=150, tiktok={"fault_slow_rate": 1.0, "slow_seconds": 0.05}, env=env)
    yield world, env
    queue.flush(world.settings)


@pytest.mark.slow
def test_an_undo_survives_a_killed_worker(crash_world):
    world, env = crash_world
    original = tiktok_prices(world)
    with session_scope(world.engine) as session:
        owner = audit.Actor.user(
            session.scalar(select(User.id).where(User.email == "owner@world.test")), "owner@world.test"
        )
    with session_scope(world.engine) as session:
        audit.act_as(bind_merchant(session, world.merchant_id), owner)
        shop = shop_context(session, world.tiktok_connection_id)
        [template] = [t.id for t in template_sync.templates.list_templates(session, shop)]
        spec = template_sync.templates.get_template_spec(session, shop, template).model_dump(mode="json")
        spec["price"] = {**spec["price"], "adjustment": "percentage", "direction": "up", "amount": "10"}
        template_sync.update_template(session, shop, template, spec)
    run_jobs(world, limit=10_000)
    assert tiktok_prices(world) != original
    [edit] = entries(world, "template.edited")
    products = len(live(world))
    assert products >= 20

    with session_scope(world.engine) as session:
        audit.act_as(bind_merchant(session, world.merchant_id), owner)
        undo.request_undo(session, edit.id)

    def undo_job():
        return jobs(world, "undo.apply")[0]

    kill_midway_and_take_over(
        env,
        undo_job,
        started=lambda job: 4 <= job.progress_done < products,
        finished=lambda job: job.state == "succeeded",
    )

    assert tiktok_prices(world) == original
    undo_head = next(e for e in entries(world, "undo"))
    recorded = Counter(e.product_id for e in entries(world, "listing.price") if e.change_set_id == undo_head.id)
    assert len(recorded) == products and set(recorded.values()) == {1}  # each product once
    assert 1 <= undo_job().attempts <= undo_job().max_attempts
