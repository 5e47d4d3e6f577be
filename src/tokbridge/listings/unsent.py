"""What TikTok has of a product against what TokBridge would send now: the product page says "TikTok has
this" only when it is so, and otherwise shows what the next sync sends next to what was last sent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from tokbridge.listings.models import Listing
from tokbridge.listings.repository import ListingRepository


@dataclass(frozen=True)
class UnsentChange:
    sku: str
    what: str  # "price" or "stock"
    on_tiktok: str  # as last sent
    next_sync: str
    sync_off: bool  # the merchant's switch keeps it from being sent


def unsent_changes(session: Session, listing: Listing, body: dict[str, Any]) -> list[UnsentChange]:
    """The prices and stock of `body` (a mapped product, as JSON) that differ from what was last sent to
    the listing's shop, with that shop's switches."""
    sent = {row.seller_sku: row for row in ListingRepository(session).skus(listing.id)}
    switches = ListingRepository(session).sync_settings(listing.merchant_id, listing.connection_id, create=False)
    changes = []
    for sku in body.get("skus", []):
        row = sent.get(sku.get("seller_sku"))
        if row is None:
            continue
        price = (sku.get("price") or {}).get("amount")
        if price is not None and price != row.pushed_price:
            changes.append(
                UnsentChange(
                    row.seller_sku or "", "price", row.pushed_price or "nothing", str(price), not switches.sync_price
                )
            )
        quantity = sum(entry.get("quantity", 0) for entry in sku.get("inventory") or [])
        if quantity != row.pushed_quantity:
            changes.append(
                UnsentChange(
                    row.seller_sku or "", "stock", str(row.pushed_quantity), str(quantity), not switches.sync_inventory
                )
            )
    return changes
