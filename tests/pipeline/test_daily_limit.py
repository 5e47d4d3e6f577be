"""TikTok's daily listing limit, planned (issue #12, item 7): Bulk Upload says before and after how many
products go today and when the rest go, the dashboard's counts say how many wait, and the next UTC day
the rest go on their own. A shop whose limit differs from the documented one is learned from TikTok."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from sqlalchemy import update

from tests.pipeline.helpers import check_prerequisites, jobs, listings, run_jobs, sales_warehouse, tee_template
from tests.pipeline.test_currency import csrf, merchant  # noqa: F401  (fixture)
from tokbridge.channels.connections import ConnectionRepository
from tokbridge.db.base import utcnow
from tokbridge.db.engine import session_scope
from tokbridge.jobs.models import Job

DAY = 24 * 3600


def tomorrow() -> str:
    return f"{utcnow().date() + timedelta(days=1):%Y-%m-%d} 00:00 UTC"


def on_tiktok(world) -> int:
    return len(world.tiktok_control("GET", "/sandbox/products")["products"])


def next_day(world) -> None:
    """Midnight UTC passes: on TikTok's clock, and for the upload job waiting for it."""
    world.tiktok_control("POST", "/sandbox/clock/advance", {"seconds": DAY})
    with session_scope(world.engine) as session:
        session.execute(
            update(Job).where(Job.kind == "listings.upload", Job.state == "queued").values(next_run_at=utcnow())
        )
    run_jobs(world)


def test_bulk_upload_says_how_many_go_today_and_the_rest_go_the_next_days(merchant):  # noqa: F811
    world, client = merchant(
        "US", products=150, tiktok={"daily_listing_limit": 3}, env={"TIKTOK_DAILY_LISTING_LIMIT": "3"}
    )
    world.import_catalog()
    check_prerequisites(world)
    tee_template(world, sales_warehouse(world))

    dashboard = html.unescape(client.get("/dashboard").text)
    assert "TikTok lets this shop create 3 new products a day: 3 more can go today" in dashboard

    uploaded = html.unescape(client.post("/dashboard/upload", data={"csrf_token": csrf(client)}).text)
    queued = int(re.search(r"(\d+) products are on their way to TikTok", uploaded).group(1))
    assert queued > 6, "enough products for three days"
    later = queued - 3
    assert (
        f"TikTok lets this shop create 3 products a day: 3 go today, the other {later} over the following "
        f"{-(-later // 3)} days, from {tomorrow()}"
    ) in uploaded

    run_jobs(world)
    assert on_tiktok(world) == 3
    # Products that break TikTok's rules came back to Not uploaded with their problems; the others wait.
    waiting = sum(1 for row in listings(world) if row.status == "in_progress")
    assert waiting > 0
    [upload] = jobs(world, "listings.upload")
    assert (
        upload.state == "queued" and f"The remaining {waiting} products will upload automatically" in upload.last_error
    )
    dashboard = html.unescape(client.get("/dashboard").text)
    assert f"{waiting} of the products In progress wait for TikTok's daily limit" in dashboard
    assert "0 more can go today" in dashboard

    for day in range(1, -(-waiting // 3) + 1):
        next_day(world)
        assert on_tiktok(world) == min(3 + waiting, 3 + 3 * day)
    assert not [row for row in listings(world) if row.status == "in_progress"]
    assert jobs(world, "listings.upload")[-1].state == "succeeded"


def test_a_shop_with_a_lower_limit_than_documented_is_planned_with_its_own(merchant):  # noqa: F811
    world, client = merchant("US", products=150, tiktok={"daily_listing_limit": 2})  # TikTok says 100 for new shops
    world.import_catalog()
    check_prerequisites(world)
    tee_template(world, sales_warehouse(world))
    client.post("/dashboard/upload", data={"csrf_token": csrf(client)})
    run_jobs(world)
    assert on_tiktok(world) == 2
    with session_scope(world.engine) as session:
        assert ConnectionRepository(session).get(world.tiktok_connection_id).daily_listing_limit == 2
    waiting = sum(1 for row in listings(world) if row.status == "in_progress")
    dashboard = html.unescape(client.get("/dashboard").text)
    assert f"{waiting} of the products In progress wait for TikTok's daily limit (2 new products a day" in dashboard
