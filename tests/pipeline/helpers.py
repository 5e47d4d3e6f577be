"""Steps the pipeline tests share: prerequisites, a template per product type, running jobs."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from tests.support.waiting import wait_for
from tokbridge.category_templates import service as templates
from tokbridge.category_templates.models import CategoryTemplate, ProductTemplateAssignment
from tokbridge.channels import factory
from tokbridge.channels.connections import TIKTOK, ConnectionRepository
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.shops import shop_context
from tokbridge.db.engine import session_scope
from tokbridge.jobs.models import FINISHED_STATES, Job
from tokbridge.jobs.runner import run_due_jobs
from tokbridge.listings.models import Listing
from tokbridge.tenancy.scoping import bind_merchant


def check_prerequisites(world, shop: str | None = None) -> list[dict]:
    """What "Check again" on the dashboard does (for the world's shop, or the shop `shop`)."""
    from tokbridge.onboarding.service import check_prerequisites as check

    with session_scope(world.engine) as session:
        bind_merchant(session, world.merchant_id)
        connection = ConnectionRepository(session).get(shop or world.tiktok_connection_id)
        return check(session, world.settings, connection)


def sales_warehouse(world, shop: str | None = None) -> str:
    with session_scope(world.engine) as session:
        connection = ConnectionRepository(session).get(shop or world.tiktok_connection_id)
        client = factory.tiktok_client(world.settings, world.engine, connection)
        return next(w.id for w in client.get_warehouses() if w.type == "SALES_WAREHOUSE")


def tee_template(world, warehouse: str, *, shop_id: str | None = None, **overrides) -> int:
    """A T-shirt template in the world's TikTok shop (or the shop `shop_id`: templates belong to one shop)."""
    data = {
        "name": "T-shirts",
        "selection": {"match": "all", "rules": [{"field": "product_type", "operator": "equals", "value": "T-Shirts"}]},
        "category": {
            "id": "9601302",
            "version": "v2",
            "name_path": ["Womenswear & Underwear", "Women's Tops", "T-shirts"],
        },
        "attributes": [{"attribute_id": "100347", "source": "fixed", "value_names": ["Cotton"]}],
        "variants": [
            {"option_name": "Size", "attribute_id": "100007"},
            {"option_name": "Color", "attribute_id": "100000"},
        ],
        "inventory": {"default_warehouse_id": warehouse},
        "listing": {"package_weight": {"value": "0.5", "unit": "POUND"}},
        **overrides,
    }
    with session_scope(world.engine) as session:
        bind_merchant(session, world.merchant_id)
        shop = shop_context(session, shop_id or world.tiktok_connection_id)
        return templates.create_template(session, shop, data).id


def attach_template(world, template_id: int, shop: str, product_ids: list[int] | None = None) -> list[int]:
    """Make the template one of shop `shop`'s, with its links (or links to `product_ids` in that shop):
    what creating a template in the shop does. Returns the linked product ids."""
    with session_scope(world.engine) as session:
        bind_merchant(session, world.merchant_id)
        session.execute(update(CategoryTemplate).where(CategoryTemplate.id == template_id).values(connection_id=shop))
        if product_ids is None:
            session.execute(
                update(ProductTemplateAssignment)
                .where(ProductTemplateAssignment.template_id == template_id)
                .values(connection_id=shop)
            )
        else:
            session.add_all(
                [
                    ProductTemplateAssignment(
                        merchant_id=world.merchant_id,
                        connection_id=shop,
                        product_id=product_id,
                        template_id=template_id,
                        assigned_by="manual",
                    )
                    for product_id in product_ids
                ]
            )
        session.flush()
        return sorted(
            session.scalars(
                select(ProductTemplateAssignment.product_id).where(ProductTemplateAssignment.template_id == template_id)
            )
        )


def run_jobs(world, limit: int = 1000) -> int:
    return run_due_jobs(world.settings, limit=limit)


def listings(world) -> list[Listing]:
    with session_scope(world.engine) as session:
        return list(session.scalars(select(Listing).order_by(Listing.id)))


def jobs(world, kind: str) -> list[Job]:
    with session_scope(world.engine) as session:
        return list(session.scalars(select(Job).where(Job.kind == kind).order_by(Job.id)))


def request(world, call, *args, shop: str | None = None, **kwargs):
    """Call a listings service function as the merchant's web request would, on the world's shop (or the
    shop `shop`, a connection id), and commit."""
    with session_scope(world.engine) as session:
        bind_merchant(session, world.merchant_id)
        return call(session, shop_context(session, shop or world.tiktok_connection_id), *args, **kwargs)


def in_shop(world, call, *args, shop: str | None = None, **kwargs):
    """Like `request`, for functions that take (session, merchant_id, ...) and the shop's connection."""
    with session_scope(world.engine) as session:
        bind_merchant(session, world.merchant_id)
        return call(
            session, world.merchant_id, shop_context(session, shop or world.tiktok_connection_id), *args, **kwargs
        )


def add_shop(world, region: str) -> str:
    """Connect the seller's shop of `region` (the sandbox serves one per region in `shop_regions`) as a
    second TikTok shop of the merchant, listing the same store. Returns its connection id."""
    state = world.tiktok_sandbox.state
    shop = next(s for s in state.shops.values() if s.region == region)
    token = state.bootstrap
    with session_scope(world.engine) as session:
        connection = ChannelConnection(
            merchant_id=world.merchant_id,
            channel=TIKTOK,
            external_id=shop.id,
            name=shop.name,
            region=shop.region,
            data={"cipher": shop.cipher},
            scopes=[],
            store_connection_id=world.shopify_connection_id,
        )
        connection.access_token = token.access_token
        connection.refresh_token = token.refresh_token
        connection.access_expires_at = datetime.fromtimestamp(token.access_expires, UTC)
        connection.refresh_expires_at = datetime.fromtimestamp(token.refresh_expires, UTC)
        session.add(connection)
        session.flush()
        return connection.id


def upload_and_review(world, products: int | None = None, review_seconds: float = 120) -> None:
    """Import, prerequisites, a T-shirt template, upload, let TikTok's review finish, sync statuses."""
    from tokbridge.listings import service

    world.import_catalog()
    check_prerequisites(world)
    tee_template(world, sales_warehouse(world))
    request(world, service.request_upload)
    # A fast machine can meet the sandbox's 50 calls a second: the job then waits its turn in the queue.
    run_until_finished(world, "listings.upload", timeout=600)
    world.tiktok_control("POST", "/sandbox/clock/advance", {"seconds": review_seconds})
    with session_scope(world.engine) as session:
        bind_merchant(session, world.merchant_id)
        service.request_status_sync(session, shop_context(session, world.tiktok_connection_id))
    run_until_finished(world, "listings.sync_shop", timeout=600)


def run_until_finished(world, kind: str, timeout: float = 60.0) -> Job | None:
    """Run due jobs (as a worker would) until the newest job of `kind` has finished, including a job that a
    rate limit sent back to the queue for a moment (it comes back when due; nobody sleeps). None: there
    is no job of that kind."""

    def finished() -> Job | bool:
        run_jobs(world)
        newest = jobs(world, kind)[-1:]
        if not newest:
            return True
        return newest[0] if newest[0].state in FINISHED_STATES else False

    found = wait_for(finished, timeout=timeout, interval=0.02, what=f"{kind} to finish")
    return found if isinstance(found, Job) else None


def upgrade(world, plan_code: str = "scale") -> None:
    from tokbridge.billing import service as billing

    with session_scope(world.engine) as session:
        bind_merchant(session, world.merchant_id)
        billing.change_plan(session, world.merchant_id, plan_code)
