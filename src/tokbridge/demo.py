"""`make demo`: one machine, the embedded default, the sandboxes, a demo merchant.

The connector is configured exactly as in production, except that the platforms' base URLs and app
credentials point at the sandboxes, which run in this process. Which sandboxes, and how the connector is
aimed at them, is the sandboxes' own business (`tokbridge_sandboxes.demo`), a distribution needed only here.
"""

from __future__ import annotations

import os
from contextlib import ExitStack

import uvicorn
from rich.console import Console

from tokbridge.billing import service as billing
from tokbridge.billing.plans import Plan, available_plans
from tokbridge.config import Settings, get_settings
from tokbridge.db.engine import get_engine, session_scope
from tokbridge.db.migrate import upgrade
from tokbridge.tenancy.repository import AccountRepository
from tokbridge.tenancy.scoping import bind_merchant
from tokbridge.tenancy.service import create_merchant_with_user

DEMO_EMAIL = "demo@tokbridge.local"
DEMO_PASSWORD = "tokbridge-demo"
DEMO_BUSINESS = "Demo Apparel Co."

console = Console()


def ensure_demo_merchant(settings: Settings, catalog_size: int) -> bool:
    """Create the demo merchant unless any account exists. True when it was created. Its plan is the
    smallest that holds the demo catalog, so the story reaches live products without an upgrade."""
    with session_scope(get_engine(settings.database_url)) as session:
        if AccountRepository(session).first_user() is not None:
            return False
        user = create_merchant_with_user(session, DEMO_BUSINESS, DEMO_EMAIL, DEMO_PASSWORD)
        session.flush()
        billing.change_plan(bind_merchant(session, user.merchant_id), user.merchant_id, demo_plan(catalog_size).code)
        return True


def demo_plan(catalog_size: int) -> Plan:
    """The smallest plan with room for the whole catalog (the biggest when none has)."""
    by_size = sorted(available_plans(), key=lambda plan: plan.product_limit)
    return next((plan for plan in by_size if plan.product_limit >= catalog_size), by_size[-1])


def run_demo(
    port: int = 8000, host: str = "127.0.0.1", sandboxes: bool = True, sandbox_ports: dict[str, int] | None = None
) -> None:
    world = None
    if sandboxes:
        from tokbridge_sandboxes import demo as world

        for name, value in world.environment(f"http://{host}:{port}", host, sandbox_ports).items():
            os.environ.setdefault(name, value)
    get_settings.cache_clear()
    settings = get_settings()
    settings.require_secrets()
    from tokbridge.web.app import create_app

    upgrade(get_engine(settings.database_url))
    created = ensure_demo_merchant(settings, world.catalog_size() if world else 0)
    url = f"http://{host}:{port}"
    with ExitStack() as stack:
        told = world.start(stack, host, sandbox_ports) if world else ""
        console.print(f"\n[bold]TokBridge demo[/bold] is starting at [link={url}]{url}[/link]")
        if created:
            console.print(f"Sign in with [bold]{DEMO_EMAIL}[/bold] / [bold]{DEMO_PASSWORD}[/bold]")
        else:
            console.print(
                f"Sign in with your account (the demo login is {DEMO_EMAIL} / {DEMO_PASSWORD} "
                "if you have not changed it)."
            )
        if told:
            console.print(told)
        if world and not created:
            console.print(
                "The sandboxes start empty on every run: shops and stores connected in an earlier run ask to be "
                "reconnected (Settings), or delete ./var to start over."
            )
        console.print("Data lives in ./var (SQLite); press Ctrl+C to stop.\n")
        uvicorn.run(create_app(settings, embedded_worker=True), host=host, port=port, log_level="warning")
