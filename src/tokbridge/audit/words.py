"""The trail in a merchant's words: what each kind of entry is, and its values before and after as
text (never a field path or a raw code)."""

from __future__ import annotations

from tokbridge.audit.models import ActorType, AuditEntry
from tokbridge.kit.words import plural

# Entry kinds, and the families the audit page filters by (the first part of a kind).
KIND_LABELS = {
    "template.created": "Template created",
    "template.edited": "Template edited",
    "template.deleted": "Template deleted",
    "listing.price": "Price sent to TikTok",
    "listing.stock": "Stock sent to TikTok",
    "listing.status": "Activated or deactivated on TikTok",
    "listing.deleted": "Deleted on TikTok",
    "bulk.activate": "Bulk activate",
    "bulk.deactivate": "Bulk deactivate",
    "bulk.delete": "Bulk delete",
    "bulk.upload": "Upload",
    "bulk.assign": "Template assignment",
    "settings.sync": "Sync settings",
    "settings.rate": "Price rate",
    "settings.orders": "Order settings",
    "plan.changed": "Plan",
    "connection.connected": "Account connected",
    "connection.disconnected": "Account disconnected",
    "undo": "Undo",
}
FAMILIES = [
    ("template", "Templates"),
    ("listing", "Prices, stock and status on TikTok"),
    ("bulk", "Bulk actions and uploads"),
    ("settings", "Settings"),
    ("plan", "Plan"),
    ("connection", "Connections"),
    ("undo", "Undos"),
]
SETTING_LABELS = {
    "sync_product_info": "Product information sync",
    "sync_price": "Price sync",
    "sync_inventory": "Inventory sync",
    "on_store_delete": "When a product is deleted in the store",
}
ORDER_SETTING_LABELS = {
    "restock_on_cancel": "Restock on cancel",
    "restock_on_return": "Restock on return",
    "unknown_sku": "Unknown SKU",
    "carrier_map": "Carrier mapping",
    "new_order_state": "Status of new orders",
    "delivered_state": "Status when delivered",
    "cancelled_state": "Status when cancelled",
}
STATUS_LABELS = {
    "live": "Live",
    "inactive": "Inactive",
    "reviewing": "Reviewing",
    "failed": "Failed",
    "not_uploaded": "Not on TikTok",
    "in_progress": "In progress",
}


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.split(".", 1)[0].capitalize())


def who(entry: AuditEntry) -> str:
    """ "owner@shop.test", or "Sync a product to TikTok (job)"."""
    return f"{entry.actor_name} (job)" if entry.actor_type == ActorType.JOB else entry.actor_name


def values(entry: AuditEntry, side: str) -> str:
    """The entry's values before or after, as a short text; "" where the summary says it all."""
    data = getattr(entry, side)
    if not data:
        return ""
    kind = entry.kind
    if kind in ("listing.price", "listing.stock"):
        return ", ".join("not sent before" if v is None else str(v) for v in data.get("skus", {}).values())
    if kind in ("listing.status", "listing.deleted"):
        return STATUS_LABELS.get(data.get("status"), "")
    if kind == "settings.sync":
        return "; ".join(f"{SETTING_LABELS[k]}: {_setting(v)}" for k, v in data.items() if k in SETTING_LABELS)
    if kind == "settings.orders":
        return "; ".join(
            f"{ORDER_SETTING_LABELS[k]}: {_setting(v)}" for k, v in data.items() if k in ORDER_SETTING_LABELS
        )
    if kind == "settings.rate":
        return str(data.get("rate") or "none")
    if kind == "plan.changed":
        return str(data.get("plan", "")).capitalize()
    if kind.startswith("connection."):
        return str(data.get("account", ""))
    if kind == "bulk.assign":
        return plural(len(data.get("links", {})), "product link")
    return ""


def _setting(value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, dict):
        return ", ".join(f"{key} = {mapped}" for key, mapped in value.items()) or "none"
    if value is None:
        return "the store's default"
    return {"fail": "fail the order", "custom_line": "add it as a custom line"}.get(value, str(value))
