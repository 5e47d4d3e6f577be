"""Linking products to templates: priority, manual links, auto-assign, re-evaluation."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tokbridge.category_templates import repository as repo
from tokbridge.category_templates.assignment import (
    assign_manually,
    assign_matching,
    assign_template_now,
    reassign_all,
    unassign,
)
from tokbridge.category_templates.models import CategoryTemplate
from tokbridge.category_templates.spec import TemplateSpec
from tokbridge.db.base import Base
from tokbridge.db.engine import session_scope

from .catalog_factory import P, add_products


def template(session, shop, name, rules, *, priority=100, auto_assign=True, match="all") -> int:
    spec = TemplateSpec(
        name=name,
        priority=priority,
        auto_assign=auto_assign,
        selection={"match": match, "rules": rules},
        category={"id": "9601302", "version": "v2"},
    )
    row = CategoryTemplate(merchant_id=shop.merchant_id, connection_id=shop.shop_id)
    row.apply(spec)
    return repo.add_template(session, row).id


def vendor_is(name):
    return [{"field": "vendor", "operator": "equals", "value": name}]


def links(engine, shop):
    with session_scope(engine) as session:
        return repo.assignment_map(session, shop)


def test_migration_matches_the_models(engine):
    tables = {"category_template", "product_template_assignment"}
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)

    assert [change for change in diff if any(name in repr(change) for name in tables)] == []


def test_first_matching_template_by_priority_wins(engine, merchant_id, shop):
    acme, other, acme_tee = add_products(
        engine,
        merchant_id,
        [
            P(vendor="Acme", product_type="Mugs"),
            P(vendor="Other"),
            P(vendor="Acme", product_type="T-Shirts"),
        ],
    )
    with session_scope(engine) as session:
        broad = template(session, shop, "All Acme", vendor_is("acme"), priority=20)
        tees = template(
            session,
            shop,
            "Acme tees",
            vendor_is("acme") + [{"field": "product_type", "operator": "equals", "value": "t-shirts"}],
            priority=10,
        )
        assert assign_matching(session, shop) == 2
    assert links(engine, shop) == {acme: (broad, "auto"), acme_tee: (tees, "auto")}
    assert other not in links(engine, shop)


def test_manual_links_are_kept_and_new_products_are_auto_assigned(engine, merchant_id, shop):
    (first,) = add_products(engine, merchant_id, [P(vendor="Acme")])
    with session_scope(engine) as session:
        acme = template(session, shop, "Acme", vendor_is("acme"))
        manual_home = template(session, shop, "Hand picked", vendor_is("nobody"), auto_assign=False)
        assign_matching(session, shop)
        assign_manually(session, shop, [first], manual_home)
    new_acme, new_other = add_products(engine, merchant_id, [P(vendor="ACME"), P(vendor="Zed")])
    with session_scope(engine) as session:
        assert assign_matching(session, shop) == 1
        assert assign_matching(session, shop) == 0  # idempotent
    assert links(engine, shop) == {first: (manual_home, "manual"), new_acme: (acme, "auto")}
    with session_scope(engine) as session:
        assert repo.assigned_product_ids(session, shop) == sorted([first, new_acme])
        assert new_other not in repo.assigned_product_ids(session, shop)


def test_a_manual_only_template_claims_its_matches_without_linking_them(engine, merchant_id, shop):
    (product,) = add_products(engine, merchant_id, [P(vendor="Acme")])
    with session_scope(engine) as session:
        claimer = template(session, shop, "Review first", vendor_is("acme"), priority=1, auto_assign=False)
        template(session, shop, "Everything", [], priority=50)
        assert assign_matching(session, shop) == 0
        assert assign_template_now(session, shop, claimer) == 1
        assert reassign_all(session, shop) == 0
    assert links(engine, shop) == {product: (claimer, "manual")}


def test_changed_rules_are_re_evaluated(engine, merchant_id, shop):
    mug, tee = add_products(engine, merchant_id, [P(vendor="Acme", product_type="Mugs"), P(vendor="Acme")])
    with session_scope(engine) as session:
        tid = template(session, shop, "Acme", vendor_is("acme"))
        assign_matching(session, shop)
    assert set(links(engine, shop)) == {mug, tee}
    with session_scope(engine) as session:
        row = repo.get_template(session, shop, tid)
        spec = row.spec().model_copy(
            update={
                "selection": row.spec().selection.model_validate(
                    {"match": "all", "rules": [{"field": "product_type", "operator": "equals", "value": "mugs"}]}
                )
            }
        )
        row.apply(spec)
        session.flush()
        reassign_all(session, shop)
    assert links(engine, shop) == {mug: (tid, "auto")}


def test_inactive_templates_neither_claim_nor_upload(engine, merchant_id, shop):
    (product,) = add_products(engine, merchant_id, [P(vendor="Acme")])
    with session_scope(engine) as session:
        tid = template(session, shop, "Acme", vendor_is("acme"))
        assign_matching(session, shop)
        repo.get_template(session, shop, tid).is_active = False
        session.flush()
        assert repo.assigned_product_ids(session, shop) == []
        assert unassign(session, shop, [product]) == 1
        assert assign_matching(session, shop) == 0


def test_statistics_can_be_refreshed_after_an_import(engine, merchant_id, shop):
    add_products(engine, merchant_id, [P(vendor="Acme")] * 3)
    with session_scope(engine) as session:
        repo.refresh_catalog_statistics(session)
        template(session, shop, "Acme", vendor_is("acme"))
        assert assign_matching(session, shop) == 3


def test_concurrent_linking_passes_do_not_collide_on_postgresql(engine, merchant_id, shop):
    """An import's pass and a template save may link the same products at the same time."""
    import threading

    from tests.support.waiting import wait_for_lock_wait

    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time")
    add_products(engine, merchant_id, [P(vendor="Acme")] * 5)
    with session_scope(engine) as session:
        template(session, shop, "Acme", vendor_is("acme"))
    outcome: dict[str, object] = {}

    def second_pass() -> None:
        try:
            with session_scope(engine) as other:
                outcome["linked"] = assign_matching(other, shop)
        except Exception as exc:  # noqa: BLE001 - the test reports it
            outcome["error"] = exc

    with session_scope(engine) as first:
        assert assign_matching(first, shop) == 5
        thread = threading.Thread(target=second_pass)
        thread.start()
        # The second pass waits on the first one's uncommitted links before the first commits.
        wait_for_lock_wait(engine, "the second pass to wait on the first", waiter=thread)
    thread.join(60)
    assert outcome == {"linked": 0}
    assert len(links(engine, shop)) == 5
