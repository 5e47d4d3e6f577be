"""A shop outside the US lists in TikTok's v1 category tree. A template from the other tree is caught
before anything is sent: its products come back to Not uploaded with the reason and the fix, and the
upload job finishes instead of stopping with them still In progress."""

from __future__ import annotations

from tests.pipeline.helpers import check_prerequisites, listings, request, run_jobs, sales_warehouse, tee_template
from tokbridge.category_templates import service as templates
from tokbridge.channels.shops import shop_context
from tokbridge.db.engine import session_scope
from tokbridge.listings import service
from tokbridge.tenancy.scoping import bind_merchant

V1_TEES = {"id": "601302", "version": "v1", "name_path": ["Womenswear & Underwear", "Women's Tops", "T-shirts"]}


def test_a_template_from_the_us_tree_is_refused_before_sending_in_a_malaysian_shop(world_factory):
    world = world_factory(products=30, tiktok={"shop_regions": ["MY"]})
    world.import_catalog()
    check_prerequisites(world)
    template_id = tee_template(world, sales_warehouse(world))  # the v2 (US) T-shirts category
    request(world, service.request_upload)
    run_jobs(world)

    linked = listings(world)  # every product the T-shirts template selected
    assert linked and {listing.status for listing in linked} == {"not_uploaded"}
    for listing in linked:
        [problem] = [p for p in listing.problems if p["code"] == "category_version"]
        assert "MY shops list in the v1 tree" in problem["message"] and "choose its category again" in problem["fix"]
    assert world.tiktok_control("GET", "/sandbox/products")["products"] == []  # nothing reached TikTok

    # The merchant picks the category again, from the shop's own tree (and lengthens the titles, which
    # Malaysian listings need at 25 characters or more): the upload goes through.
    with session_scope(world.engine) as session:
        bind_merchant(session, world.merchant_id)
        shop = shop_context(session, world.tiktok_connection_id)
        data = templates.get_template_spec(session, shop, template_id).model_dump(mode="json")
        longer = {**data["listing"], "title_template": "{vendor} {title}, {product_type} for every day"}
        templates.update_template(session, shop, template_id, {**data, "category": V1_TEES, "listing": longer})
    request(world, service.request_upload)
    run_jobs(world)
    statuses = {listing.status for listing in listings(world)}
    assert "reviewing" in statuses and "in_progress" not in statuses, [row.problems for row in listings(world)][:2]
    assert world.tiktok_control("GET", "/sandbox/products")["products"]
