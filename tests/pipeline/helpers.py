"""Steps the pipeline tests share: prerequisites, a template per product type, running jobs."""

from __future__ import annotations

from sqlalchemy import select

from tokbridge.category_templates import service as templates
from tokbridge.channels import factory
from tokbridge.channels.connections import ConnectionRepository
from tokbridge.db.engine import session_scope
from tokbridge.jobs.models import Job
from tokbridge.jobs.runner import run_due_jobs
from tokbridge.listings.models import Listing
from tokbridge.tenancy.scoping import bind_merchant


def check_prerequisites(world) -> list[dict]:
    """What "Check again" on the dashboard does."""
    from tokbridge.onboarding.service import check_prerequisites as check

    with session_scope(world.engine) as session:
        bind_merchant(session, world.merchant_id)
        connection = ConnectionRepository(session).get(world.tiktok_connection_id)
        return check(session, world.settings, connection)


def sales_warehouse(world) -> str:
    with session_scope(world.engine) as session:
        connection = ConnectionRepository(session).get(world.tiktok_connection_id)
        client = factory.tiktok_client(world.settings, world.engine, connection)
        return next(w.id for w in client.get_warehouses() if w.type == "SALES_WAREHOUSE")


def tee_template(world, warehouse: str, **overrides) -> int:
    data = {
        "name": "T-shirts", "selection": {"match": "all", "rules": [
            {"field": "product_type", "operator": "equals", "value": "T-Shirts"}]},
        "category": {"id": "9601302", "version": "v2", "name_path": ["Womenswear & Underwear", "Women's Tops", "T-shirts"]},
        "attributes": [{"attribute_id": "100347", "source": "fixed", "value_names": ["Cotton"]}],
        "variants": [{"option_name": "Size", "attribute_id": "100007"},
                     {"option_name": "Color", "attribute_id": "100000"}],
        "inventory": {"default_warehouse_id": warehouse},
        "listing": {"package_weight": {"value": "0.5", "unit": "POUND"}},
        **overrides,
    }
    with session_scope(world.engine) as session:
        bind_merchant(session, world.merchant_id)
        return templates.create_template(session, world.merchant_id, data).id


def run_jobs(world, limit: int = 1000) -> int:
    return run_due_jobs(world.settings, limit=limit)


def listings(world) -> list[Listing]:
    with session_scope(world.engine) as session:
        return list(session.scalars(select(Listing).order_by(Listing.id)))


def jobs(world, kind: str) -> list[Job]:
    with session_scope(world.engine) as session:
        return list(session.scalars(select(Job).where(Job.kind == kind).order_by(Job.id)))


def request(world, call, *args, **kwargs):
    """Call a listings service function as the merchant's web request would, and commit."""
    with session_scope(world.engine) as session:
        bind_merchant(session, world.merchant_id)
        return call(session, world.merchant_id, *args, **kwargs)


def upload_and_review(world, products: int | None = None, review_seconds: float = 120) -> None:
    """Import, prerequisites, a T-shirt template, upload, let TikTok's review finish, sync statuses."""
    from tokbridge.listings import service

    world.import_catalog()
    check_prerequisites(world)
    tee_template(world, sales_warehouse(world))
    request(world, service.request_upload)
    run_jobs(world)
    world.tiktok_control("POST", "/sandbox/clock/advance", {"seconds": review_seconds})
    with session_scope(world.engine) as session:
        bind_merchant(session, world.merchant_id)
        service.request_status_sync(session, world.merchant_id)
    run_jobs(world)


def upgrade(world, plan_code: str = "scale") -> None:
    from tokbridge.billing import service as billing

    request(world, billing.change_plan, plan_code)
