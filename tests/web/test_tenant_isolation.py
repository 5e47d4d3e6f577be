"""A user of merchant A cannot read or change merchant B's records, however they guess ids."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import create_account, sign_in
from tokbridge.activity.models import Activity
from tokbridge.activity.service import record
from tokbridge.channels.models import ChannelConnection
from tokbridge.db.engine import get_engine, session_scope, sessionmaker_for
from tokbridge.jobs.models import Job
from tokbridge.jobs.service import enqueue
from tokbridge.tenancy.scoping import TenantViolation, bind_merchant


@pytest.fixture
def two_merchants(app_settings):
    a = create_account(app_settings, "Alpha", "a@alpha.test")
    b = create_account(app_settings, "Bravo", "b@bravo.test")
    with session_scope(get_engine(app_settings.database_url)) as session:
        b_job = enqueue(session, "test.count", merchant_id=b, payload={"steps": 1}, title="Bravo secret import")
        b_activity = record(session, b, "note", "Bravo secret activity")
        a_activity = record(session, a, "note", "Alpha own activity")
        session.flush()
        return {"a": a, "b": b, "b_job": b_job.id, "b_activity": b_activity.id, "a_activity": a_activity.id}


def test_api_hides_other_merchants_records(client, two_merchants):
    sign_in(client, "a@alpha.test")
    assert client.get(f"/api/v1/jobs/{two_merchants['b_job']}").status_code == 404
    assert client.get("/api/v1/jobs").json() == []
    titles = [a["title"] for a in client.get("/api/v1/activity").json()]
    assert titles == ["Alpha own activity"]


def test_api_cannot_change_other_merchants_records(client, two_merchants, app_settings):
    sign_in(client, "a@alpha.test")
    token = client.get("/api/v1/me").json()["csrf_token"]
    response = client.post(f"/api/v1/jobs/{two_merchants['b_job']}/cancel", headers={"X-CSRF-Token": token})
    assert response.status_code == 404
    with session_scope(get_engine(app_settings.database_url)) as session:
        assert session.get(Job, two_merchants["b_job"]).state == "queued"


def test_pages_hide_other_merchants_records(client, two_merchants):
    sign_in(client, "a@alpha.test")
    for path in (
        "/dashboard",
        "/activity",
        "/activity?status=info",
        f"/activity?before={two_merchants['b_activity'] + 1}",
    ):
        page = client.get(path)
        assert page.status_code == 200
        assert "Bravo" not in page.text, path
    assert "Alpha own activity" in client.get("/activity").text


def test_a_bound_session_cannot_load_or_write_another_merchants_rows(two_merchants, app_settings):
    engine = get_engine(app_settings.database_url)
    with sessionmaker_for(engine)() as session:
        bind_merchant(session, two_merchants["a"])
        assert session.get(Activity, two_merchants["b_activity"]) is None
        assert session.get(Job, two_merchants["b_job"]) is None
        assert [a.title for a in session.scalars(select(Activity))] == ["Alpha own activity"]
        session.add(Activity(merchant_id=two_merchants["b"], kind="x", title="planted", details={}))
        with pytest.raises(TenantViolation):
            session.flush()


def test_rows_added_to_a_bound_session_belong_to_its_merchant(two_merchants, app_settings):
    engine = get_engine(app_settings.database_url)
    with sessionmaker_for(engine)() as session:
        bind_merchant(session, two_merchants["a"])
        connection = ChannelConnection(channel="shopify", external_id="alpha.myshopify.com", name="Alpha")
        session.add(connection)
        session.commit()
        assert connection.merchant_id == two_merchants["a"]
