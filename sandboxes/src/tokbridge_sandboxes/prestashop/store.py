"""The shop's state: one table per Webservice resource (records of PrestaShop-style string values),
the Webservice keys, the request log, scripted faults and the clock. Everything sits behind one lock;
`Store` is `app.state.sandbox`.
"""

from __future__ import annotations

import random
import string
import threading
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from tokbridge_sandboxes.clock import SandboxClock

from .config import SandboxConfig
from .resources import ALL_METHODS, RESOURCE_NAMES, RESOURCES, Resource

EMPTY_DATE = "0000-00-00 00:00:00"


class WebserviceError(Exception):
    """An answer PrestaShop gives as its error body: HTTP status, PrestaShop's code, its message."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class Key:
    key: str
    permissions: dict[str, set[str]]
    active: bool = True


@dataclass
class Fault:
    operation: str  # "POST orders"
    status: int
    times: int
    after: bool = False  # carry the write out, then answer the error (a lost answer)


@dataclass
class Image:
    id: int
    id_product: int
    rgb: tuple[int, int, int]
    mime: str = "image/png"
    data: bytes | None = None  # an uploaded file; generated ones are drawn from `rgb`


def decimal(value: object) -> Decimal:
    try:
        return Decimal(str(value or "0"))
    except InvalidOperation:
        return Decimal(0)


def money6(value: object) -> str:
    """PrestaShop's stored decimals: "19.900000"."""
    return f"{decimal(value):.6f}"


def default_value(kind: str) -> str:
    return {"id": "0", "int": "0", "bool": "0", "num": "0.000000"}.get(kind, "")


@dataclass
class Store:
    config: SandboxConfig
    clock: SandboxClock = field(init=False)
    lock: threading.RLock = field(default_factory=threading.RLock)
    tables: dict[str, dict[int, dict]] = field(default_factory=dict)
    next_ids: dict[str, int] = field(default_factory=dict)
    images: dict[int, Image] = field(default_factory=dict)
    keys: dict[str, Key] = field(default_factory=dict)
    requests: list[dict] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self.clock = SandboxClock(frozen=self.config.frozen_clock)
        if self.config.bootstrap_key:
            self.add_key(self.config.bootstrap_key, {"*": ["*"]})
        self.reset()

    def reset(self) -> None:
        """The seeded shop again: catalog, reference data, no customers or orders."""
        from .catalog import seed_shop

        with self.lock:
            self.tables = {name: {} for name in RESOURCES}
            self.next_ids = {}
            self.images = {}
            self.rng = random.Random(self.config.seed * 7919)
            seed_shop(self)

    # -- time ---------------------------------------------------------------------------------
    def now_local(self) -> str:
        """Shop-local time (PS_TIMEZONE) as PrestaShop writes it."""
        moment = datetime.fromtimestamp(self.clock.now(), ZoneInfo(self.config.timezone))
        return moment.strftime("%Y-%m-%d %H:%M:%S")

    # -- records ------------------------------------------------------------------------------
    def new_id(self, resource: str) -> int:
        self.next_ids[resource] = self.next_ids.get(resource, 0) + 1
        return self.next_ids[resource]

    def blank(self, resource: Resource) -> dict:
        record: dict = {}
        for f in resource.fields:
            record[f.name] = {lang: "" for _iso, lang in self.config.languages} if f.i18n else default_value(f.kind)
        if resource.associations and resource.name in ("carts", "orders"):
            record["associations"] = {name: [] for name in resource.associations}
        return record

    def insert(self, resource_name: str, values: dict, dated: bool = True, record_id: int | None = None) -> dict:
        resource = RESOURCES[resource_name]
        record = self.blank(resource)
        for name, value in values.items():
            f = resource.field(name)
            if f is not None and f.i18n and isinstance(value, str):
                record[name] = {lang: value for _iso, lang in self.config.languages}
            elif f is not None and f.kind == "num":
                record[name] = money6(value)
            elif f is not None and f.kind in ("id", "int", "bool"):
                record[name] = str(int(value or 0))
            else:
                record[name] = value
        if record_id is not None:  # PrestaShop's own ids for reference data (France is 8)
            self.next_ids[resource_name] = max(self.next_ids.get(resource_name, 0), record_id)
        record["id"] = str(record_id or self.new_id(resource_name))
        if dated:
            now = self.now_local()
            for name in ("date_add", "date_upd"):
                if name in record and not values.get(name):
                    record[name] = now
        self.tables[resource_name][int(record["id"])] = record
        return record

    def get(self, resource: str, record_id: object) -> dict | None:
        try:
            return self.tables[resource].get(int(record_id))
        except (TypeError, ValueError):
            return None

    def rows(self, resource: str, **match: object) -> list[dict]:
        wanted = {k: str(v) for k, v in match.items()}
        return [r for r in self.tables[resource].values() if all(r.get(k) == v for k, v in wanted.items())]

    def touch(self, record: dict) -> None:
        record["date_upd"] = self.now_local()

    def configuration(self, name: str) -> str:
        row = next((r for r in self.tables["configurations"].values() if r["name"] == name), None)
        return row["value"] if row else ""

    @property
    def default_lang(self) -> int:
        return self.config.languages[0][1]

    # -- stock --------------------------------------------------------------------------------
    def stock_row(self, id_product: object, id_product_attribute: object = 0, id_shop: object = 1) -> dict | None:
        return next(
            iter(
                self.rows(
                    "stock_availables",
                    id_product=id_product,
                    id_product_attribute=id_product_attribute,
                    id_shop=id_shop,
                )
            ),
            None,
        )

    def add_stock(self, id_product: int, id_product_attribute: int, quantity: int) -> None:
        for shop in range(1, self.config.shops + 1):
            self.insert(
                "stock_availables",
                {
                    "id_product": id_product,
                    "id_product_attribute": id_product_attribute,
                    "id_shop": shop,
                    "quantity": quantity,
                    "depends_on_stock": 0,
                    "out_of_stock": 2,
                },
                dated=False,
            )

    def set_quantity(self, row: dict, quantity: int) -> None:
        """A stock row's new quantity; a combination's also resets its product's row to the sum of the
        product's combinations in that shop (StockAvailable::postSave)."""
        row["quantity"] = str(quantity)
        if row["id_product_attribute"] == "0":
            return
        product_row = self.stock_row(row["id_product"], 0, row["id_shop"])
        if product_row is not None:
            product_row["quantity"] = str(
                sum(
                    int(r["quantity"])
                    for r in self.rows("stock_availables", id_product=row["id_product"], id_shop=row["id_shop"])
                    if r["id_product_attribute"] != "0"
                )
            )

    def move_stock(self, id_product: object, id_product_attribute: object, delta: int, id_shop: object = 1) -> None:
        """An order's row taking (negative) or giving back stock."""
        row = self.stock_row(id_product, id_product_attribute, id_shop)
        if row is not None:
            self.set_quantity(row, int(row["quantity"]) + delta)

    # -- keys ---------------------------------------------------------------------------------
    def add_key(self, key: str, permissions: dict[str, list[str] | str] | str) -> Key:
        """`permissions` maps resources to methods; "*" stands for every resource or every method."""
        granted: dict[str, set[str]] = {}
        for resource, methods in ({"*": "*"} if permissions == "*" else permissions).items():
            methods = [methods] if isinstance(methods, str) else methods
            for name in RESOURCE_NAMES if resource == "*" else [resource]:
                granted.setdefault(name, set()).update(ALL_METHODS if "*" in methods else {m.upper() for m in methods})
        self.keys[key] = Key(key, granted)
        return self.keys[key]

    def reference(self) -> str:
        """An order reference: nine capital letters, as Order::generateReference gives."""
        return "".join(self.rng.choice(string.ascii_uppercase) for _ in range(9))

    def take_fault(self, operation: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.operation == operation and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None
