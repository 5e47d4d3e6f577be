"""Personal API tokens: created in Settings and shown once, stored hashed, `Authorization: Bearer …` on the
JSON API without CSRF, scoped to the user's merchant; revoked, expired or mistyped ones get 401, a
read-only one gets 403 on writes."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.conftest import add_user, create_account, sign_in
from tokbridge.db.base import utcnow
from tokbridge.db.engine import get_engine, session_scope
from tokbridge.jobs.models import Job
from tokbridge.jobs.service import enqueue
from tokbridge.tenancy.models import ApiToken

TOKEN = re.compile(r'data-testid="token-value">(tbk_[^<]+)<')


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def create_token(client, name: str = "Nightly script", access: str = "read_write", expires: str = "90") -> str:
    """Through the Settings page, as a merchant does; returns the token the page shows."""
    page = client.get("/settings/tokens")
    answer = client.post(
        "/settings/tokens", data={"csrf_token": csrf_of(page.text), "name": name, "access": access, "expires": expires}
    )
    assert answer.status_code == 200, answer.text
    return TOKEN.search(answer.text).group(1)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def outsider(web_app):
    """A caller with no cookie at all: a script."""
    with TestClient(web_app, base_url="http://127.0.0.1") as client:
        yield client


@pytest.fixture
def two_merchants(app_settings):
    a = create_account(app_settings, "Alpha", "a@alpha.test")
    b = create_account(app_settings, "Bravo", "b@bravo.test")
    with session_scope(get_engine(app_settings.database_url)) as session:
        jobs = {
            name: enqueue(session, "test.count", merchant_id=merchant, payload={"steps": 1}, title=f"{name} import").id
            for name, merchant in (("Alpha", a), ("Bravo", b))
        }
    return {"a": a, "b": b, "a_job": jobs["Alpha"], "b_job": jobs["Bravo"]}


def job_state(app_settings, job_id: int) -> str:
    with session_scope(get_engine(app_settings.database_url)) as session:
        return session.get(Job, job_id).state


def test_a_token_is_shown_once_stored_hashed_and_works_without_csrf(client, outsider, two_merchants, app_settings):
    sign_in(client, "a@alpha.test")
    token = create_token(client)
    assert token.startswith("tbk_") and len(token) > 40

    listed = client.get("/settings/tokens").text
    assert "Nightly script" in listed and token not in listed and "Never" in listed  # not used yet
    with session_scope(get_engine(app_settings.database_url)) as session:
        [row] = session.scalars(select(ApiToken)).all()
        assert token not in (row.token_hash, row.hint, row.name) and row.hint == token[:8]
        assert row.merchant_id == two_merchants["a"] and not row.read_only

    me = outsider.get("/api/v1/me", headers=bearer(token))
    assert me.status_code == 200
    assert me.json() == {
        "email": "a@alpha.test",
        "merchant_id": two_merchants["a"],
        "merchant_name": "Alpha",
        "csrf_token": None,
    }
    cancelled = outsider.post(f"/api/v1/jobs/{two_merchants['a_job']}/cancel", headers=bearer(token))
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert job_state(app_settings, two_merchants["a_job"]) == "cancelled"
    assert "UTC" in client.get("/settings/tokens").text  # its last use is shown


def test_a_token_of_merchant_a_cannot_reach_merchant_b(client, outsider, two_merchants, app_settings):
    sign_in(client, "a@alpha.test")
    token = create_token(client)

    assert outsider.get(f"/api/v1/jobs/{two_merchants['b_job']}", headers=bearer(token)).status_code == 404
    assert [job["id"] for job in outsider.get("/api/v1/jobs", headers=bearer(token)).json()] == [two_merchants["a_job"]]
    refused = outsider.post(f"/api/v1/jobs/{two_merchants['b_job']}/cancel", headers=bearer(token))
    assert refused.status_code == 404
    assert job_state(app_settings, two_merchants["b_job"]) == "queued"


def test_a_read_only_token_reads_but_cannot_write(client, outsider, two_merchants, app_settings):
    sign_in(client, "a@alpha.test")
    token = create_token(client, access="read_only")

    assert outsider.get("/api/v1/jobs", headers=bearer(token)).status_code == 200
    refused = outsider.post(f"/api/v1/jobs/{two_merchants['a_job']}/cancel", headers=bearer(token))
    assert refused.status_code == 403 and "read-only" in refused.json()["detail"]
    assert job_state(app_settings, two_merchants["a_job"]) == "queued"
    assert outsider.put("/api/v1/settings/sync", headers=bearer(token), json={}).status_code == 403


def test_revoked_expired_or_mistyped_tokens_get_401(client, outsider, two_merchants, app_settings):
    sign_in(client, "a@alpha.test")
    revoked, expired, kept = create_token(client, "one"), create_token(client, "two"), create_token(client, "three")
    page = client.get("/settings/tokens").text
    row_id = re.search(r'<tr data-token="(\d+)">\s*<td>one ', page).group(1)
    answer = client.post(f"/settings/tokens/{row_id}/revoke", data={"csrf_token": csrf_of(page)})
    assert answer.status_code == 200 and "revoked" in answer.text.lower()
    with session_scope(get_engine(app_settings.database_url)) as session:
        session.execute(
            update(ApiToken).where(ApiToken.name == "two").values(expires_at=utcnow() - timedelta(seconds=1))
        )

    for token in (revoked, expired, kept[:-2] + "xx", "tbk_", "not-a-token"):
        answer = outsider.get("/api/v1/me", headers=bearer(token))
        assert answer.status_code == 401, token
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert "Traceback" not in answer.text and "token" in answer.json()["detail"]
    assert outsider.get("/api/v1/me", headers={"Authorization": f"Basic {kept}"}).status_code == 401
    assert outsider.get("/api/v1/me", headers=bearer(kept)).status_code == 200
    listed = client.get("/settings/tokens").text
    assert "Revoked" in listed and "Expired" in listed


def test_a_deactivated_users_tokens_stop_working(client, outsider, two_merchants, app_settings):
    from tokbridge.tenancy.models import User

    sign_in(client, "a@alpha.test")
    token = create_token(client)
    assert outsider.get("/api/v1/me", headers=bearer(token)).status_code == 200
    with session_scope(get_engine(app_settings.database_url)) as session:
        session.execute(update(User).where(User.email == "a@alpha.test").values(is_active=False))
    assert outsider.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_a_bad_token_is_refused_even_beside_a_valid_session_cookie(client, two_merchants):
    sign_in(client, "a@alpha.test")
    assert client.get("/api/v1/me").status_code == 200
    assert client.get("/api/v1/me", headers=bearer("tbk_guessed")).status_code == 401
    # With a token header, a call that changes something is judged by the token alone, not the cookie.
    assert (
        client.post(f"/api/v1/jobs/{two_merchants['a_job']}/cancel", headers=bearer("tbk_guessed")).status_code == 401
    )


def test_a_token_reaches_only_the_api_not_the_pages(client, outsider, two_merchants):
    sign_in(client, "a@alpha.test")
    token = create_token(client)
    page = outsider.get("/dashboard", headers=bearer(token), follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_a_user_revokes_only_their_own_tokens(client, app_settings, two_merchants):
    add_user(app_settings, two_merchants["a"], "second@alpha.test")
    sign_in(client, "a@alpha.test")
    create_token(client, "mine")
    client.cookies.clear()
    sign_in(client, "second@alpha.test")
    page = client.get("/settings/tokens").text
    assert "mine" not in page  # another user's tokens are theirs alone
    with session_scope(get_engine(app_settings.database_url)) as session:
        row_id = session.scalar(select(ApiToken.id))
    answer = client.post(f"/settings/tokens/{row_id}/revoke", data={"csrf_token": csrf_of(page)})
    assert "no such token" in answer.text
    with session_scope(get_engine(app_settings.database_url)) as session:
        assert session.get(ApiToken, row_id).revoked_at is None


@pytest.mark.parametrize(
    "form, words",
    [
        ({"name": "  "}, "Give the token a name"),
        ({"name": "x" * 101}, "at most 100"),
        ({"name": "ok", "expires": "forever"}, "Choose when"),
    ],
)
def test_a_token_form_that_does_not_fit_is_refused_in_words(client, two_merchants, app_settings, form, words):
    sign_in(client, "a@alpha.test")
    page = client.get("/settings/tokens").text
    answer = client.post(
        "/settings/tokens", data={"csrf_token": csrf_of(page), "access": "read_only", "expires": "30", **form}
    )
    assert answer.status_code == 200 and words in answer.text and "tbk_" not in answer.text
    with session_scope(get_engine(app_settings.database_url)) as session:
        assert session.scalars(select(ApiToken)).all() == []


def test_the_token_form_needs_the_csrf_token(client, two_merchants):
    sign_in(client, "a@alpha.test")
    answer = client.post("/settings/tokens", data={"name": "sneaky", "access": "read_write", "expires": "30"})
    assert answer.status_code == 403


def test_tokens_never_reach_the_log(client, outsider, two_merchants, caplog):
    sign_in(client, "a@alpha.test")
    with caplog.at_level(logging.DEBUG):
        token = create_token(client)
        outsider.get("/api/v1/jobs", headers=bearer(token))
        outsider.get("/api/v1/jobs/x", headers=bearer(token))  # malformed: its refusal is logged
        outsider.post("/api/v1/jobs/1/cancel", headers=bearer(token[:-1]))
    assert caplog.records and not [r for r in caplog.records if token[4:20] in r.getMessage()]


def test_the_log_masks_a_token_written_by_mistake():
    from tokbridge.kit.logs import redact

    token = "tbk_" + "Q" * 43
    assert token not in redact(f"calling with Authorization: Bearer {token}")
    assert redact(f"token={token} then") == "token=tbk_*** then"


def test_the_openapi_document_declares_the_token_scheme(client):
    document = client.get("/api/v1/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["apiToken"] == {**schemes["apiToken"], "type": "http", "scheme": "bearer"}
    assert schemes["session"]["in"] == "cookie" and schemes["session"]["name"] == "tb_session"
    assert {"apiToken": []} in document["security"]


def test_the_api_token_table_matches_its_model(engine):
    """0024_api_tokens creates what the ApiToken model declares, on both databases."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from tokbridge.db.base import Base

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [change for change in diff if "api_token" in repr(change)] == []
