"""docs/going-live.md stays true: every `tokbridge` command and option it names exists, every setting it
names is one TokBridge reads, and its `sh` blocks run, in order, with its settings file, on SQLite and on
PostgreSQL (with Redis): init, migrate, create-user, serve (then /healthz, /readyz, /metrics), rotate-keys.

A fenced block whose first line is `# not run by the tests` (systemd, nginx, root-only steps) is checked
for commands and settings but never run; the page says so."""

from __future__ import annotations

import os
import re
import secrets
import shlex
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic_settings import BaseSettings
from sqlalchemy import text

from tests.conftest import PG_URL, REDIS_URL, unavailable
from tests.support.live_server import free_port
from tests.support.waiting import wait_for
from tokbridge.db.engine import make_engine

PAGE = Path(__file__).resolve().parents[1] / "docs" / "going-live.md"
NOT_RUN = "# not run by the tests"
SETTINGS_FILE = "# /srv/tokbridge/.env"
TOKBRIDGE = [sys.executable, "-m", "tokbridge.cli"]

# Names the page may mention that are not TokBridge settings, each with the software that reads it.
NOT_OURS = {"FORWARDED_ALLOW_IPS": "uvicorn"}
# Plugins whose branch is not merged into this checkout yet: their settings are checked once they are.
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
# `tokbridge <command>` where a command starts: a line, `…/bin/tokbridge`, or an inline code span.
INVOCATION = re.compile(r"(?:^|/bin/|`)tokbridge[ \t]+([a-z][a-z-]*)([^\n`|;&#]*)", re.MULTILINE)
SETTING_NAME = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")


def page_text() -> str:
    return PAGE.read_text(encoding="utf-8")


def blocks() -> list[tuple[str, str]]:
    return [(language, body) for language, body in BLOCK.findall(page_text())]


def runnable_lines() -> list[str]:
    """The command lines of the `sh` blocks the tests run, in page order."""
    lines = []
    for language, body in blocks():
        if language != "sh" or body.startswith(NOT_RUN):
            continue
        lines += [line for line in body.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return lines


def settings_file() -> str:
    found = [body for _language, body in blocks() if body.startswith(SETTINGS_FILE)]
    assert len(found) == 1, f"the page has one settings file block starting {SETTINGS_FILE!r}"
    return found[0]


def named_commands() -> dict[str, set[str]]:
    """Each `tokbridge` command the page names, with the options named after it."""
    named: dict[str, set[str]] = {}
    for command, rest in INVOCATION.findall(page_text()):
        named.setdefault(command, set()).update(re.findall(r"(?<![\w-])--[a-z][a-z-]*", rest))
    return named


def known_settings() -> set[str]:
    """Every environment variable a settings class of TokBridge reads: the core's and each plugin's."""
    import importlib
    import pkgutil

    import tokbridge.channels as channels
    from tokbridge.config import Settings

    classes: list[type[BaseSettings]] = [Settings]
    for module in pkgutil.iter_modules(channels.__path__):
        if module.ispkg and (Path(channels.__path__[0]) / module.name / "settings.py").exists():
            loaded = importlib.import_module(f"{channels.__name__}.{module.name}.settings")
            classes += [
                value
                for value in vars(loaded).values()
                if isinstance(value, type) and issubclass(value, BaseSettings) and value is not BaseSettings
            ]
    return {
        (cls.model_config.get("env_prefix") or "").upper() + field.upper()
        for cls in classes
        for field in cls.model_fields
    }


# --- what the page names exists --------------------------------------------------------------------


def test_the_page_names_the_commands_it_is_about():
    # Guards the parsing below: a page whose commands were no longer found would check nothing.
    assert {"init", "migrate", "create-user", "serve", "worker", "rotate-keys"} <= set(named_commands())
    assert [shlex.split(line)[1] for line in runnable_lines()] == [
        "init",
        "migrate",
        "create-user",
        "serve",
        "rotate-keys",
    ]


@pytest.mark.parametrize("command", sorted(named_commands()))
def test_each_command_and_option_named_exists(command):
    shown = subprocess.run(
        [*TOKBRIDGE, command, "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"},
    )
    assert shown.returncode == 0, f"`tokbridge {command} --help` failed:\n{shown.stdout}{shown.stderr}"
    missing = sorted(option for option in named_commands()[command] - {"--help"} if option not in shown.stdout)
    assert not missing, f"`tokbridge {command}` has no option {missing}:\n{shown.stdout}"


@pytest.mark.parametrize("name", sorted(set(SETTING_NAME.findall(page_text()))))
def test_each_setting_named_is_read(name):
    if name in NOT_OURS:
        import uvicorn.config

        assert name in Path(uvicorn.config.__file__).read_text(), f"{NOT_OURS[name]} no longer reads {name}"
        return
    known = known_settings()
    assert name in known, f"the page names {name}, which no settings class reads"


# --- the page's commands run ----------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def scratch_database(request, tmp_path) -> Iterator[str]:
    """An empty database, not migrated: `tokbridge migrate` from the page does that."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    schema = f"tb_golive_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "not reachable"
        admin.dispose()
        unavailable("PostgreSQL", exc)
    separator = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def reachable_redis() -> Iterator[tuple[str, str]]:
    """The local Redis and a queue name of this test's own, whose keys are deleted afterwards."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        unavailable("Redis", exc)
    queue = f"tbgolive{uuid.uuid4().hex[:10]}"
    yield REDIS_URL, queue
    keys = list(client.scan_iter(match=f"*{queue}*"))
    if keys:
        client.delete(*keys)
    client.close()


def clean_environment(home: Path, **settings: str) -> dict[str, str]:
    """A process environment with no TokBridge setting of the test run in it: only what is given."""
    return {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "LANG": "C.UTF-8", "COLUMNS": "200", **settings}


@contextmanager
def serving(args: list[str], workdir: Path, env: dict[str, str]) -> Iterator[str]:
    """`tokbridge serve …` as the page writes it, on a free port instead of the one it names."""
    port = free_port()
    if "--port" in args:
        args[args.index("--port") + 1] = str(port)
    else:
        args += ["--port", str(port)]
    log = workdir / "serve.log"
    with open(log, "w") as out:
        server = subprocess.Popen([*TOKBRIDGE, *args], cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:

        def healthy():
            try:
                return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
            except httpx.TransportError:
                assert server.poll() is None, f"tokbridge serve stopped:\n{log.read_text()}"
                return False

        wait_for(healthy, timeout=60, what="tokbridge serve to answer /healthz")
        yield base
    finally:
        server.terminate()
        server.wait(30)


def metrics_token(workdir: Path) -> str:
    values = dict(
        line.split("=", 1)
        for line in (workdir / ".env").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    return values["METRICS_TOKEN"].strip().strip('"')


def put_a_new_encryption_key_first(workdir: Path) -> None:
    """Section 9, step 2: `ENCRYPTION_KEYS=<new key>,<old key>` in var/secrets.env."""
    keys_file = workdir / "var" / "secrets.env"
    lines = keys_file.read_text().splitlines()
    new_key = Fernet.generate_key().decode()
    keys_file.write_text(
        "\n".join(
            f"ENCRYPTION_KEYS={new_key},{line.split('=', 1)[1]}" if line.startswith("ENCRYPTION_KEYS=") else line
            for line in lines
        )
        + "\n"
    )


def test_the_page_runs_from_nothing_to_a_served_app(scratch_database, reachable_redis, tmp_path):
    redis_url, queue = reachable_redis
    workdir = tmp_path / "srv"
    workdir.mkdir()
    (workdir / ".env").write_text(settings_file())
    # The page's settings file as written; only what must point at this machine's scratch parts differs.
    env = clean_environment(
        tmp_path,
        DATABASE_URL=scratch_database,
        REDIS_URL=redis_url,
        QUEUE_NAME=queue,
        METRICS_DIR=str(tmp_path / "metrics"),
    )
    password = secrets.token_urlsafe(16)

    for line in runnable_lines():
        program, command, *args = shlex.split(line, comments=True)
        assert program == "tokbridge", f"a line the tests run must be a tokbridge command: {line!r}"
        if command == "serve":
            with serving([command, *args], workdir, env) as base:
                ready = httpx.get(f"{base}/readyz", timeout=10)
                assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "queue": "ok"}
                assert httpx.get(f"{base}/metrics", timeout=10).status_code == 401
                scraped = httpx.get(
                    f"{base}/metrics", timeout=30, headers={"Authorization": f"Bearer {metrics_token(workdir)}"}
                )
                assert scraped.status_code == 200 and "tokbridge_queue_oldest_waiting_seconds" in scraped.text
            continue
        if command == "rotate-keys":
            put_a_new_encryption_key_first(workdir)
        ran = subprocess.run(
            [*TOKBRIDGE, command, *args],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            input=f"{password}\n{password}\n" if command == "create-user" else None,
            start_new_session=True,
        )  # no terminal: the password prompt reads standard input
        said = " ".join((ran.stdout + ran.stderr).split())
        assert ran.returncode == 0, f"`{line}` failed: {said}"
        assert "Traceback" not in said
        if command == "init":
            assert (workdir / "var" / "secrets.env").stat().st_mode & 0o777 == 0o600
        if command == "create-user":
            assert "Created owner@example.com" in said
        if command == "rotate-keys":
            assert "Re-encrypted" in said


@pytest.mark.parametrize(
    ("trusted_proxy", "answers"),
    [
        # The default trusts this machine: a request of its own is its own, and a proxy here passes on its
        # client's address, which METRICS_ALLOW_FROM does not allow.
        (None, {None: 200, "203.0.113.7": 403}),
        # A proxy elsewhere: the same header from this machine is not believed.
        ("192.0.2.1", {"203.0.113.7": 200}),
    ],
)
def test_forwarded_addresses_are_believed_only_from_the_proxy(database_url, tmp_path, trusted_proxy, answers):
    """Section 5: `tokbridge serve` takes X-Forwarded-For only from FORWARDED_ALLOW_IPS (uvicorn's, this
    machine by default), which decides whom METRICS_ALLOW_FROM lets read /metrics."""
    keys = f"SECRET_KEY={secrets.token_urlsafe(32)}\nENCRYPTION_KEYS={Fernet.generate_key().decode()}\n"
    (tmp_path / ".env").write_text(keys)
    env = clean_environment(
        tmp_path,
        DATABASE_URL=database_url,
        METRICS_ALLOW_FROM="127.0.0.1",
        **({"FORWARDED_ALLOW_IPS": trusted_proxy} if trusted_proxy else {}),
    )
    with serving(["serve", "--no-worker", "--host", "127.0.0.1"], tmp_path, env) as base:
        seen = {
            forwarded_for: httpx.get(
                f"{base}/metrics", timeout=30, headers={"X-Forwarded-For": forwarded_for} if forwarded_for else {}
            ).status_code
            for forwarded_for in answers
        }
    assert seen == answers
