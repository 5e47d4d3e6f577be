"""The sign-in lock-out holds when many attempts arrive at once, over real HTTP."""

from __future__ import annotations

import re
import threading

import httpx

from tests.conftest import create_account
from tests.support.live_server import serve
from tokbridge.web.app import create_app

PASSWORD = "correct horse battery"
TOO_MANY = "Too many failed sign-ins"
INVALID = "Invalid email or password."


def _sign_in_form(base_url: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base_url, timeout=60)
    page = client.get("/login")
    return client, re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def _all_at_once(base_url: str, email: str, passwords: list[str]) -> list[httpx.Response]:
    """POST /login once per password, every request released at the same moment."""
    forms = [_sign_in_form(base_url) for _ in passwords]
    answers: list[httpx.Response | None] = [None] * len(passwords)
    start = threading.Barrier(len(passwords))

    def attempt(index: int) -> None:
        client, token = forms[index]
        start.wait()
        answers[index] = client.post(
            "/login", data={"email": email, "password": passwords[index], "csrf_token": token, "next": "/dashboard"}
        )

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(passwords))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for client, _ in forms:
        client.close()
    return answers


def _tally(answers: list[httpx.Response]) -> dict[str, int]:
    kinds = {"checked": 0, "refused": 0, "signed in": 0, "other": 0}
    for answer in answers:
        if answer.status_code == 303:
            kinds["signed in"] += 1
        elif answer.status_code == 401 and INVALID in answer.text:
            kinds["checked"] += 1
        elif answer.status_code == 401 and TOO_MANY in answer.text:
            kinds["refused"] += 1
        else:
            kinds["other"] += 1
    return kinds


def test_simultaneous_sign_ins_cannot_get_around_the_lock_out(app_settings):
    limit = app_settings.login_max_failures
    create_account(app_settings, "Acme", "owner@acme.test")
    create_account(app_settings, "Bolt", "owner@bolt.test")
    with serve(create_app(app_settings)) as base_url:
        # Twenty guesses at once: only the limit's worth is checked, the others are refused unchecked.
        tally = _tally(_all_at_once(base_url, "owner@acme.test", ["wrong guess"] * 20))
        assert tally == {"checked": limit, "refused": 20 - limit, "signed in": 0, "other": 0}
        # Locked: the right password is refused too, and so is a second wave.
        client, token = _sign_in_form(base_url)
        locked = client.post(
            "/login", data={"email": "owner@acme.test", "password": PASSWORD, "csrf_token": token, "next": "/dashboard"}
        )
        assert locked.status_code == 401 and TOO_MANY in locked.text
        client.close()
        again = _tally(_all_at_once(base_url, "owner@acme.test", ["wrong guess"] * 9 + [PASSWORD]))
        assert again == {"checked": 0, "refused": 10, "signed in": 0, "other": 0}

        # Nineteen wrong and the right one among them: plain answers only (a success within the limit
        # clears the count, so how many are checked then depends on the order they arrive in).
        mixed = _tally(_all_at_once(base_url, "owner@bolt.test", ["wrong guess"] * 19 + [PASSWORD]))
        assert mixed["other"] == 0 and mixed["signed in"] <= 1, mixed


def test_the_lock_out_message_counts_minutes_in_plain_words(client, app_settings, monkeypatch):
    monkeypatch.setattr(app_settings, "login_lockout_seconds", 30)
    create_account(app_settings, "Acme", "owner@acme.test")
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    for _ in range(app_settings.login_max_failures + 2):  # locked, then refused twice
        answer = client.post(
            "/login",
            data={"email": "owner@acme.test", "password": "wrong guess", "csrf_token": token, "next": "/dashboard"},
        )
        token = re.search(r'name="csrf_token" value="([^"]+)"', answer.text).group(1)
    assert "Try again in 1 minute." in answer.text
