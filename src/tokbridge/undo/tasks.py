"""The `undo.apply` job: puts the earlier prices and statuses back on TikTok, one change-set entry at a time.

Each entry goes in three steps, with no transaction open during the call to TikTok: read and check (what
changed since the preview is left alone unless the merchant chose to overwrite it), send, then record the
listing's new values, the undo's own audit entry and the job's checkpoint in one transaction. A crash
before that commit sends the same absolute values again on resume (harmless) and records them once; a
rate limit puts the job back in the queue, to resume from the checkpoint."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from tokbridge.activity import service as activity
from tokbridge.audit.models import AuditEntry
from tokbridge.audit.repository import AuditRepository
from tokbridge.catalog.models import CatalogProduct
from tokbridge.channels.factory import tiktok_client
from tokbridge.channels.shops import NoSuchShop, shop_context
from tokbridge.channels.tiktok.models import Price, PriceUpdate
from tokbridge.db.engine import for_writing, get_engine
from tokbridge.jobs.kinds import UNDO_APPLY as UNDO_JOB
from tokbridge.jobs.registry import job_handler
from tokbridge.jobs.runner import JobContext
from tokbridge.jobs.service import enqueue
from tokbridge.kit.errors import PermanentError
from tokbridge.kit.words import plural
from tokbridge.listings.models import ListingSku, ListingStatus
from tokbridge.listings.repository import ListingRepository
from tokbridge.listings.tasks import SentChanges, audit_pushes, audit_status
from tokbridge.undo import service


@dataclass
class _Step:
    """One entry's way back, read before the call: what to send and to which TikTok product."""

    entry_id: int
    tiktok_id: str
    prices: dict[str, dict] = field(default_factory=dict)  # TikTok SKU id -> {before, after, currency}
    action: str | None = None  # activate or deactivate; None: the step puts prices back


@job_handler(UNDO_JOB, title="Undo a change on TikTok")
def apply(ctx: JobContext) -> None:
    entry_ids = sorted(int(entry_id) for entry_id in ctx.payload["entries"])
    overwrite = {str(key) for key, choice in _decisions(ctx).items() if choice == service.OVERWRITE}
    with ctx.session() as session:
        try:
            connection = shop_context(session, ctx.payload["connection_id"]).shop
        except NoSuchShop:
            raise PermanentError("The TikTok shop of this change is no longer connected.") from None
        session.expunge(connection)
    client = tiktok_client(ctx.settings, get_engine(ctx.settings.database_url), connection)
    done, left_alone = int(ctx.checkpoint.get("done", 0)), int(ctx.checkpoint.get("left_alone", 0))
    for entry_id in (e for e in entry_ids if e > int(ctx.checkpoint.get("after", 0))):
        ctx.make_way(hand_back=False)
        with ctx.session() as session:
            step = _step(session, AuditRepository(session).get(entry_id), str(entry_id) in overwrite)
        if step is not None:
            _send(client, step)
        with ctx.session() as session, session.begin():
            for_writing(session)
            if step is None:
                left_alone += 1
            else:
                _record(session, ctx, step)
                done += 1
            ctx.progress(
                done + left_alone,
                len(entry_ids),
                session=session,
                checkpoint={"after": entry_id, "done": done, "left_alone": left_alone},
            )
    with ctx.session() as session, session.begin():
        undo = AuditRepository(session).get(int(ctx.payload["undo"]))
        message = f"{plural(done, 'product')} put back on TikTok."
        if left_alone:
            message += f" {plural(left_alone, 'product')} changed since and left as {'they are' if left_alone > 1 else 'it is'}."
        activity.record(
            session,
            ctx.required_merchant_id,
            "undo.finished",
            undo.summary if undo else "Undo finished",
            message=message,
            status="succeeded",
            connection_id=connection.id,
        )


def _decisions(ctx: JobContext) -> dict:
    with ctx.session() as session:
        undo = AuditRepository(session).get(int(ctx.payload["undo"]))
        return dict((undo.after or {}).get("decisions") or {}) if undo else {}


def _step(session: Session, entry: AuditEntry | None, overwrite: bool) -> _Step | None:
    """What to send for this entry now; None when it changed since and the merchant did not choose to
    overwrite it (or it can no longer be sent: the product is gone from TikTok)."""
    if entry is None:
        return None
    check = service.check(session, entry)
    if check.conflict and not (overwrite and check.can_overwrite):
        return None
    before, after = service.kept_values(entry)
    step = _Step(entry.id, before["tiktok_product_id"])
    if entry.kind == "listing.price":
        extra = after.get("extra") or {}
        step.prices = {
            sku: {
                "before": after["skus"][sku],
                "after": price,
                "currency": (extra.get(sku) or {}).get("currency"),
                "seller_sku": None,
            }
            for sku, price in before["skus"].items()
            if price is not None
        }
        if not step.prices:
            return None  # its prices were sent for the first time: there is no earlier price to put back
    else:
        step.action = "activate" if after["action"] == "deactivate" else "deactivate"
    return step


def _send(client, step: _Step) -> None:
    if step.action is None:
        client.update_price(
            step.tiktok_id,
            [
                PriceUpdate(id=sku, price=Price(amount=v["after"], currency=v["currency"]))
                for sku, v in step.prices.items()
            ],
        )
    else:
        call = client.activate_products if step.action == "activate" else client.deactivate_products
        refused = [error.message for error in call([step.tiktok_id]).errors]
        if refused:
            raise PermanentError(f"TikTok refused to {step.action} a product: {refused[0]}")


def _record(session: Session, ctx: JobContext, step: _Step) -> None:
    """The listing's values as TikTok now has them, and the undo's entry for this product."""
    repository = ListingRepository(session)
    listing = repository.by_tiktok_id(ctx.payload["connection_id"], step.tiktok_id)
    if listing is None:
        return  # the product left TokBridge during the call: TikTok has the values back, no listing keeps them
    change_set = int(ctx.payload["undo"])
    if step.action is None:
        rows = {row.tiktok_sku_id: row for row in repository.skus(listing.id)}
        sent = SentChanges()
        for sku, values in step.prices.items():
            row: ListingSku | None = rows.get(sku)
            if row is None:
                continue
            sent.prices[sku] = {**values, "before": row.pushed_price, "seller_sku": row.seller_sku}
            row.pushed_price = values["after"]
        title = (
            session.scalar(select(CatalogProduct.title).where(CatalogProduct.id == listing.product_id)) or "a product"
        )
        audit_pushes(session, sent, listing, title, change_set)
        return
    before = {"tiktok_product_id": step.tiktok_id, "status": listing.status, "tiktok_status": listing.tiktok_status}
    if step.action == "deactivate":
        listing.status, listing.tiktok_status, listing.last_error = ListingStatus.INACTIVE, "SELLER_DEACTIVATED", None
    else:  # TikTok decides whether it goes live at once or back to review: ask it
        enqueue(
            session,
            "listings.refresh_status",
            merchant_id=ctx.merchant_id,
            payload={"connection_id": listing.connection_id, "tiktok_product_ids": [step.tiktok_id]},
        )
    audit_status(session, listing, step.action, before, change_set)
