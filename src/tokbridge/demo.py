"""`make demo`: one machine, the embedded default, the sandboxes, a demo merchant."""

from __future__ import annotations

import uvicorn
from rich.console import Console

from tokbridge.config import Settings
from tokbridge.db.engine import get_engine, session_scope
from tokbridge.db.migrate import upgrade
from tokbridge.tenancy.repository import AccountRepository
from tokbridge.tenancy.service import create_merchant_with_user

DEMO_EMAIL = "demo@tokbridge.local"
DEMO_PASSWORD = "tokbridge-demo"
DEMO_BUSINESS = "Demo Apparel Co."

console = Console()


def ensure_demo_merchant(settings: Settings) -> bool:
    """Create the demo merchant unless any account exists. True when it was created."""
    with session_scope(get_engine(settings.database_url)) as session:
        if AccountRepository(session).first_user() is not None:
            return False
        create_merchant_with_user(session, DEMO_BUSINESS, DEMO_EMAIL, DEMO_PASSWORD)
        return True


def run_demo(settings: Settings, port: int = 8000, host: str = "127.0.0.1") -> None:
    from tokbridge.web.app import create_app

    upgrade(get_engine(settings.database_url))
    created = ensure_demo_merchant(settings)
    url = f"http://{host}:{port}"
    console.print(f"\n[bold]TokBridge demo[/bold] is starting at [link={url}]{url}[/link]")
    if created:
        console.print(f"Sign in with [bold]{DEMO_EMAIL}[/bold] / [bold]{DEMO_PASSWORD}[/bold]")
    else:
        console.print(f"Sign in with your account (the demo login is {DEMO_EMAIL} / {DEMO_PASSWORD} "
                      "if you have not changed it).")
    console.print("Data lives in ./var (SQLite); press Ctrl+C to stop.\n")
    uvicorn.run(create_app(settings, embedded_worker=True), host=host, port=port, log_level="warning")
