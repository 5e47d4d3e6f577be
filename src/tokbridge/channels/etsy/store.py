"""`EtsyStore`: the `SourceStore` port over Etsy's Open API v3, for one connected shop.

Catalog: Etsy has no export, so the full read walks the shop's listings state by state (active, inactive,
sold out, draft, expired: every one the merchant sells from or may again) a page at a time with their
images (getListingsByShop, `includes=Images`), completes each page with its inventory in one batch call
(getListingsInventoryByListingIds, at most 100 listings) and checkpoints the (state, offset) reached.
(The document of 2026-08 no longer lets getListingsByListingIds include `Inventory`.)

Stock: Etsy has no compare-and-set and no idempotency key. A stock write reads the listing's inventory,
compares the expected quantity, changes only the quantities asked (their sharing group included) and writes
everything else back exactly; then it reads again, and a difference from what it wrote means another write
landed meanwhile (`RetryableError`: the job reads and decides again). The window the read cannot close is
one round trip between the read and the write: a sale in it is overwritten, and the next reconciliation
reads Etsy again. A repeated `set_inventory` writes the same quantity again (harmless); a repeated
`adjust_inventory` applies its change twice.

Orders: Etsy takes no outside order (`capabilities.creates_orders` is false): TokBridge keeps TikTok's
orders itself and takes their units from Etsy's stock with `adjust_inventory`. Etsy's own receipts are
left alone.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Self

from tokbridge.channels.base import (
    CatalogCheckpoint,
    CatalogItem,
    CatalogPending,
    CatalogStream,
    CreatedOrder,
    InventoryChange,
    InventoryQuantity,
    NewOrder,
    OrderFulfilments,
    OrderPage,
    Product,
    ProductPage,
    RefundItem,
)
from tokbridge.channels.etsy import inventory as inv
from tokbridge.channels.etsy import mapping
from tokbridge.channels.etsy.client import EtsyClient, QueryValue
from tokbridge.channels.etsy.errors import EtsyUnavailable, NotFound, PermanentError, StockChangedMeanwhile

log = logging.getLogger(__name__)
BATCH = 100  # Etsy's limit for listings per batch read and per page
NO_OUTSIDE_ORDERS = (
    "Etsy does not accept orders from other sales channels: TokBridge keeps this TikTok order "
    "itself and takes its units from your Etsy stock."
)


class EtsyStore:
    channel = "etsy"

    def __init__(self, client: EtsyClient, shop_id: str, *, page_size: int = BATCH):
        self.client = client
        self.shop_id = int(shop_id)
        self.page_size = min(max(page_size, 1), BATCH)
        self._shop: dict | None = None

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- the shop ---------------------------------------------------------------------------------

    def _shop_record(self) -> dict:
        if self._shop is None:
            self._shop = self.client.get(f"/shops/{self.shop_id}", what="the shop's details")
        return self._shop

    def shop_details(self) -> dict[str, str]:
        shop = self._shop_record()
        return {
            "name": shop.get("shop_name") or str(self.shop_id),
            "domain": shop.get("url") or f"etsy.com/shop/{shop.get('shop_name')}",
            "currency": shop.get("currency_code") or "",
        }

    def locations(self) -> list[dict]:
        """One location: the shop (Etsy keeps one quantity per offering)."""
        return [
            {"id": str(self.shop_id), "name": self._shop_record().get("shop_name") or "Etsy shop", "isActive": True}
        ]

    # --- catalog ----------------------------------------------------------------------------------

    def _page(self, state: str, offset: int, *, changed_first: bool = False) -> tuple[list[dict], int]:
        query: dict[str, QueryValue] = {
            "state": state,
            "limit": self.page_size,
            "offset": offset,
            "includes": ["Images"],
        }
        if changed_first:
            query.update(sort_on="updated", sort_order="desc")
        data = self.client.get(f"/shops/{self.shop_id}/listings", query, what="the shop's listings")
        return list(data.get("results") or []), int(data.get("count") or 0)

    def _inventories(self, listing_ids: list[int]) -> dict[int, dict]:
        """Inventory by listing, `BATCH` listings a call. A listing deleted since it was listed makes the
        batch answer 404: those are then read one by one, and the gone ones left out."""
        found: dict[int, dict] = {}
        for start in range(0, len(listing_ids), BATCH):
            chunk = listing_ids[start : start + BATCH]
            try:
                data = self.client.get(
                    "/listings/batch/inventory", {"listing_ids": chunk}, what="the listings' inventory"
                )
            except NotFound:
                for listing_id in chunk:
                    single = self._inventory(listing_id)
                    if single is not None:
                        found[listing_id] = single
                continue
            for result in data.get("results") or []:
                if result.get("inventory") is not None:
                    found[int(result["listing_id"])] = result["inventory"]
        return found

    def _inventory(self, listing_id: int) -> dict | None:
        try:
            return self.client.get(f"/listings/{listing_id}/inventory", what="the listing's inventory")
        except NotFound:
            return None

    def _complete(self, listings: list[dict]) -> list[Product]:
        ours = [listing for listing in listings if int(listing.get("shop_id") or self.shop_id) == self.shop_id]
        inventories = self._inventories([int(listing["listing_id"]) for listing in ours])
        products = []
        for listing in ours:
            record = mapping.product(listing, inventories.get(int(listing["listing_id"])), self.shop_id)
            for reason in mapping.without_sku(record).values():
                log.info("etsy listing %s: %s", record.external_id, reason)
            products.append(record)
        return products

    def read_catalog(self, checkpoint: dict | None = None) -> CatalogPending | CatalogStream:
        state = dict(checkpoint or {})
        return CatalogStream(self._catalog_items(int(state.get("state", 0)), int(state.get("offset", 0))))

    def _catalog_items(self, state_index: int, offset: int) -> Iterator[CatalogItem | CatalogCheckpoint]:
        seen: set[str] = set()  # a listing whose state changed during the read is streamed once
        for index in range(state_index, len(mapping.STATES)):
            while True:
                listings, count = self._page(mapping.STATES[index], offset)
                for product in self._complete(listings):
                    if product.external_id not in seen:
                        seen.add(product.external_id)
                        yield product
                offset += len(listings)
                if not listings or offset >= count:
                    break
                yield CatalogCheckpoint({"state": index, "offset": offset})
            offset = 0
            if index + 1 < len(mapping.STATES):
                yield CatalogCheckpoint({"state": index + 1, "offset": 0})

    def products_changed_since(self, since: datetime, cursor: str | None = None) -> ProductPage:
        """Listings updated after `since`, newest first within each state (sort_on=updated): a state's walk
        stops at the first listing not changed since. The cursor is the (state, offset) to go on from."""
        position = json.loads(cursor) if cursor else {"state": 0, "offset": 0}
        index, offset = int(position["state"]), int(position["offset"])
        stamp = since.astimezone(UTC).timestamp()
        while index < len(mapping.STATES):
            listings, count = self._page(mapping.STATES[index], offset, changed_first=True)
            changed = [
                listing
                for listing in listings
                if (listing.get("updated_timestamp") or listing.get("last_modified_timestamp") or 0) > stamp
            ]
            done_with_state = len(changed) < len(listings) or offset + len(listings) >= count or not listings
            following = (
                {"state": index + 1, "offset": 0}
                if done_with_state
                else {"state": index, "offset": offset + len(listings)}
            )
            more = following["state"] < len(mapping.STATES)
            if changed:
                return ProductPage(self._complete(changed), json.dumps(following) if more else None)
            index, offset = following["state"], following["offset"]
        return ProductPage([], None)

    def product(self, external_id: str) -> Product | None:
        if not external_id.isdigit():
            return None
        try:
            listing = self.client.get(f"/listings/{int(external_id)}", {"includes": ["Images"]}, what="the listing")
        except NotFound:
            return None
        if int(listing.get("shop_id") or 0) != self.shop_id:
            return None
        inventory = self._inventory(int(external_id))
        return mapping.product(listing, inventory, self.shop_id)

    # --- stock ------------------------------------------------------------------------------------

    def _by_listing(self, items: Sequence[str]) -> dict[int, list[str]]:
        grouped: dict[int, list[str]] = {}
        for item in items:
            listing_id = mapping.listing_of(item)
            if listing_id is None:
                raise NotFound(f"{item!r} is not an Etsy variant TokBridge knows.")
            grouped.setdefault(listing_id, []).append(item)
        return grouped

    def _located(self, listing_id: int, inventory: dict, item: str) -> int:
        index = inv.find(listing_id, inventory, item)
        if index is None:
            raise NotFound(
                "This variant is no longer in the Etsy listing (its SKU or options changed); "
                "the next catalog update finds it again."
            )
        return index

    def _write(self, listing_id: int, inventory: dict, quantities: dict[int, int]) -> None:
        """Replace the inventory with `quantities` changed, then read it back to see whether another write
        landed meanwhile."""
        body = inv.writable(inventory, quantities)
        # Three variations are read and written back as they are (the default would refuse a third).
        self.client.request(
            "PUT",
            f"/listings/{listing_id}/inventory",
            query={"max_variations_supported": "3"},
            json=body,
            what="the listing's stock",
        )
        again = self._inventory(listing_id)
        if again is None:
            raise NotFound("The Etsy listing was deleted while its stock was written.")
        if inv.comparable(inv.writable(again)) != inv.comparable(body):
            raise EtsyUnavailable(
                "Etsy's stock for this listing changed while TokBridge wrote it; it will be "
                "read again and the change decided again.",
                retry_after=1.0,
            )

    def set_inventory(self, quantities: Sequence[InventoryQuantity], *, idempotency_key: str) -> None:
        """Absolute quantities, compared first with `change_from_quantity` where given (read, compare,
        write: see the module's docstring for the window). A stale one refuses the whole call."""
        for listing_id, items in self._by_listing([q.inventory_item_external_id for q in quantities]).items():
            inventory = self._inventory(listing_id)
            if inventory is None:
                raise NotFound("The Etsy listing no longer exists.")
            wanted: dict[int, int] = {}
            for quantity in quantities:
                if quantity.inventory_item_external_id not in items:
                    continue
                index = self._located(listing_id, inventory, quantity.inventory_item_external_id)
                current = inv.quantity(inventory, index)
                if quantity.change_from_quantity is not None and current != quantity.change_from_quantity:
                    raise StockChangedMeanwhile(
                        f"Etsy now has {current} in stock, not {quantity.change_from_quantity}; nothing was "
                        "changed. TokBridge reads the stock again before deciding.",
                        [f"Etsy has {current} in stock, not the {quantity.change_from_quantity} expected."],
                    )
                for shared in inv.group(inventory, index):
                    wanted[shared] = max(int(quantity.quantity), 0)
            self._write(listing_id, inventory, wanted)

    def adjust_inventory(self, changes: Sequence[InventoryChange], *, reason: str, idempotency_key: str) -> None:
        """Relative changes (a TikTok sale kept in TokBridge, a restock): read, add, write. Etsy takes no
        key, so a repeated call changes the stock again; a quantity never goes below zero."""
        for listing_id, items in self._by_listing([c.inventory_item_external_id for c in changes]).items():
            inventory = self._inventory(listing_id)
            if inventory is None:
                raise NotFound("The Etsy listing no longer exists.")
            deltas: dict[int, int] = {}
            for change in changes:
                if change.inventory_item_external_id not in items:
                    continue
                index = self._located(listing_id, inventory, change.inventory_item_external_id)
                shared = tuple(inv.group(inventory, index))
                deltas[shared[0]] = deltas.get(shared[0], 0) + int(change.delta)
            wanted: dict[int, int] = {}
            for first, delta in deltas.items():
                new = inv.quantity(inventory, first) + delta
                if new < 0:
                    log.warning("etsy listing %s: stock would go to %s; set to 0", listing_id, new)
                for linked in inv.group(inventory, first):
                    wanted[linked] = max(new, 0)
            self._write(listing_id, inventory, wanted)

    # --- orders: Etsy takes none from outside ------------------------------------------------------

    def create_order(self, order: NewOrder) -> CreatedOrder:
        raise PermanentError(NO_OUTSIDE_ORDERS)

    def order_fulfilments(self, order_external_id: str) -> OrderFulfilments:
        raise PermanentError(
            "TokBridge creates no orders in Etsy, so there is no Etsy order to read: shipping is entered in TokBridge."
        )

    def orders_changed_since(
        self, since: datetime | None, cursor: str | None = None, *, source_name: str | None = None
    ) -> OrderPage:
        return OrderPage(orders=[], next_cursor=None)

    def cancel_order(
        self,
        order_external_id: str,
        *,
        reason: str = "other",
        restock: bool = True,
        state_external_id: str | None = None,
    ) -> None:
        raise PermanentError(
            "TokBridge creates no orders in Etsy, so there is none to cancel there; the order "
            "is cancelled in TokBridge and its units put back with a stock change."
        )

    def refund_order(
        self, order_external_id: str, items: Sequence[RefundItem], *, note: str, idempotency_key: str
    ) -> str:
        raise PermanentError("TokBridge creates no orders in Etsy, so a refund is recorded in TokBridge only.")
