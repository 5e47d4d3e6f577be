"""A template edit reaches TikTok: its products there get the same `listings.sync_product` a store change
queues (it sends price, stock and content per the merchant's sync switches, and only what differs from
what was last sent), so do products on TikTok the edit moved between templates, and Recent Activity says
what changed and how many products follow."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from tokbridge.activity import service as activity
from tokbridge.activity.models import ActivityStatus
from tokbridge.category_templates import service as templates
from tokbridge.category_templates.categories import CategoryInfo
from tokbridge.category_templates.changes import claim_changes, mapping_changes
from tokbridge.category_templates.models import CategoryTemplate
from tokbridge.channels.connections import TIKTOK, ConnectionRepository
from tokbridge.jobs.models import JobState
from tokbridge.jobs.service import enqueue
from tokbridge.listings.models import ListingStatus
from tokbridge.listings.repository import ListingRepository

SYNC_JOB = "listings.sync_product"
# TikTok takes price and stock changes of these; products under review get theirs when they go live.
SYNCED_STATUSES = (ListingStatus.LIVE, ListingStatus.INACTIVE)
TITLE_LENGTH = 255


def update_template(session: Session, merchant_id: int, template_id: int, data: Mapping[str, Any], *,
                    category: CategoryInfo | None = None) -> CategoryTemplate:
    """Save the edit (see `category_templates.service.update_template`) and queue the sync of the products
    on TikTok whose data it changes: the template's own, and those it moved between templates."""
    before = templates.get_template_spec(session, merchant_id, template_id)
    connection = ConnectionRepository(session).first(TIKTOK)
    listings = ListingRepository(session)
    links_before = listings.templates_on_tiktok(connection.id) if connection else {}
    template = templates.update_template(session, merchant_id, template_id, data, category=category)
    after = template.spec()
    mapped, claims = mapping_changes(before, after), claim_changes(before, after)
    if not mapped and not claims:
        return template
    links = listings.templates_on_tiktok(connection.id) if connection else links_before
    moved = [product_id for product_id, (status, linked) in links.items() if status in SYNCED_STATUSES
             and linked is not None and links_before.get(product_id, (None, None))[1] != linked]
    own = [product_id for product_id, (status, linked) in links.items()
           if status in SYNCED_STATUSES and linked == template.id] if mapped else []
    queued = sorted(set(own) | set(moved))
    if not mapped and not queued:
        return template  # which products it takes changed, but none TikTok has
    for product_id in queued:
        _queue_sync(session, merchant_id, product_id)
    reviewing = sum(1 for status, linked in links.values()
                    if status == ListingStatus.REVIEWING and linked == template.id)
    _record(session, merchant_id, template, mapped + claims, queued=len(queued), moved=len(moved), reviewing=reviewing)
    return template


def _queue_sync(session: Session, merchant_id: int, product_id: int) -> None:
    payload = {"product_id": product_id, "reason": "template"}
    job = enqueue(session, SYNC_JOB, merchant_id=merchant_id, identity_key=f"{SYNC_JOB}:{product_id}:template",
                  payload=payload)
    if job.state == JobState.RUNNING:  # it may have read the template before this edit
        enqueue(session, SYNC_JOB, merchant_id=merchant_id, payload=payload)


def _record(session: Session, merchant_id: int, template: CategoryTemplate, changes: list[str], *, queued: int,
            moved: int, reviewing: int) -> None:
    outcome = f"{_products(queued)} on TikTok queued for sync" if queued else "no product on TikTok to update"
    title = f"Template “{template.name}” edited: {'; '.join(changes)}; {outcome}"
    notes = []
    if moved:
        notes.append(f"{moved} of them changed template with this edit.")
    if reviewing:
        notes.append(f"{_products(reviewing)} under review get the change once TikTok approves them.")
    if len(title) > TITLE_LENGTH:
        notes.insert(0, "Changes: " + "; ".join(changes) + ".")
        title = f"Template “{template.name[:120]}” edited; {outcome}"
    activity.record(session, merchant_id, "templates.edited", title, " ".join(notes) or None,
                    status=ActivityStatus.INFO,
                    details={"template_id": template.id, "changes": changes, "queued": queued, "moved": moved})


def _products(count: int) -> str:
    return f"{count} product" if count == 1 else f"{count} products"
