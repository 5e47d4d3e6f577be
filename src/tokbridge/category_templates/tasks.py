"""Template jobs: new store products go to the templates whose rules select them, in every shop.

The catalog queues `templates.link_new` after an import or a new product, by kind and once per active
TikTok shop of the merchant (`connection_id` in the payload), so that the catalog (below the templates)
never imports them. Each job links with its own shop's templates only.
"""

from __future__ import annotations

from sqlalchemy import Engine

from tokbridge.activity import service as activity
from tokbridge.activity.models import ActivityStatus
from tokbridge.category_templates import service as template_service
from tokbridge.channels.shops import NoSuchShop, active_shops, shop_context
from tokbridge.db.engine import for_writing, get_engine, session_scope
from tokbridge.jobs.kinds import TEMPLATES_LINK_NEW
from tokbridge.jobs.registry import job_handler
from tokbridge.jobs.runner import JobContext
from tokbridge.kit.words import plural
from tokbridge.tenancy.scoping import bind_merchant


def link_new_products(engine: Engine, merchant_id: int, connection_id: str) -> int:
    """New products go to the shop's first template (by priority) whose rules select them, when it assigns
    automatically; products linked by hand keep their template. A shop disconnected meanwhile links none."""
    with session_scope(engine) as session:
        session = for_writing(bind_merchant(session, merchant_id))
        try:
            shop = shop_context(session, connection_id)
        except NoSuchShop:
            return 0
        linked = template_service.assign(session, shop)
        if linked:
            activity.record(
                session,
                merchant_id,
                "templates.linked",
                f"Linked {plural(linked, 'new product')} to templates of {shop.label}",
                "They will be uploaded with the next Bulk Upload.",
                status=ActivityStatus.INFO,
                connection_id=shop.shop_id,
            )
    return linked


@job_handler(TEMPLATES_LINK_NEW, title="Link new products to templates", visible=False)
def link_new(ctx: JobContext) -> None:
    """payload: {"connection_id": the TikTok shop whose templates link the new products}."""
    engine = get_engine(ctx.settings.database_url)
    connection_id = (ctx.payload or {}).get("connection_id")
    if connection_id:
        link_new_products(engine, ctx.required_merchant_id, connection_id)
        return
    # A job queued before jobs named their shop: every active shop links with its own templates.
    with session_scope(engine) as session:
        shop_ids = [shop.id for shop in active_shops(bind_merchant(session, ctx.required_merchant_id))]
    for shop_id in shop_ids:
        link_new_products(engine, ctx.required_merchant_id, shop_id)
