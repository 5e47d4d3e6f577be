"""The sign-in lock-out holds when many attempts arrive at once, over real HTTP."""

from __future__ import annotations

import re
import threading

import httpx

from tests.conftest import create_account
from tests.support.live_server import serve
from tokbridge.web.app import create_app

TOO_MANY = "Too many failed sign-ins"
INVALID = "Invalid email or password."


def _login_form(base_url: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base_url, timeout=60)
    page = client.get("/login")
    return client, re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_simultaneous_sign_ins_cannot_get_around_the_lock_out(app_settings):
    create_account(app_settings, "Acme", "owner@acme.test")
    attempts = 20
    passwords = ["wrong guess"] * (attempts - 1) + ["correct horse battery"]
    answers: list[httpx.Response | None] = [None] * attempts
    with serve(create_app(app_settings)) as base_url:
        forms = [_login_form(base_url) for _ in range(attempts)]
        start = threading.Barrier(attempts)

        def attempt(index: int) -> None:
            client, token = forms[index]
            start.wait()
            answers[index] = client.post("/login", data={"email": "owner@acme.test", "password": passwords[index],
                                                         "csrf_token": token, "next": "/dashboard"})

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(attempts)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        statuses = [answer.status_code for answer in answers]
        assert 500 not in statuses, statuses
        checked = [a for a in answers if a.status_code == 401 and INVALID in a.text]
        refused = [a for a in answers if a.status_code == 401 and TOO_MANY in a.text]
        signed_in = [a for a in answers if a.status_code == 303]
        # At most the limit's worth of guesses is checked; every other attempt is refused unchecked.
        assert len(checked) + len(signed_in) <= app_settings.login_max_failures, statuses
        assert len(checked) + len(refused) + len(signed_in) == attempts
        # Once locked, the right password is refused too.
        client, token = _login_form(base_url)
        locked = client.post("/login", data={"email": "owner@acme.test", "password": "correct horse battery",
                                             "csrf_token": token, "next": "/dashboard"})
        assert locked.status_code == 401 and TOO_MANY in locked.text
        for client, _ in forms:
            client.close()
        client.close()
