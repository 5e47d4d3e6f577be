"""The `SourceStore` for one PrestaShop shop, through its Webservice.

Catalog: products page by page by id (`filter[id]=[after,max]`, `sort=[id_ASC]`, `limit`,
`display=full`, the chosen `language`), each page completed with its combinations, option values, stock
rows, tax rates and catalog specific prices in a few list reads; a checkpoint after every page (the last
id read). Images are Webservice URLs, downloaded with the key (`plugin.image_headers`).

Changes: PrestaShop has no webhooks, so everything is found by polling. Products by `date_upd`
(shop-local time: the window starts `poll_overlap_seconds` early to cover a repeated hour and the
second-long stamps, and what was not changed after `since` is dropped again), then the products whose
stock or combinations changed, which PrestaShop does not stamp: every stock row and combination is read
(a few fields each) and compared with the digests the last poll kept (`poll_state`).

Stock: PrestaShop has neither compare-and-set nor idempotency keys. A write reads the stock row, compares
the expected quantity, then writes it: PATCH of the quantity alone on PrestaShop 8 and newer (when the
key may), else a PUT of the whole row as read with the quantity changed (1.7 has no PATCH). A sale in
the shop between the read and the write is overwritten (one round trip); the next poll reads the shop
again. A repeated `set_inventory` writes the same quantity again (harmless); a repeated
`adjust_inventory` applies its change twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Self
from zoneinfo import ZoneInfo

from tokbridge.channels.base import (
    CatalogCheckpoint,
    CatalogItem,
    CatalogPending,
    CatalogStream,
    InventoryChange,
    InventoryQuantity,
    Product,
    ProductPage,
)
from tokbridge.channels.prestashop import mapping, times, xml
from tokbridge.channels.prestashop.client import PrestaShopClient, one_of
from tokbridge.channels.prestashop.errors import NotFound, Refused, StockChangedMeanwhile
from tokbridge.channels.prestashop.orders import OrdersMixin
from tokbridge.channels.prestashop.poll_state import PollState
from tokbridge.channels.prestashop.shop import configuration

log = logging.getLogger(__name__)

LATEST = "9999-12-31 23:59:59"
IDS_PER_FILTER = 100  # ids in one `filter[...]=[a|b|...]`, keeping URLs short


class PrestaShopStore(OrdersMixin):
    channel = "prestashop"

    def __init__(
        self,
        client: PrestaShopClient,
        data: dict,
        poll_state: PollState,
        *,
        page_size: int = 50,
        overlap: timedelta = timedelta(hours=1, minutes=5),
    ):
        self.client = client
        self.data = data
        self.poll_state = poll_state
        self.page_size = page_size
        self.overlap = overlap
        self.shop_id = str(data.get("shop_id") or "1")
        self.language_id = str(data.get("language_id") or "1")
        self.zone = ZoneInfo(str(data.get("timezone") or "UTC"))
        self._options: dict[str, dict] | None = None
        self._option_values: dict[str, dict] | None = None
        self._tax_rates: dict[tuple[str, str], Decimal] = {}

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- the shop ---------------------------------------------------------------------------------

    def shop_details(self) -> dict[str, str]:
        """The shop's name, address and default currency as it is now (the merchant may change it)."""
        settings = configuration(self.client, ("PS_CURRENCY_DEFAULT",))
        currency_id = settings.get("PS_CURRENCY_DEFAULT") or str(self.data.get("currency_id") or "1")
        currency = self.client.one("currencies", "currency", currency_id, what="the shop's currency")
        self.data.update(currency_id=currency_id, currency=str(currency.get("iso_code") or "").upper())
        return {
            "name": str(self.data.get("name") or self.client.address),
            "domain": self.client.address,
            "currency": self.data["currency"],
        }

    def locations(self) -> list[dict]:
        """One location: the connected shop (its stock rows; a multistore's other shops are other
        connections)."""
        rows = self.client.rows(
            "shops", {"display": "[id,name,active]", "filter[id]": f"[{self.shop_id}]"}, what="the shop"
        )
        name = str(rows[0].get("name")) if rows else str(self.data.get("name") or "PrestaShop shop")
        return [{"id": self.shop_id, "name": name, "isActive": True}]

    @property
    def version(self) -> str:
        return self.client.version or str(self.data.get("version") or "")

    def _patches(self) -> bool:
        major = self.version.split(".")[0]
        return major.isdigit() and int(major) >= 8 and bool(self.data.get("can_patch", True))

    # --- reading products -------------------------------------------------------------------------

    def _product_rows(self, query: dict) -> list[dict]:
        return self.client.rows(
            "products", {"display": "full", "language": self.language_id, **query}, what="the products"
        )

    def _by_ids(self, resource: str, field: str, values: Iterable[str], query: dict, *, what: str) -> list[dict]:
        values = sorted(set(values), key=int)
        found: list[dict] = []
        for start in range(0, len(values), IDS_PER_FILTER):
            found.extend(
                self.client.rows(
                    resource, {**query, f"filter[{field}]": one_of(values[start : start + IDS_PER_FILTER])}, what=what
                )
            )
        return found

    def _option_tables(self) -> tuple[dict[str, dict], dict[str, dict]]:
        if self._options is None or self._option_values is None:
            query = {"display": "full", "language": self.language_id}
            self._options = {
                str(row["id"]): row for row in self.client.rows("product_options", query, what="the product options")
            }
            self._option_values = {
                str(row["id"]): row
                for row in self.client.rows("product_option_values", query, what="the option values")
            }
        return self._options, self._option_values

    def _rates(self, groups: set[str], *, country: str | None = None) -> dict[str, Decimal]:
        """Tax rate (a fraction) of each tax rules group for a country (default: the shop's); 0 where the
        group has no rule for it."""
        country = country or str(self.data.get("country_id") or "")
        wanted = {group for group in groups if (country, group) not in self._tax_rates and group not in ("", "0")}
        if wanted:
            query = {"display": "full"}
            if country:
                query["filter[id_country]"] = f"[{country}]"
            rules = self._by_ids("tax_rules", "id_tax_rules_group", wanted, query, what="the tax rules")
            chosen: dict[str, str] = {}
            for rule in sorted(rules, key=lambda r: (str(r.get("id_state") or "0") != "0", int(r["id"]))):
                chosen.setdefault(str(rule.get("id_tax_rules_group")), str(rule.get("id_tax") or "0"))
            tax_ids = {tax for tax in chosen.values() if tax != "0"}
            rates = {
                str(row["id"]): mapping.number(row.get("rate")) / 100
                for row in self._by_ids("taxes", "id", tax_ids, {"display": "[id,rate]"}, what="the taxes")
            }
            for group in wanted:
                self._tax_rates[(country, group)] = rates.get(chosen.get(group, "0"), Decimal(0))
        return {group: self._tax_rates.get((country, group), Decimal(0)) for group in groups}

    def _stock_rows(self, product_ids: Iterable[str]) -> dict[tuple[str, str], int]:
        rows = self._by_ids(
            "stock_availables",
            "id_product",
            product_ids,
            {"display": "[id,id_product,id_product_attribute,id_shop,quantity]"},
            what="the stock",
        )
        return _ours(rows, self.shop_id)

    def _complete(self, rows: list[dict]) -> list[Product]:
        if not rows:
            return []
        product_ids = [str(row["id"]) for row in rows]
        combinations: dict[str, list[dict]] = {}
        with_combinations = [str(row["id"]) for row in rows if mapping.ids(row.get("associations"), "combinations")]
        if with_combinations:
            for combination in self._by_ids(
                "combinations", "id_product", with_combinations, {"display": "full"}, what="the combinations"
            ):
                combinations.setdefault(str(combination["id_product"]), []).append(combination)
        options, option_values = self._option_tables() if combinations else ({}, {})
        now_local = times.to_local(datetime.now().astimezone(), self.zone)
        sales: dict[str, list[mapping.Sale]] = {}
        for row in self._by_ids(
            "specific_prices",
            "id_product",
            product_ids,
            {"display": "full", "filter[id_cart]": "[0]"},
            what="the specific prices",
        ):
            found = mapping.sale(row, self.shop_id, str(self.data.get("currency_id") or ""), now_local)
            if found is not None:
                sales.setdefault(str(row["id_product"]), []).append(found)
        context = mapping.Context(
            address=self.client.address,
            shop_id=self.shop_id,
            language_id=self.language_id,
            zone=self.zone,
            combinations=combinations,
            option_values=option_values,
            options=options,
            stock=self._stock_rows(product_ids),
            tax_rates=self._rates({str(row.get("id_tax_rules_group") or "0") for row in rows}),
            sales=sales,
        )
        return [mapping.product(row, context) for row in rows]

    # --- catalog ----------------------------------------------------------------------------------

    def read_catalog(self, checkpoint: dict | None = None) -> CatalogPending | CatalogStream:
        if checkpoint is None:
            # What the stock and combinations are now: the change poll compares with it from here on.
            self.poll_state.save_baseline(self.digests())
        position = checkpoint or {}
        return CatalogStream(self._catalog_items(int(position.get("after", 0)), int(position.get("offset", 0))))

    def _catalog_items(self, after: int, offset: int) -> Iterator[CatalogItem | CatalogCheckpoint]:
        for rows, offset in self._pages(
            "products",
            {"display": "full", "language": self.language_id},
            after,
            offset,
            self.page_size,
            what="the products",
        ):
            yield from self._complete(rows)
            yield CatalogCheckpoint({"after": int(rows[-1]["id"]), "offset": offset})

    def _pages(
        self, resource: str, query: dict, after: int, offset: int, size: int, *, what: str
    ) -> Iterator[tuple[list[dict], int]]:
        """Rows with an id above `after`, by id, `size` a page (`limit=offset,count`, `sort=[id_ASC]`), each
        with the offset reached. A page starts one row early, on the last row seen: when a later row (or
        none) stands there, rows before it were deleted meanwhile, and the offset is taken back a page
        (rows already seen are dropped by id), so no row is skipped."""
        while True:
            start = max(offset - 1, 0)
            count = size + 1 if offset else size
            rows = self.client.rows(resource, {**query, "sort": "[id_ASC]", "limit": f"{start},{count}"}, what=what)
            rows.sort(key=lambda row: int(row["id"]))
            if start and (not rows or int(rows[0]["id"]) > after):
                offset = max(offset - size, 0)
                continue
            offset = start + len(rows)
            fresh = [row for row in rows if int(row["id"]) > after]
            if fresh:
                after = int(fresh[-1]["id"])
                yield fresh, offset
            if len(rows) < count:
                return

    def product(self, external_id: str) -> Product | None:
        if not external_id.isdigit():
            return None
        products = self._complete(self._product_rows({"filter[id]": f"[{int(external_id)}]"}))
        return products[0] if products else None

    # --- changes ----------------------------------------------------------------------------------

    def products_changed_since(self, since: datetime, cursor: str | None = None) -> ProductPage:
        """Products whose `date_upd` is after `since`, then those whose stock or combinations changed
        since the last poll. The cursor says which part and where: {"from": a shop-local time, "skip":
        rows at that time already read} for the first, {"ids": [...]} for the second."""
        position: dict[str, Any] = (
            json.loads(cursor) if cursor else {"from": times.to_local(since - self.overlap, self.zone), "skip": 0}
        )
        if "ids" in position:
            return self._page_of_ids(since, list(position["ids"]))
        lower, skip = str(position["from"]), int(position["skip"])
        while True:
            rows = self._product_rows(
                {
                    "filter[date_upd]": f"[{lower},{LATEST}]",
                    "date": 1,
                    "sort": "[date_upd_ASC,id_ASC]",
                    "limit": f"{skip},{self.page_size}",
                }
            )
            changed = [row for row in rows if _changed_after(row, since, self.zone)]
            if len(rows) < self.page_size:
                following = None
            else:
                last = str(rows[-1].get("date_upd"))
                at_last = sum(1 for row in rows if str(row.get("date_upd")) == last)
                skip = skip + at_last if last == lower else at_last
                lower = last
                following = json.dumps({"from": lower, "skip": skip})
            if following is None:
                return self._stock_changes(since, already=changed)
            if changed:
                return ProductPage(self._complete(changed), following)

    def _stock_changes(self, since: datetime, already: list[dict]) -> ProductPage:
        """The last page of the date part, with the products whose stock or combinations changed since
        the last applied poll (digests compared; the new ones pending until the next poll, `poll_state`)."""
        before = self.poll_state.baseline(since)
        now = self.digests()
        self.poll_state.save_poll(since, before, now)
        stamped = {str(row["id"]) for row in already}
        moved = sorted(
            (
                product_id
                for product_id, digest in now.items()
                if before is not None and before.get(product_id) != digest and product_id not in stamped
            ),
            key=int,
        )
        if not moved:
            return ProductPage(self._complete(already), None)
        if already:
            return ProductPage(self._complete(already), json.dumps({"ids": moved}))
        return self._page_of_ids(since, moved)

    def _page_of_ids(self, since: datetime, product_ids: list[str]) -> ProductPage:
        chunk, rest = product_ids[: self.page_size], product_ids[self.page_size :]
        rows = self._by_ids(
            "products", "id", chunk, {"display": "full", "language": self.language_id}, what="the products"
        )
        # A product also stamped after `since` came with the date part already.
        rows = [row for row in rows if not _changed_after(row, since, self.zone)]
        return ProductPage(self._complete(rows), json.dumps({"ids": rest}) if rest else None)

    def digests(self) -> dict[str, str]:
        """product id -> a short digest of its stock rows (this shop's) and combinations."""
        parts: dict[str, list[str]] = {}
        for row in self._all("stock_availables", "[id,id_product,id_product_attribute,id_shop,quantity]"):
            if str(row.get("id_shop") or self.shop_id) in (self.shop_id, "0"):
                parts.setdefault(str(row["id_product"]), []).append(
                    f"s{row.get('id_product_attribute')}:{row.get('id_shop')}:{row.get('quantity')}"
                )
        for row in self._all("combinations", "[id,id_product,reference,ean13,upc,price,weight]"):
            parts.setdefault(str(row["id_product"]), []).append(
                f"c{row['id']}:{row.get('reference')}:{row.get('ean13')}:{row.get('upc')}:{row.get('price')}:"
                f"{row.get('weight')}"
            )
        return {
            product_id: hashlib.sha256("|".join(sorted(found)).encode()).hexdigest()[:12]
            for product_id, found in parts.items()
        }

    def _all(self, resource: str, display: str) -> Iterator[dict]:
        for rows, _offset in self._pages(resource, {"display": display}, 0, 0, 1000, what=f"the {resource}"):
            yield from rows

    # --- stock ------------------------------------------------------------------------------------

    def _stock_row(self, item: str, location: str) -> dict:
        parsed = mapping.parse_variant_id(item)
        if parsed is None:
            raise NotFound(f"{item!r} is not a PrestaShop product or combination TokBridge knows.")
        product_id, attribute_id = parsed
        rows = self.client.rows(
            "stock_availables",
            {
                "display": "[id,id_product,id_product_attribute,id_shop,quantity]",
                "filter[id_product]": f"[{product_id}]",
                "filter[id_product_attribute]": f"[{attribute_id}]",
            },
            what="the stock",
        )
        shop = str(location or self.shop_id)
        for wanted in (shop, "0"):
            for row in rows:
                if str(row.get("id_shop") or shop) == wanted:
                    return row
        raise NotFound(
            "This product or combination has no stock row in the PrestaShop shop any more; the next "
            "catalog update finds it again."
        )

    def _write_quantity(self, row: dict, quantity: int) -> None:
        stock_id = int(row["id"])
        if self._patches():
            body = xml.document("stock_available", {"id": stock_id, "quantity": quantity})
            try:
                self.client.write("PATCH", f"stock_availables/{stock_id}", body, what="the stock")
                return
            except Refused:  # 405: a shop that answers as 1.7 after all; the full PUT below
                log.info("prestashop PATCH of stock refused; writing the whole row")
        entity, _ = self.client.get_xml(f"stock_availables/{stock_id}", what="the stock row")
        element = entity.find("stock_available")
        if element is None:
            raise NotFound("The PrestaShop stock row disappeared while TokBridge wrote it.")
        body = xml.with_field(element, "quantity", quantity)
        self.client.write("PUT", f"stock_availables/{stock_id}", body, what="the stock")

    def set_inventory(self, quantities: Sequence[InventoryQuantity], *, idempotency_key: str) -> None:
        """Absolute quantities, each compared first with `change_from_quantity` where given (read, compare,
        write: see the module's docstring for the window). A stale one stops the call before its write."""
        rows = [(self._stock_row(q.inventory_item_external_id, q.location_external_id), q) for q in quantities]
        for row, quantity in rows:
            current = int(mapping.number(row.get("quantity")))
            if quantity.change_from_quantity is not None and current != quantity.change_from_quantity:
                raise StockChangedMeanwhile(
                    f"PrestaShop now has {current} in stock, not {quantity.change_from_quantity}; nothing was "
                    "changed. TokBridge reads the stock again before deciding.",
                    [f"PrestaShop has {current} in stock, not the {quantity.change_from_quantity} expected."],
                )
        for row, quantity in rows:
            self._write_quantity(row, max(int(quantity.quantity), 0))

    def adjust_inventory(self, changes: Sequence[InventoryChange], *, reason: str, idempotency_key: str) -> None:
        """Relative changes: read, add, write (no key: a repeated call changes the stock again); a quantity
        never goes below zero."""
        for change in changes:
            row = self._stock_row(change.inventory_item_external_id, change.location_external_id)
            new = int(mapping.number(row.get("quantity"))) + int(change.delta)
            if new < 0:
                log.warning("prestashop stock of %s would go to %s; set to 0", change.inventory_item_external_id, new)
            self._write_quantity(row, max(new, 0))


def _ours(rows: list[dict], shop_id: str) -> dict[tuple[str, str], int]:
    """Stock by (product, combination) for this shop: its own rows, else the shared ones (id_shop 0)."""
    found: dict[tuple[str, str], int] = {}
    for wanted in ("0", shop_id):  # the shop's own row wins over a shared one
        for row in rows:
            if str(row.get("id_shop") or shop_id) == wanted:
                found[(str(row["id_product"]), str(row.get("id_product_attribute") or "0"))] = int(
                    mapping.number(row.get("quantity"))
                )
    return found


def _changed_after(row: dict, since: datetime, zone: ZoneInfo) -> bool:
    found = times.readings(row.get("date_upd"), zone)
    return found is not None and found[1] > since
