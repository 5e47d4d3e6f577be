"""The `tokbridge` command."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Annotated

import typer
from rich.console import Console

from tokbridge.config import KEY_FILE, SettingsError, get_settings

app = typer.Typer(
    help="TokBridge: sell your store's catalog on TikTok Shop.", no_args_is_help=True, pretty_exceptions_enable=False
)
console = Console(stderr=True)


def _settings(require_secrets: bool = True):
    try:
        settings = get_settings()
        if require_secrets:
            settings.require_secrets()
    except SettingsError as problem:
        console.print(f"[red]Cannot start:[/red] {problem}")
        raise typer.Exit(2) from None
    from tokbridge.kit import metrics
    from tokbridge.kit.logs import configure

    configure(settings.log_level)
    metrics.use_directory(settings.metrics_dir)  # before anything is counted: web and workers add up
    return settings


@app.command()
def init(
    force: Annotated[bool, typer.Option(help="Replace existing keys (encrypted data becomes unreadable).")] = False,
):
    """Create the data folder and a key file (mode 0600) with SECRET_KEY and ENCRYPTION_KEYS."""
    import secrets

    from tokbridge.kit.crypto import generate_key

    if KEY_FILE.exists() and not force:
        console.print(f"{KEY_FILE} exists; keeping it.")
        return
    KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(f"SECRET_KEY={secrets.token_urlsafe(48)}\nENCRYPTION_KEYS={generate_key()}\n")
    os.chmod(KEY_FILE, 0o600)
    get_settings.cache_clear()
    console.print(f"Wrote {KEY_FILE} (mode 0600). Keep it safe and out of version control.")


@app.command()
def migrate():
    """Bring the database schema up to date."""
    from tokbridge.db.engine import get_engine
    from tokbridge.db.migrate import upgrade

    settings = _settings(require_secrets=False)
    upgrade(get_engine(settings.database_url))
    console.print("Database is up to date.")


@app.command("create-user")
def create_user(
    email: Annotated[str, typer.Option(prompt=True)],
    business: Annotated[str, typer.Option(prompt="Business name")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
):
    """Create a merchant account with its first user."""
    from tokbridge.db.engine import get_engine, session_scope
    from tokbridge.tenancy.service import AccountError, create_merchant_with_user

    settings = _settings()
    try:
        with session_scope(get_engine(settings.database_url)) as session:
            user = create_merchant_with_user(session, business, email, password)
            console.print(f"Created {user.email} for merchant #{user.merchant_id} ({business}).")
    except AccountError as problem:
        console.print(f"[red]{problem}[/red]")
        raise typer.Exit(1) from None


@app.command("rotate-keys")
def rotate_keys():
    """Re-encrypt every stored secret with the first key of ENCRYPTION_KEYS."""
    from tokbridge.db.engine import get_engine
    from tokbridge.db.rotation import rotate_all

    settings = _settings()
    count = rotate_all(get_engine(settings.database_url))
    console.print(f"Re-encrypted {count} values with the newest key. Older keys can now be removed.")


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    worker: Annotated[
        bool, typer.Option(help="Run the job worker in this process (default when REDIS_URL is unset).")
    ] = None,
):
    """Serve the web app (and, in the embedded default, the job worker)."""
    import uvicorn

    from tokbridge.kit.logs import UVICORN_LOGGING
    from tokbridge.web.app import create_app

    settings = _settings()
    embedded = settings.embedded if worker is None else worker
    uvicorn.run(
        create_app(settings, embedded_worker=embedded), host=host, port=port, log_level="warning", **UVICORN_LOGGING
    )


@app.command("worker")
def run_worker(threads: Annotated[int, typer.Option(help="Consumer threads.")] = 0):
    """Run a job worker in the foreground (any number of them, with REDIS_URL set)."""
    from tokbridge.jobs.worker import Worker

    settings = _settings()
    if settings.embedded:
        console.print(
            "[yellow]REDIS_URL is not set: this worker uses the embedded SQLite queue; "
            "run it on the same machine as `tokbridge serve --no-worker`.[/yellow]"
        )
    Worker(settings, threads or None).run_forever()


@app.command()
def demo(
    port: int = 8000,
    sandboxes: Annotated[bool, typer.Option(help="Run the sandboxes in this process.")] = True,
    sandbox_port: Annotated[
        list[str] | None, typer.Option(help="NAME=PORT: serve that sandbox on another port (repeat for each).")
    ] = None,
):
    """Set up a demo merchant and serve everything on one machine, against the sandboxes."""
    from tokbridge.demo import run_demo

    _settings()  # a malformed setting stops here, with its name
    if sandboxes:
        _sandbox_module("demo")  # not installed: a plain message now, not a traceback later
    run_demo(port=port, sandboxes=sandboxes, sandbox_ports=_ports(sandbox_port or []))


def _ports(pairs: list[str]) -> dict[str, int]:
    ports: dict[str, int] = {}
    for pair in pairs:
        name, _, number = pair.partition("=")
        if not number.isdigit():
            raise typer.BadParameter(f"{pair!r} is not NAME=PORT, for example tiktok=8101.")
        ports[name] = int(number)
    return ports


@app.command("sandbox")
def sandbox(
    name: Annotated[str, typer.Argument(help="Which sandbox: see `tokbridge sandbox --help`.")],
    port: Annotated[int, typer.Option(help="Port (default: the one the demo gives it).")] = 0,
    host: str = "127.0.0.1",
):
    """Run a local sandbox of an external API (its names come from the tokbridge-sandboxes package)."""
    import uvicorn

    from tokbridge.kit.logs import UVICORN_LOGGING

    sandboxes = _sandboxes()
    if name not in sandboxes.SANDBOXES:
        console.print(
            f"[red]There is no sandbox called {name!r}.[/red] Try one of: {', '.join(sorted(sandboxes.SANDBOXES))}."
        )
        sys.exit(2)
    uvicorn.run(
        sandboxes.create_app(name),
        host=host,
        port=port or sandboxes.SANDBOXES[name][1],
        log_level="warning",
        access_log=False,
        **UVICORN_LOGGING,
    )


def _sandboxes():
    """The sandboxes are a distribution of their own (sandboxes/ in the repository), not a dependency."""
    try:
        return importlib.import_module("tokbridge_sandboxes")
    except ModuleNotFoundError as missing:
        if missing.name != "tokbridge_sandboxes":
            raise
        console.print(
            "[red]The sandboxes are not installed.[/red] From the repository, run "
            "`pip install -e ./sandboxes` (or `make install`), then try again."
        )
        sys.exit(2)


def _sandbox_module(name: str):
    return importlib.import_module(f"{_sandboxes().__name__}.{name}")


def main() -> None:  # pragma: no cover
    try:
        app()
    except SettingsError as problem:
        console.print(f"[red]Cannot start:[/red] {problem}")
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
