"""A template edit reaches TikTok: the template's products on TikTok get the same `listings.sync_product`
a store change queues (it sends price, stock and content per the merchant's sync switches, and only what
differs from what was last sent), and Recent Activity says what changed and how many products follow."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from tokbridge.activity import service as activity
from tokbridge.activity.models import ActivityStatus
from tokbridge.category_templates import service as templates
from tokbridge.category_templates.categories import CategoryInfo
from tokbridge.category_templates.changes import mapping_changes
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
    """Save the edit (see `category_templates.service.update_template`) and, when it changes the data sent
    to TikTok, queue the sync of the template's products there."""
    before = templates.get_template_spec(session, merchant_id, template_id)
    template = templates.update_template(session, merchant_id, template_id, data, category=category)
    changes = mapping_changes(before, template.spec())
    if changes:
        queue_template_sync(session, merchant_id, template, changes)
    return template


def queue_template_sync(session: Session, merchant_id: int, template: CategoryTemplate, changes: list[str]) -> int:
    """Queue the sync of the template's products on TikTok and record it; returns how many were queued."""
    connection = ConnectionRepository(session).first(TIKTOK)
    on_tiktok = ListingRepository(session).on_tiktok_by_template(connection.id, template.id) if connection else {}
    queued = [product_id for status in SYNCED_STATUSES for product_id in on_tiktok.get(status, [])]
    for product_id in queued:
        identity = f"{SYNC_JOB}:{product_id}:template"
        payload = {"product_id": product_id, "reason": "template"}
        job = enqueue(session, SYNC_JOB, merchant_id=merchant_id, identity_key=identity, payload=payload)
        if job.state == JobState.RUNNING:  # it may have read the template before this edit
            enqueue(session, SYNC_JOB, merchant_id=merchant_id, payload=payload)
    reviewing = len(on_tiktok.get(ListingStatus.REVIEWING, []))
    outcome = f"{_products(len(queued))} on TikTok queued for sync" if queued else "no product on TikTok to update"
    title = f"Template “{template.name}” edited: {'; '.join(changes)}; {outcome}"
    message = f"{_products(reviewing)} under review get the change once TikTok approves them." if reviewing else None
    if len(title) > TITLE_LENGTH:
        message = " ".join(filter(None, ["Changes: " + "; ".join(changes) + ".", message]))
        title = f"Template “{template.name[:120]}” edited; {outcome}"
    activity.record(session, merchant_id, "templates.edited", title, message, status=ActivityStatus.INFO,
                    details={"template_id": template.id, "changes": changes, "queued": len(queued)})
    return len(queued)


def _products(count: int) -> str:
    return f"{count} product" if count == 1 else f"{count} products"
