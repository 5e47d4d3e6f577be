"""Template changes reach TikTok: after an edit, the template's products there get the same
`listings.sync_product` a store change queues (it sends price, stock and content per the shop's sync
switches, and only what differs from what was last sent); so do products on TikTok that an edit, a new
template or a deletion moved between templates. A template belongs to one TikTok shop: only that shop's
listings follow. Recent Activity says what changed and how many follow."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from tokbridge.activity import service as activity
from tokbridge.activity.models import ActivityStatus
from tokbridge.audit import service as audit
from tokbridge.audit.models import AuditEntry
from tokbridge.category_templates import service as templates
from tokbridge.category_templates.categories import CategoryInfo
from tokbridge.category_templates.changes import claim_changes, mapping_changes
from tokbridge.category_templates.models import CategoryTemplate
from tokbridge.channels.shops import ShopContext
from tokbridge.jobs.models import JobState
from tokbridge.jobs.service import enqueue
from tokbridge.listings.models import ListingStatus
from tokbridge.listings.repository import ListingRepository

SYNC_JOB = "listings.sync_product"
# TikTok takes price and stock changes of these; products under review get theirs when they go live.
SYNCED_STATUSES = (ListingStatus.LIVE, ListingStatus.INACTIVE)
TITLE_LENGTH = 255


def create_template(
    session: Session, shop: ShopContext, data: Mapping[str, Any], *, category: CategoryInfo | None = None
) -> CategoryTemplate:
    """Save a new template; products on TikTok it takes from another template follow."""
    links_before = _links(session, shop)
    template = templates.create_template(session, shop, data, category=category)
    head = _audit(session, shop, "template.created", template.id, template.name, None, template.spec())
    moved = _moved(links_before, _links(session, shop))
    if moved:
        _queue_and_record(
            session,
            shop,
            "templates.created",
            _named(template.name, "created"),
            queued=moved,
            moved=len(moved),
            reviewing=0,
            template_id=template.id,
            change_set=head,
        )
    return template


def update_template(
    session: Session,
    shop: ShopContext,
    template_id: int,
    data: Mapping[str, Any],
    *,
    category: CategoryInfo | None = None,
) -> CategoryTemplate:
    """Save the edit (see `category_templates.service.update_template`) and queue the sync of the products
    on TikTok whose data it changes: the template's own, and those it moved between templates."""
    before = templates.get_template_spec(session, shop, template_id)
    links_before = _links(session, shop)
    template = templates.update_template(session, shop, template_id, data, category=category)
    after = template.spec()
    mapped, claims = mapping_changes(before, after), claim_changes(before, after)
    head = _audit(session, shop, "template.edited", template.id, template.name, before, after, mapped + claims)
    if not mapped and not claims:
        return template
    links = _links(session, shop) if claims else links_before
    moved = _moved(links_before, links)
    own = (
        [
            product_id
            for product_id, (status, linked) in links.items()
            if status in SYNCED_STATUSES and linked == template.id
        ]
        if mapped
        else []
    )
    queued = sorted(set(own) | set(moved))
    if not mapped and not queued:
        return template  # which products it takes changed, but none TikTok has
    reviewing = sum(
        1 for status, linked in links.values() if status == ListingStatus.REVIEWING and linked == template.id
    )
    _queue_and_record(
        session,
        shop,
        "templates.edited",
        _named(template.name, "edited"),
        queued=queued,
        moved=len(moved),
        reviewing=reviewing,
        template_id=template.id,
        changes=mapped + claims,
        change_set=head,
    )
    return template


def delete_template(session: Session, shop: ShopContext, template_id: int) -> None:
    """Delete a template; its products on TikTok that fall to another template follow."""
    name = templates.get_template_name(session, shop, template_id)
    spec = templates.get_template_spec(session, shop, template_id)
    links_before = _links(session, shop)
    templates.delete_template(session, shop, template_id)
    head = _audit(session, shop, "template.deleted", template_id, name, spec, None)
    moved = _moved(links_before, _links(session, shop))
    if moved:
        _queue_and_record(
            session,
            shop,
            "templates.deleted",
            _named(name, "deleted"),
            queued=moved,
            moved=len(moved),
            reviewing=0,
            template_id=template_id,
            change_set=head,
        )


def _links(session: Session, shop: ShopContext) -> dict[int, tuple[str, int | None]]:
    return ListingRepository(session).templates_on_tiktok(shop.shop_id)


def _moved(before: dict[int, tuple[str, int | None]], after: dict[int, tuple[str, int | None]]) -> list[int]:
    """Products on TikTok now linked to another template (not those left with none: nothing to send)."""
    return sorted(
        product_id
        for product_id, (status, linked) in after.items()
        if status in SYNCED_STATUSES and linked is not None and before.get(product_id, (None, None))[1] != linked
    )


def _audit(
    session: Session,
    shop: ShopContext,
    kind: str,
    template_id: int,
    name: str,
    before,
    after,
    changes: list[str] | None = None,
) -> AuditEntry | None:
    """The head of the template's change: the whole template before and after (undo puts `before` back);
    the prices and stock its syncs then send to TikTok are entries of the same change set. An edit
    that changes nothing is no change."""
    before = before.model_dump(mode="json") if before is not None else None
    after = after.model_dump(mode="json") if after is not None else None
    if before is not None and before == after:
        return None
    verb = kind.rsplit(".", 1)[-1]
    summary = f"{_named(name, verb)}: {'; '.join(changes)}" if changes else _named(name, verb)
    return audit.record(
        session, None, kind, ("template", template_id), before, after, summary=summary, connection_id=shop.shop_id
    )


def _queue_sync(session: Session, shop: ShopContext, product_id: int, change_set: AuditEntry | None = None) -> None:
    payload = {"product_id": product_id, "reason": "template", "connection_id": shop.shop_id}
    if change_set is not None:  # what the sync sends belongs to the template's change, for undo
        payload["change_set"] = change_set.id
        payload["triggered_by"] = audit.actor_of(session).trigger(change_set.summary)
    job = enqueue(
        session,
        SYNC_JOB,
        merchant_id=shop.merchant_id,
        payload=payload,
        identity_key=f"{SYNC_JOB}:{shop.shop_id}:{product_id}:template",
    )
    if job.state == JobState.RUNNING:  # it may have read the template before this edit
        enqueue(session, SYNC_JOB, merchant_id=shop.merchant_id, payload=payload)


def _queue_and_record(
    session: Session,
    shop: ShopContext,
    kind: str,
    what: str,
    *,
    queued: list[int],
    moved: int,
    reviewing: int,
    template_id: int,
    changes: list[str] | None = None,
    change_set: AuditEntry | None = None,
) -> None:
    for product_id in queued:
        _queue_sync(session, shop, product_id, change_set)
    outcome = f"{_products(len(queued))} on TikTok queued for sync" if queued else "no product on TikTok to update"
    title = f"{what}: {'; '.join(changes)}; {outcome}" if changes else f"{what}; {outcome}"
    notes = []
    if moved and changes is not None:
        notes.append(f"{moved} of them changed template with this edit.")
    if reviewing:
        notes.append(f"{_products(reviewing)} under review get the change once TikTok approves them.")
    if len(title) > TITLE_LENGTH:
        notes.insert(0, "Changes: " + "; ".join(changes or []) + ".")
        title = f"{what}; {outcome}"
    activity.record(
        session,
        shop.merchant_id,
        kind,
        title,
        " ".join(notes) or None,
        status=ActivityStatus.INFO,
        details={
            "template_id": template_id,
            "changes": changes or [],
            "queued": len(queued),
            "moved": moved,
            "audit_entry": change_set.id if change_set else None,
        },
        connection_id=shop.shop_id,
    )


def _named(name: str, verb: str) -> str:
    return f"Template “{name[:150]}” {verb}"


def _products(count: int) -> str:
    return f"{count} product" if count == 1 else f"{count} products"
