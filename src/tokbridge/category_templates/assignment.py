"""Linking products to templates.

Active templates claim products in priority order: a product belongs to the first template whose
rules it matches. Templates with `auto_assign` link their products themselves (after every import and
whenever rules change); the others only claim them, so a lower template cannot take a product that a
higher, manual-only template matches. Manual links are never changed by automatic passes.
Everything here works in one TikTok shop: its templates claim products for its own links, and a product
has one link in each shop.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from tokbridge.category_templates import repository as repo
from tokbridge.category_templates.models import ASSIGNED_MANUAL
from tokbridge.category_templates.rules import RuleSet
from tokbridge.channels.shops import ShopContext
from tokbridge.db.base import utcnow


def assign_matching(session: Session, shop: ShopContext) -> int:
    """Link every unassigned, matching product to its first matching template; returns how many."""
    now = utcnow()
    earlier: list[RuleSet] = []
    linked = 0
    for template in repo.list_templates(session, shop, active_only=True):
        rules = template.spec().selection
        if template.auto_assign:
            linked += repo.insert_assignments(session, shop, template.id, rules, earlier, now)
        earlier.append(rules)
    return linked


def reassign_all(session: Session, shop: ShopContext) -> int:
    """After rules, priorities or activity changed: redo every automatic link (manual ones stay)."""
    repo.delete_auto_assignments(session, shop)
    return assign_matching(session, shop)


def assign_template_now(session: Session, shop: ShopContext, template_id: int) -> int:
    """ "Link matching products" on one template, auto-assign or not: its unassigned matches that no
    higher template claims. The links are manual, so later automatic passes keep them."""
    templates = repo.list_templates(session, shop, active_only=True)
    earlier: list[RuleSet] = []
    for template in templates:
        rules = template.spec().selection
        if template.id == template_id:
            return repo.insert_assignments(
                session, shop, template_id, rules, earlier, utcnow(), assigned_by=ASSIGNED_MANUAL
            )
        earlier.append(rules)
    return 0


def assign_manually(session: Session, shop: ShopContext, product_ids: Sequence[int], template_id: int) -> int:
    if repo.get_template(session, shop, template_id) is None:
        raise LookupError(f"template {template_id} not found")
    return repo.set_manual_assignments(session, shop, product_ids, template_id)


def unassign(session: Session, shop: ShopContext, product_ids: Sequence[int]) -> int:
    """Unlink products; an automatic pass may link them again unless they stop matching."""
    return repo.delete_assignments(session, shop, product_ids)
