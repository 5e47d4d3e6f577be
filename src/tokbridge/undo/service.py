"""What an undo would do (`preview`) and starting it (`request_undo`).

An undo works on a change set: its head and its entries. Each entry kind has its own way back:

- `template.edited`: the template as it was (in TokBridge, at once, in the request's transaction);
- `bulk.assign`: each product's earlier template link (in TokBridge, at once);
- `listing.price`: the prices TikTok had before (by the `undo.apply` job);
- `listing.status`: the opposite activation (by the job).

What has no way back says so before anything is done: a deletion on TikTok (upload the product again
instead), stock (it follows the store and its orders), an upload, a new or deleted template. An entry is a
*conflict* when what it set has been changed since by something else; the merchant chooses, per product,
to skip it (the default) or overwrite it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from tokbridge.audit import service as audit
from tokbridge.audit.models import AuditEntry
from tokbridge.audit.repository import AuditRepository
from tokbridge.catalog.models import CatalogProduct
from tokbridge.category_templates import repository as template_repo
from tokbridge.category_templates import service as templates
from tokbridge.category_templates.models import ASSIGNED_MANUAL, ProductTemplateAssignment
from tokbridge.channels.shops import NoSuchShop, ShopContext, shop_context
from tokbridge.jobs import kinds
from tokbridge.jobs.models import Job
from tokbridge.jobs.service import enqueue
from tokbridge.kit.errors import PermanentError
from tokbridge.kit.words import plural
from tokbridge.listings.models import Listing, ListingStatus
from tokbridge.listings.repository import ListingRepository

UNDO_JOB = kinds.UNDO_APPLY
SKIP, OVERWRITE = "skip", "overwrite"
# Entry kinds the job puts back on TikTok, and those put back in TokBridge by the request itself.
ON_TIKTOK = ("listing.price", "listing.status")
IN_TOKBRIDGE = ("template.edited", "bulk.assign")
# Kinds with no way back, and what to do instead.
IRREVERSIBLE = {
    "listing.deleted": "A product deleted on TikTok cannot be brought back there: upload it again instead "
    "(it is created afresh, and goes through TikTok's review).",
    "bulk.delete": "Products deleted on TikTok cannot be brought back there: upload them again instead "
    "(they are created afresh, and go through TikTok's review).",
    "bulk.upload": "An upload cannot be taken back: to take the products off TikTok, deactivate or delete them.",
    "listing.stock": "Stock is not put back: it follows your store's stock and orders, and the next sync sends "
    "the current count.",
    "template.created": "A new template is taken back by deleting it on the Templates page.",
    "template.deleted": "A deleted template is not brought back: create it again on the Templates page.",
    "settings.sync": "Change the sync settings back on the Settings page.",
    "settings.rate": "Set the price rate back on the Settings page: the prices on TikTok follow it.",
    "plan.changed": "Change the plan back on the Plans page.",
    "connection.connected": "Disconnect the account from the Settings page.",
    "connection.disconnected": "Connect the account again from the Settings page.",
}
# Heads whose meaning is their entries (the request of a bulk action): nothing of their own goes back.
MARKERS = ("bulk.activate", "bulk.deactivate", "undo")
STATUS_WORDS: dict[str, str] = {
    ListingStatus.LIVE: "Live",
    ListingStatus.INACTIVE: "Inactive",
    ListingStatus.REVIEWING: "Reviewing",
    ListingStatus.FAILED: "Failed",
    ListingStatus.NOT_UPLOADED: "Not on TikTok",
    ListingStatus.IN_PROGRESS: "In progress",
}


class UndoRefused(PermanentError):
    """The change set cannot be undone (now); the message says why in plain words. A permanent error, so
    the `undo.apply` job that meets one fails with the same words."""


@dataclass
class PreviewItem:
    entry_id: int
    product_id: int | None
    title: str
    goes_back: str  # what the undo puts back, in words
    conflict: str | None = None  # what changed since, when something did
    can_overwrite: bool = True
    key: str = ""  # what a decision names: the entry's id, "<entry id>:<product id>" for one link of many

    def __post_init__(self) -> None:
        self.key = self.key or str(self.entry_id)


@dataclass
class Preview:
    head: AuditEntry
    items: list[PreviewItem] = field(default_factory=list)
    cannot: list[str] = field(default_factory=list)  # what will not go back, and what to do instead
    refused: str | None = None  # the whole undo is not possible, and why

    @property
    def conflicts(self) -> list[PreviewItem]:
        return [item for item in self.items if item.conflict]

    @property
    def possible(self) -> bool:
        return self.refused is None and bool(self.items)


def head_of(session: Session, entry_id: int) -> AuditEntry | None:
    """The change set an entry belongs to (an undo starts from any of its entries, or its activity row)."""
    repository = AuditRepository(session)
    entry = repository.get(entry_id)
    if entry is None:
        return None
    return repository.get(entry.change_set_id) if entry.change_set_id else entry


def preview(session: Session, head: AuditEntry) -> Preview:
    result = Preview(head)
    if head.undone_by:
        result.refused = "This change has already been undone; its undo is in the trail and can be undone in turn."
        return result
    entries = [head, *AuditRepository(session).items(head.id)]
    titles = _titles(session, {entry.product_id for entry in entries if entry.product_id})
    seen_cannot = set()
    for entry in entries:
        if entry.kind in IRREVERSIBLE:
            if entry.kind not in seen_cannot:
                seen_cannot.add(entry.kind)
                result.cannot.append(IRREVERSIBLE[entry.kind])
            continue
        item = _item(session, entry, titles)
        if item is not None:
            result.items.extend(item if isinstance(item, list) else [item])
    if not result.items and not result.refused:
        result.refused = (
            "Nothing in this change can be undone." if result.cannot else "This change has nothing to put back."
        )
    return result


def check(session: Session, entry: AuditEntry) -> PreviewItem:
    """One TikTok entry's (a kind of ON_TIKTOK) way back as it stands now (the job checks again before it
    sends)."""
    titles = _titles(session, {entry.product_id} if entry.product_id else set())
    return _tiktok_item(session, entry, titles)


def _titles(session: Session, product_ids: set[int]) -> dict[int, str]:
    if not product_ids:
        return {}
    return dict(
        session.execute(select(CatalogProduct.id, CatalogProduct.title).where(CatalogProduct.id.in_(product_ids))).all()
    )


def _item(session: Session, entry: AuditEntry, titles: Mapping[int, str]) -> PreviewItem | list[PreviewItem] | None:
    if entry.kind in ON_TIKTOK:
        return _tiktok_item(session, entry, titles)
    if entry.kind == "template.edited":
        return _template_item(session, entry)
    if entry.kind == "bulk.assign":
        return _assign_items(session, entry)
    return None  # a marker head (its entries say what goes back)


def _tiktok_item(session: Session, entry: AuditEntry, titles: Mapping[int, str]) -> PreviewItem:
    gone = "A product that is no longer in your store"
    title = gone if entry.product_id is None else titles.get(entry.product_id, gone)
    if entry.kind == "listing.price":
        return _price_item(session, entry, title)
    return _status_item(session, entry, title)


def kept_values(entry: AuditEntry) -> tuple[dict, dict]:
    """The entry's values before and after the change. Every kind with a way back keeps both; an entry
    without them has nothing to put back."""
    if entry.before is None or entry.after is None:
        raise UndoRefused("This change did not keep the values it replaced, so it cannot be undone.")
    return entry.before, entry.after


def _template_id(entry: AuditEntry) -> int:
    if entry.subject_id is None:
        raise UndoRefused("This change did not keep which template it edited, so it cannot be undone.")
    return int(entry.subject_id)


def _listing(session: Session, entry: AuditEntry) -> Listing | None:
    """The product's listing in the entry's shop, if it is still the TikTok product the entry changed."""
    if entry.connection_id is None or entry.product_id is None:
        return None  # the entry names no product in a shop: there is no listing it changed
    listing = ListingRepository(session).for_product(entry.connection_id, entry.product_id)
    tiktok_id = (entry.before or entry.after or {}).get("tiktok_product_id")
    return listing if listing is not None and listing.tiktok_product_id == tiktok_id else None


def price_back_words(back: dict[str, str], seller_skus: dict[str, str | None]) -> str:
    """ "Price back to 16.00" when every SKU goes back to one price, else each SKU by its seller SKU (in the
    order the change sent them), so a merchant can tell which variant gets which price."""
    if not back:
        return "Price back to nothing (its prices were sent for the first time)"
    if len(set(back.values())) == 1:
        return f"Price back to {next(iter(back.values()))}"
    return "Prices back to " + ", ".join(
        f"{seller_skus.get(sku) or f'variant {place}'} {price}" for place, (sku, price) in enumerate(back.items(), 1)
    )


def _price_item(session: Session, entry: AuditEntry, title: str) -> PreviewItem:
    before, after = kept_values(entry)
    back = {sku: price for sku, price in before["skus"].items() if price is not None}
    listing = _listing(session, entry)
    rows = ListingRepository(session).skus(listing.id) if listing is not None else []
    item = PreviewItem(
        entry.id, entry.product_id, title, price_back_words(back, {row.tiktok_sku_id: row.seller_sku for row in rows})
    )
    if listing is None:
        item.conflict, item.can_overwrite = "It is no longer the same product on TikTok.", False
        return item
    now = {row.tiktok_sku_id: row.pushed_price for row in rows}
    changed = [sku for sku, price in after["skus"].items() if now.get(sku) != price]
    if changed:
        item.conflict = (
            f"Its price on TikTok changed since (now {', '.join(sorted(str(now.get(s)) for s in changed))})"
            f": your store or another change sent a new one."
        )
    return item


def _status_item(session: Session, entry: AuditEntry, title: str) -> PreviewItem:
    _, after = kept_values(entry)
    action = after["action"]
    back = "Activate it again" if action == "deactivate" else "Deactivate it"
    item = PreviewItem(entry.id, entry.product_id, title, back)
    listing = _listing(session, entry)
    if listing is None:
        item.conflict, item.can_overwrite = "It is no longer on TikTok as it was (deleted since?).", False
        return item
    left = (ListingStatus.LIVE, ListingStatus.REVIEWING) if action == "activate" else (after["status"],)
    if listing.status not in left:
        item.conflict = f"Its status changed since: it is now {STATUS_WORDS.get(listing.status, listing.status)}."
    return item


def _template_item(session: Session, entry: AuditEntry) -> PreviewItem:
    before, after = kept_values(entry)
    name = before.get("name") or "the template"
    item = PreviewItem(entry.id, None, f"Template “{name}”", "The template's settings as they were before")
    template = template_repo.get_template(session, _shop(session, entry), _template_id(entry))
    if template is None:
        item.conflict, item.can_overwrite = "The template has been deleted since.", False
    elif template.spec().model_dump(mode="json") != after:
        item.conflict = "The template has been edited again since."
    return item


def _assign_items(session: Session, entry: AuditEntry) -> list[PreviewItem]:
    shop = _shop(session, entry)
    before, after = kept_values(entry)
    links = template_repo.assignment_map(session, shop, [int(pid) for pid in after["links"]])
    titles = _titles(session, {int(pid) for pid in after["links"]})
    names = {t.id: t.name for t in template_repo.list_templates(session, shop)}
    items = []
    for pid, link in before["links"].items():
        back = (
            f"Linked to “{names.get(link[0], 'a deleted template')}” again" if link else "Linked to no template again"
        )
        item = PreviewItem(entry.id, int(pid), titles.get(int(pid), "A product"), back, key=f"{entry.id}:{pid}")
        current = links.get(int(pid))
        if current is None or list(current) != after["links"][pid]:
            item.conflict = "Its template link changed since."
        if link and link[0] not in names:
            item.conflict, item.can_overwrite = "Its earlier template has been deleted.", False
        items.append(item)
    return items


def _shop(session: Session, entry: AuditEntry) -> ShopContext:
    try:
        return shop_context(session, entry.connection_id)
    except NoSuchShop:
        raise UndoRefused("The TikTok shop of this change is no longer connected.") from None


def request_undo(
    session: Session, entry_id: int, decisions: Mapping[str, str] | None = None
) -> tuple[AuditEntry, Job | None]:
    """Undo the change set of `entry_id`: TokBridge's own values at once, TikTok's by the `undo.apply` job.
    `decisions`: per conflicting entry (its id, or "<entry id>:<product id>" for an assignment), "skip"
    (the default) or "overwrite". Returns the undo's head (itself undoable) and its job, if any."""
    head = head_of(session, entry_id)
    if head is None:
        raise UndoRefused("There is no such change.")
    shown = preview(session, head)
    if shown.refused:
        raise UndoRefused(shown.refused)
    keys = {item.key for item in shown.items}
    decisions = {
        key: choice for key, choice in (decisions or {}).items() if key in keys and choice in (SKIP, OVERWRITE)
    }
    wanted = [
        item
        for item in shown.items
        if not item.conflict or (item.can_overwrite and decisions.get(item.key) == OVERWRITE)
    ]
    if not wanted:
        raise UndoRefused("Nothing would go back: everything in this change was changed since, and is left as it is.")
    undo = audit.record(
        session,
        None,
        "undo",
        ("change", head.id),
        None,
        {"decisions": decisions, "skipped": [item.key for item in shown.items if item not in wanted]},
        summary=f"Undo of: {head.summary}"[:255],
        connection_id=head.connection_id,
    )
    undo.undo_of = head.id
    head.undone_by = undo.id  # in the same transaction: a change set is undone once
    entries = {entry.id: entry for entry in [head, *AuditRepository(session).items(head.id)]}
    for item in wanted:
        entry = entries[item.entry_id]
        if entry.kind == "template.edited":
            _restore_template(session, entry, undo)
        elif entry.kind == "bulk.assign" and item.product_id is not None:  # an assignment's items name their product
            _restore_link(session, entry, item.product_id, undo)
    on_tiktok = [item.entry_id for item in wanted if entries[item.entry_id].kind in ON_TIKTOK]
    if not on_tiktok:
        return undo, None
    title = f"Undo: {plural(len(on_tiktok), 'product')} back on TikTok"
    job = enqueue(
        session,
        UNDO_JOB,
        merchant_id=head.merchant_id,
        title=title,
        payload={
            "undo": undo.id,
            "entries": on_tiktok,
            "connection_id": head.connection_id,
            "triggered_by": audit.actor_of(session).trigger(undo.summary),
        },
    )
    return undo, job


def _restore_template(session: Session, entry: AuditEntry, undo: AuditEntry) -> None:
    shop = _shop(session, entry)
    template_id = _template_id(entry)
    before, _ = kept_values(entry)
    current = templates.get_template_spec(session, shop, template_id).model_dump(mode="json")
    template = templates.update_template(session, shop, template_id, before)
    audit.record(
        session,
        None,
        "template.edited",
        ("template", template_id),
        current,
        before,
        summary=f"Template “{template.name[:150]}” put back as it was",
        change_set=undo,
        connection_id=entry.connection_id,
    )


def _restore_link(session: Session, entry: AuditEntry, product_id: int, undo: AuditEntry) -> None:
    shop = _shop(session, entry)
    link = kept_values(entry)[0]["links"][str(product_id)]
    current = template_repo.assignment_map(session, shop, [product_id]).get(product_id)
    template_repo.delete_assignments(session, shop, [product_id])
    if link:
        session.add(
            ProductTemplateAssignment(
                merchant_id=shop.merchant_id,
                connection_id=shop.shop_id,
                product_id=product_id,
                template_id=link[0],
                assigned_by=link[1] or ASSIGNED_MANUAL,
            )
        )
    audit.record(
        session,
        None,
        "bulk.assign",
        ("template", link[0] if link else None),
        {"links": {str(product_id): list(current) if current else None}},
        {"links": {str(product_id): link}},
        summary="Template link put back as it was",
        change_set=undo,
        product_id=product_id,
        connection_id=entry.connection_id,
    )
