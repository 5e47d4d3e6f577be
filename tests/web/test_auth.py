"""Sign-in, sessions, lock-out and CSRF through the real HTTP routes."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from tests.conftest import create_account, sign_in
from tokbridge.db.base import utcnow
from tokbridge.db.engine import get_engine, session_scope
from tokbridge.tenancy.models import User, WebSession


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_sign_in_leads_to_the_dashboard(client, app_settings):
    create_account(app_settings, "Acme", "owner@acme.test")
    response = sign_in(client, "owner@acme.test")
    assert response.status_code == 200 and response.url.path == "/dashboard"
    assert "Acme" in response.text and "Recent Activity" in response.text
    cookie = next(c for c in client.cookies.jar if c.name == "tb_session")
    assert cookie.has_nonstandard_attr("HttpOnly")


def test_session_token_is_stored_hashed(client, app_settings):
    create_account(app_settings, "Acme", "owner@acme.test")
    sign_in(client, "owner@acme.test")
    token = client.cookies.get("tb_session")
    with session_scope(get_engine(app_settings.database_url)) as session:
        stored = session.scalars(select(WebSession.token_hash)).all()
    assert len(stored) == 1 and token not in stored


def test_wrong_password_and_unknown_user_get_the_same_message(client, app_settings):
    create_account(app_settings, "Acme", "owner@acme.test")
    wrong = sign_in(client, "owner@acme.test", "not the password")
    unknown = sign_in(client, "nobody@acme.test", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    message = re.compile(r'data-testid="login-error">([^<]+)<')
    assert message.search(wrong.text).group(1) == message.search(unknown.text).group(1) == "Invalid email or password."


def test_repeated_failures_lock_the_account_even_with_the_right_password(client, app_settings):
    create_account(app_settings, "Acme", "owner@acme.test")
    for _ in range(app_settings.login_max_failures):
        assert sign_in(client, "owner@acme.test", "guess").status_code == 401
    locked = sign_in(client, "owner@acme.test")
    assert locked.status_code == 401 and "Too many failed sign-ins" in locked.text
    # Unknown emails lock the same way, so the lock-out tells nothing about who has an account.
    for _ in range(app_settings.login_max_failures):
        sign_in(client, "ghost@acme.test", "guess")
    assert "Too many failed sign-ins" in sign_in(client, "ghost@acme.test", "guess").text


def test_expired_session_leads_back_to_sign_in(client, app_settings):
    create_account(app_settings, "Acme", "owner@acme.test")
    sign_in(client, "owner@acme.test")
    with session_scope(get_engine(app_settings.database_url)) as session:
        for web_session in session.scalars(select(WebSession)):
            web_session.expires_at = utcnow() - timedelta(seconds=1)
    page = client.get("/dashboard", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/dashboard"
    assert client.get("/api/v1/me").status_code == 401


def test_logout_ends_the_session(client, app_settings):
    create_account(app_settings, "Acme", "owner@acme.test")
    dashboard = sign_in(client, "owner@acme.test")
    response = client.post("/logout", data={"csrf_token": csrf_from(dashboard.text)}, follow_redirects=False)
    assert response.status_code == 303
    assert client.get("/dashboard", follow_redirects=False).status_code == 303
    with session_scope(get_engine(app_settings.database_url)) as session:
        assert session.scalars(select(WebSession)).all() == []


def test_forms_without_a_csrf_token_are_refused(client, app_settings):
    create_account(app_settings, "Acme", "owner@acme.test")
    client.get("/login")
    forged = client.post("/login", data={"email": "owner@acme.test", "password": "correct horse battery"})
    assert forged.status_code == 403
    sign_in(client, "owner@acme.test")
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    assert client.post("/logout").status_code == 403


def test_api_calls_that_change_state_need_the_csrf_header(client, app_settings):
    merchant_id = create_account(app_settings, "Acme", "owner@acme.test")
    sign_in(client, "owner@acme.test")
    from tokbridge.jobs.service import enqueue

    with session_scope(get_engine(app_settings.database_url)) as session:
        job_id = enqueue(session, "test.count", merchant_id=merchant_id, payload={"steps": 1}).id
    assert client.post(f"/api/v1/jobs/{job_id}/cancel").status_code == 403
    token = client.get("/api/v1/me").json()["csrf_token"]
    cancelled = client.post(f"/api/v1/jobs/{job_id}/cancel", headers={"X-CSRF-Token": token})
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"


def test_sign_up_creates_a_merchant_and_signs_in(client, app_settings):
    page = client.get("/signup")
    response = client.post(
        "/signup",
        data={
            "business": "Fresh Shop",
            "email": "New@Fresh.test",
            "password": "long enough pw",
            "csrf_token": csrf_from(page.text),
        },
    )
    assert response.url.path == "/dashboard" and "Fresh Shop" in response.text
    with session_scope(get_engine(app_settings.database_url)) as session:
        user = session.scalar(select(User))
    assert user.email == "new@fresh.test" and user.password_hash.startswith("$argon2")


def test_sign_up_explains_what_is_wrong(client, app_settings):
    create_account(app_settings, "Acme", "owner@acme.test")
    page = client.get("/signup")
    short = client.post(
        "/signup", data={"business": "X", "email": "x@x.test", "password": "short", "csrf_token": csrf_from(page.text)}
    )
    assert short.status_code == 400 and "at least 10 characters" in short.text
    page = client.get("/signup")
    taken = client.post(
        "/signup",
        data={
            "business": "X",
            "email": "owner@acme.test",
            "password": "long enough pw",
            "csrf_token": csrf_from(page.text),
        },
    )
    assert taken.status_code == 400 and "already exists" in taken.text


def test_sign_in_never_redirects_off_site(client, app_settings):
    create_account(app_settings, "Acme", "owner@acme.test")
    page = client.get("/login")
    response = client.post(
        "/login",
        follow_redirects=False,
        data={
            "email": "owner@acme.test",
            "password": "correct horse battery",
            "csrf_token": csrf_from(page.text),
            "next": "//evil.example/phish",
        },
    )
    assert response.headers["location"] == "/dashboard"


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "queue": "ok"}


def test_malformed_api_input_is_a_clear_4xx(client, app_settings):
    create_account(app_settings, "Acme", "owner@acme.test")
    sign_in(client, "owner@acme.test")
    response = client.get("/api/v1/jobs?state=exploded")
    assert response.status_code == 422 and response.json()["detail"] == "The request is malformed."
    assert client.get("/api/v1/jobs/not-a-number").status_code == 422
