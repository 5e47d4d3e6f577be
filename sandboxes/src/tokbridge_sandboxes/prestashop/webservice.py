"""The Webservice under /api, checked in PrestaShop's order: the key (401), the shop (403), the
resource (400 unknown, 401 not granted to the key), the method (405), then the call itself.

Statuses, codes and messages are PrestaShop's (WebserviceRequest): no key at all is a bare
"401 Unauthorized"; a key that is unknown or disabled is code 20; a resource the key is not granted is
401 code 26; a method the key lacks on a granted resource is 405 code 25; a method the resource never
takes is 405 code 101, and PATCH before 8 is 405 code 23; an unknown id is 404 code 87; a write body that
is not XML is 500 code 127; a missing required field is 400 code 41.
"""

from __future__ import annotations

import base64
import copy
import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import formats, images, orders
from .resources import RESOURCE_NAMES, RESOURCES, Resource
from .store import Store, WebserviceError, decimal, default_value, money6

REALM = (
    'Basic realm="Welcome to PrestaShop Webservice, please enter the authentication key as the login. '
    'No password required."'
)
DATE_FIELDS = ("date_add", "date_upd")


class Call:
    """One Webservice request: its parameters, its key's grants, its output format."""

    def __init__(self, request: Request, store: Store) -> None:
        self.request, self.store = request, store
        self.params = request.query_params
        self.method = (self.params.get("ps_method") or request.method).upper()
        fmt = self.params.get("output_format") or request.headers.get("io-format") or "XML"
        self.json = fmt.upper() == "JSON"
        self.api_url = str(request.base_url).rstrip("/") + "/api/"
        self.granted: dict[str, set[str]] = {}
        self.shop = "1"
        self.languages = [lang for _iso, lang in store.config.languages]
        self.single_language = False
        self.by_product: dict | None = None

    def error(self, exc: WebserviceError, headers: dict | None = None) -> Response:
        body, media_type = formats.error_body([(exc.code, exc.message)], self.json)
        return self.answer(body, media_type, exc.status, headers)

    def answer(self, body: bytes, media_type: str, status: int = 200, headers: dict | None = None) -> Response:
        base = {
            "PSWS-Version": self.store.config.version,
            "X-Powered-By": "PrestaShop Webservice",
            "Execution-Time": "0.001",
        }
        if self.method == "HEAD":
            body = b""
        return Response(body, status, {**base, **(headers or {})}, media_type=media_type)

    # -- checks, in PrestaShop's order ----------------------------------------------------------
    def authenticate(self) -> None:
        key = None
        header = self.request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            try:
                key = base64.b64decode(header[6:]).decode().partition(":")[0]
            except ValueError:
                key = ""
        elif "ws_key" in self.params:
            key = self.params["ws_key"]
        if key is None:
            raise NoKeyError
        key = key.strip()
        if not key:
            raise WebserviceError(401, 17, "Authentication key is empty")
        if len(key) != 32:
            raise WebserviceError(401, 18, "Invalid authentication key format")
        found = self.store.keys.get(key)
        if found is None or not found.active:
            raise WebserviceError(401, 20, "Authentification key is not active")
        if not found.permissions:
            raise WebserviceError(401, 21, "No permission for this authentication key")
        self.granted = found.permissions

    def check_shop(self) -> None:
        wanted = self.params.get("id_shop")
        if wanted is None or wanted == "all":
            return
        if not wanted.isdigit():
            raise WebserviceError(404, 999, "This shop id does not exist")
        if self.store.get("shops", wanted) is None:
            raise WebserviceError(403, 132, "No permission for this key on this shop")
        self.shop = wanted

    def check_language(self) -> None:
        wanted = self.params.get("language")
        if wanted is None:
            return
        known = [lang for _iso, lang in self.store.config.languages]
        if wanted.isdigit():
            self.languages, self.single_language = [int(wanted)] if int(wanted) in known else [], True
        else:
            inner = wanted.strip("[]")
            if "|" in inner or inner.isdigit():
                picked = [int(p) for p in inner.split("|") if p.isdigit()]
            else:
                low, _, high = inner.partition(",")
                picked = list(range(int(low or 0), int(high or 0) + 1)) if low.isdigit() and high.isdigit() else []
            self.languages = [lang for lang in known if lang in picked]
        if not self.languages:
            raise WebserviceError(400, 81, "language is not available")

    def check_resource(self, name: str) -> None:
        if name not in RESOURCE_NAMES:
            closest = min(RESOURCE_NAMES, key=lambda candidate: _distance(name, candidate))
            raise WebserviceError(
                400,
                27,
                f'Resource of type "{name}" does not exists. Did you mean: "{closest}"? '
                'The full list is: "' + '", "'.join(RESOURCE_NAMES) + '"',
            )
        if name not in self.granted:
            raise WebserviceError(401, 26, f'Resource of type "{name}" is not allowed with this authentication key')

    def check_method(self, name: str) -> None:
        valid = ["GET", "POST", "PUT", "DELETE", "HEAD"] + (["PATCH"] if self.store.config.supports_patch else [])
        resource = RESOURCES.get(name)
        if self.method not in valid:
            raise WebserviceError(405, 23, f"Method {self.method} is not valid")
        if resource is not None and self.method in resource.forbidden:
            raise WebserviceError(405, 101, f"Method {self.method} is not allowed for the resource {name}")
        if self.method not in self.granted[name]:
            raise WebserviceError(
                405, 25, f"Method {self.method} is not allowed for the resource {name} with this authentication key"
            )


class NoKeyError(Exception):
    """No key at all: PrestaShop's dispatcher stops before the Webservice with a bare 401."""


def _distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


# -- reading ------------------------------------------------------------------------------------
def entity_view(call: Call, resource: Resource, record: dict, wanted: list[str] | None = None) -> dict:
    """A record as the Webservice shows it, in the asked languages, with its associations."""
    values = dict(record)
    if resource.name == "products":
        own = by_product(call).get(record["id"], {"stock": []})["stock"]
        values["quantity"] = next((r["quantity"] for r in own if r["id_product_attribute"] == "0"), "0")
    view: dict = {}
    for f in resource.fields:
        if wanted is not None and f.name not in wanted:
            continue
        value = values.get(f.name, default_value(f.kind))
        if f.i18n:
            value = {lang: value.get(lang, "") for lang in call.languages}
            if call.single_language and call.json:
                value = next(iter(value.values()), "")
        view[f.name] = value
    for name, price in computed_prices(call, resource, record).items():
        if wanted is None or name in wanted:
            view[name] = price
    if wanted is None and resource.associations:
        view["associations"] = associations(call, resource, record)
    return view


def asked_prices(call: Call) -> dict[str, dict[str, str]]:
    asked: dict[str, dict[str, str]] = {}
    for key, value in call.params.multi_items():
        found = re.fullmatch(r"price\[(\w+)\]\[(\w+)\]", key)
        if found:
            asked.setdefault(found.group(1), {})[found.group(2)] = value
    return asked


def computed_prices(call: Call, resource: Resource, record: dict) -> dict[str, str]:
    """`price[my][use_tax]=1&price[my][product_attribute]=3&price[my][country]=8` adds a field `my` to
    products and combinations: the price PrestaShop computes for them, "%f"-formatted."""
    if resource.name not in ("products", "combinations"):
        return {}
    store, out = call.store, {}
    for name, options in asked_prices(call).items():
        is_product = resource.name == "products"
        product = store.get("products", record["id"] if is_product else record["id_product"])
        if product is None:
            continue
        combination = options.get("product_attribute", "0") if is_product else record["id"]
        rate = orders.tax_rate(
            store, product["id_tax_rules_group"], options.get("country") or store.configuration("PS_COUNTRY_DEFAULT")
        )
        unit = orders.unit_price_tax_excl(
            store,
            product["id"],
            combination,
            0,
            rate,
            reductions=options.get("use_reduction", "1") == "1",
            id_currency=options.get("currency", 0),
        )
        price = unit * (1 + rate) if options.get("use_tax", "1") == "1" else unit
        out[name] = money6(price)
    return out


def by_product(call: Call) -> dict[str, dict[str, list]]:
    """Combinations, stock rows (of the call's shop) and image ids per product id, gathered once a call."""
    if call.by_product is None:
        store, grouped = call.store, {}
        for kind, items in (
            ("combinations", store.tables["combinations"].values()),
            ("stock", (r for r in store.tables["stock_availables"].values() if r["id_shop"] == call.shop)),
            ("images", ({"id": str(i), "id_product": str(img.id_product)} for i, img in sorted(store.images.items()))),
        ):
            for item in items:
                grouped.setdefault(item["id_product"], {"combinations": [], "stock": [], "images": []})[kind].append(
                    item
                )
        call.by_product = grouped
    return call.by_product


def associations(call: Call, resource: Resource, record: dict) -> dict:
    store = call.store
    if resource.name == "products":
        own = by_product(call).get(record["id"], {"combinations": [], "stock": [], "images": []})
        values = sorted(
            {
                int(v["id"])
                for c in own["combinations"]
                for v in c.get("associations", {}).get("product_option_values", [])
            }
        )
        return {
            "combinations": [{"id": c["id"]} for c in own["combinations"]],
            "images": [{"id": image["id"]} for image in own["images"]],
            "product_option_values": [{"id": str(v)} for v in values],
            "stock_availables": [
                {"id": r["id"], "id_product_attribute": r["id_product_attribute"]} for r in own["stock"]
            ],
        }
    if resource.name == "product_options":
        return {
            "product_option_values": [
                {"id": v["id"]} for v in store.rows("product_option_values", id_attribute_group=record["id"])
            ]
        }
    stored = record.get("associations", {})
    return {name: [dict(row) for row in stored.get(name, [])] for name in resource.associations}


def parse_display(call: Call, resource: Resource) -> list[str] | None | str:
    display = call.params.get("display")
    if display is None or display == "full":
        return display
    match = re.fullmatch(r"\[(.*)\]", display)
    names = resource.names
    if not match:
        raise WebserviceError(
            400,
            36,
            "The 'display' syntax is wrong. You can set 'full' or "
            f"'[field_1,field_2,field_3,...]'. These are available: {', '.join(names)}",
        )
    wanted = [part.strip() for part in re.split(r",(?![^\[]*\])", match.group(1)) if part.strip()]
    for name in wanted:
        if name.split("[")[0] not in names and name not in asked_prices(call):
            raise WebserviceError(
                400, 35, f'Unable to display this field "{name}". However, these are available: {", ".join(names)}'
            )
    return [name.split("[")[0] for name in wanted]


def decimal_strict(text: str):
    if not re.fullmatch(r"-?\d+(\.\d+)?", text.strip()):
        raise ValueError(text)
    return decimal(text.strip())


def _pair(value: str, other: str) -> tuple:
    """Both as numbers when both are (MySQL compares a numeric column so), else as case-blind text."""
    try:
        return decimal_strict(value), decimal_strict(other)
    except ValueError:
        return value.lower(), other.lower()


def matches(value: str, rule: str) -> bool:
    return compile_rule(rule)(value)


def _one_of(options: list[str]):
    """`[a|b|...]`: equal to one of them, numbers as numbers (a set, so long id lists stay quick)."""
    numbers, words, every_word = set(), set(), {option.lower() for option in options}
    for option in options:
        try:
            numbers.add(decimal_strict(option))
        except ValueError:
            words.add(option.lower())

    def check(value: str) -> bool:
        try:
            return decimal_strict(value) in numbers or value.lower() in words
        except ValueError:
            return value.lower() in every_word

    return check


def compile_rule(rule: str):
    """One `filter[field]` rule as a test of a value, read once, as WebserviceRequest::getSQLRetrieveFilter
    reads it: `[a|b]`, `[a,b]` (an interval), `[x]%`, `%[x]`, `%[x]%`, `>[x]`, `<[x]`, `![a|b]`, or a bare value."""
    found = re.fullmatch(r"(.*)\[(.*)\](.*)", rule, re.S)
    if not found:
        return _one_of([rule])
    before, inner, after = found.groups()
    if "%" in (before, after):
        pattern = re.compile(
            (".*" if before == "%" else "") + re.escape(inner.lower()) + (".*" if after == "%" else ""), re.S
        )
        return lambda value: pattern.fullmatch(value.lower()) is not None
    if before == after == "":
        interval = re.fullmatch(r"([\d.:\-\s]+),([\d.:\-\s]+)", inner)
        if not interval:
            return _one_of(inner.split("|"))
        bounds = [bound.strip() for bound in interval.groups()]

        def within(value: str) -> bool:
            try:
                (low, high), current = sorted(decimal_strict(b) for b in bounds), decimal_strict(value)
            except ValueError:
                (low, high), current = sorted(bounds), value
            return low <= current <= high

        return within
    if before in (">", "<"):

        def compared(value: str) -> bool:
            a, b = _pair(value, inner)
            return a > b if before == ">" else a < b

        return compared
    if before == "!":
        one_of = _one_of(inner.split("|"))
        return lambda value: not one_of(value)
    return lambda value: False


def filterable(call: Call, resource: Resource) -> list[str]:
    names = resource.names
    if call.params.get("date") or call.store.config.dates_filter_without_flag:
        return names
    return [n for n in names if n not in DATE_FIELDS]


def list_records(call: Call, resource: Resource) -> list[dict]:
    store = call.store
    records = list(store.tables[resource.name].values())
    if resource.name == "stock_availables" and call.params.get("id_shop") != "all":
        records = [r for r in records if r["id_shop"] == call.shop]
    allowed = filterable(call, resource)
    for key, rule in call.params.multi_items():
        found = re.fullmatch(r"filter\[(\w+)\]", key)
        if not found:
            continue
        name = found.group(1)
        if name not in allowed:
            closest = min(allowed, key=lambda candidate: _distance(name, candidate))
            raise WebserviceError(
                400,
                32,
                f'This filter does not exist. Did you mean: "{closest}"? The full list is: '
                + '"'
                + '", "'.join(allowed)
                + '"',
            )
        field = resource.field(name)
        test = compile_rule(rule)
        if field.i18n:
            records = [r for r in records if any(test(r[name].get(lang, "")) for lang in call.languages)]
        else:
            records = [r for r in records if test(str(r.get(name, "")))]
    records.sort(key=lambda r: int(r["id"]))
    sort = call.params.get("sort")
    if sort:
        for part in reversed([p.strip() for p in sort.strip("[]").split(",") if p.strip()]):
            name, _, direction = part.rpartition("_")
            if direction not in ("ASC", "DESC") or not name:
                raise WebserviceError(
                    400,
                    38,
                    'The "sort" value has to be formed as this example: "field_ASC" or '
                    "'[field_1_DESC,field_2_ASC,field_3_ASC,...]' (\"field\" has to be an "
                    "available field)",
                )
            if name not in allowed:
                raise WebserviceError(
                    400, 37, f"Unable to filter by this field. However, these are available: {', '.join(allowed)}"
                )
            records.sort(key=lambda r, n=name: _sort_key(r, n, call.store.default_lang), reverse=direction == "DESC")
    limit = call.params.get("limit")
    if limit:
        found = re.fullmatch(r"(\d+)(?:,(\d+))?", limit.strip())
        if not found:
            raise WebserviceError(400, 33, 'The "limit" value has to be formed as this example: "5,25" or "10"')
        offset, count = (int(found.group(1)), int(found.group(2))) if found.group(2) else (0, int(found.group(1)))
        records = records[offset : offset + count]
    return records


def _sort_key(record: dict, name: str, lang: int):
    value = record.get(name, "")
    value = value.get(lang, "") if isinstance(value, dict) else value
    try:
        return (0, decimal_strict(value), "")
    except ValueError:
        return (1, 0, value.lower())


def requested_ids(call: Call, segment: str | None) -> list[str]:
    bracketed = call.params.get("id")
    if bracketed and re.fullmatch(r"\[(.*)\]", bracketed):
        return [p.strip() for p in bracketed.strip("[]").split(",")]
    return [segment or "0"]


def get(call: Call, resource: Resource, segment: str | None) -> Response:
    schema = call.params.get("schema")
    if schema is not None:
        return blank_schema(call, resource, schema)
    wanted = parse_display(call, resource)
    store = call.store
    if segment:
        record = store.get(resource.name, segment)
        if record is None:
            raise WebserviceError(404, 87, f"Id(s) not exists: {_as_int(segment)}")
        view = entity_view(call, resource, record, None if wanted in (None, "full") else wanted)
        body, media = formats.render(
            resource.entity, resource.entity, view, call.json, call.api_url, resource.associations
        )
        return call.answer(body, media)
    records = list_records(call, resource)
    if wanted is None:
        content: list = [int(r["id"]) for r in records]
    else:
        content = [entity_view(call, resource, r, None if wanted == "full" else wanted) for r in records]
    body, media = formats.render(
        resource.name, resource.entity, content, call.json, call.api_url, resource.associations
    )
    return call.answer(body, media)


def _as_int(text: str) -> int:
    return int(text) if text.isdigit() else 0


def blank_schema(call: Call, resource: Resource, schema: str) -> Response:
    """`schema=blank`: an empty entity to fill in; `schema=synopsis`: the same, saying for each field
    whether it is required and of which kind."""
    if schema not in ("blank", "synopsis"):
        raise WebserviceError(
            400,
            28,
            "Please select a schema of type 'synopsis' to get the whole schema informations "
            "(which fields are required, which kind of content...) or 'blank' to get an "
            "empty schema to fill before using POST request",
        )
    view: dict = {}
    for f in resource.fields:
        view[f.name] = {lang: "" for lang in call.languages} if f.i18n else ""
    if resource.associations:
        view["associations"] = {
            name: [{field: "" for field in fields}] for name, (_element, fields) in resource.associations.items()
        }
    if schema == "synopsis" and not call.json:
        return call.answer(formats.synopsis(resource, call.languages, call.api_url), formats.XML_TYPE)
    body, media = formats.render(resource.entity, resource.entity, view, call.json, call.api_url, resource.associations)
    return call.answer(body, media)


# -- writing ------------------------------------------------------------------------------------
KIND_PATTERNS = {
    "id": r"\d+",
    "int": r"-?\d+",
    "num": r"-?\d+(\.\d+)?",
    "bool": r"0|1|true|false",
    "email": r"[^@\s]+@[^@\s]+\.[^@\s]+",
}


def apply_fields(call: Call, resource: Resource, record: dict, fields: dict, partial: bool) -> None:
    """Write an entity's posted fields into `record` as WebserviceRequest::saveEntityFromXml does: a
    read-only field is refused (93), a missing required one too (41); on PUT a missing optional field
    goes back to its default (the entity is replaced), on PATCH it stays."""
    store = call.store
    for f in resource.fields:
        if f.name == "id":
            continue
        given = f.name in fields
        if given and f.kind == "ro":
            raise WebserviceError(
                400, 93, f'parameter "{f.name}" not writable. Please remove this attribute of this XML'
            )
        if f.i18n:
            if given:
                value = fields[f.name]
                langs = value if isinstance(value, dict) else {lang: value for _iso, lang in store.config.languages}
                record[f.name] = {**record[f.name], **langs}  # the languages not given stay
            elif not partial:
                record[f.name] = {lang: "" for _iso, lang in store.config.languages}
            if f.required and not record[f.name].get(store.default_lang):
                raise WebserviceError(
                    400, 84, f'Validation error: "Property {resource.class_name}->{f.name} is empty."'
                )
            continue
        if not given:
            if f.required and not partial:
                raise WebserviceError(400, 41, f'parameter "{f.name}" required')
            if not partial and f.kind != "ro" and f.name not in DATE_FIELDS:
                record[f.name] = default_value(f.kind)
            continue
        value = fields[f.name] if isinstance(fields[f.name], str) else ""
        pattern = KIND_PATTERNS.get(f.kind)
        if value != "" and pattern and not re.fullmatch(pattern, value):
            raise WebserviceError(400, 85, f'Validation error: "Property {resource.class_name}->{f.name} is not valid"')
        if f.kind == "bool":
            value = "1" if value in ("1", "true") else "0"
        elif f.kind == "num":
            value = money6(value)
        elif f.kind in ("id", "int"):
            value = value or "0"
        record[f.name] = value


def write(call: Call, resource: Resource, segment: str | None, body: bytes) -> Response:
    store = call.store
    entities = formats.parse_entities(body)
    ids = [e["fields"].get("id", "") for e in entities if e["fields"].get("id", "") != ""]
    if call.method == "POST" and ids:
        raise WebserviceError(400, 91, "id is forbidden when adding a new resource")
    if call.method in ("PUT", "PATCH"):
        if len(set(ids)) != len(ids):
            raise WebserviceError(400, 89, "id is duplicate in request")
        if len(ids) != len(entities):
            raise WebserviceError(400, 90, "id is required when modifying a resource")
    saved = []
    with store.lock:
        for entity in entities:
            if call.method == "POST":
                saved.append(create(call, resource, entity))
            else:
                record = store.get(resource.name, entity["fields"]["id"])
                if record is None:
                    raise WebserviceError(404, 92, "Invalid ID")
                saved.append(update(call, resource, record, entity, partial=call.method == "PATCH"))
        views = [entity_view(call, resource, record) for record in saved]
    if not views:
        raise WebserviceError(500, 46, "Unable to save resource")
    out, media = formats.render(
        resource.entity, resource.entity, views[-1], call.json, call.api_url, resource.associations
    )
    return call.answer(out, media, 201 if call.method == "POST" else 200)


def _associations_in(resource: Resource, entity: dict) -> dict:
    for name in entity["associations"]:
        if name not in resource.associations and name != "i18n":
            raise WebserviceError(400, 86, f'The association "{name}" does not exists')
    return {name: rows for name, rows in entity["associations"].items() if name in resource.associations}


def create(call: Call, resource: Resource, entity: dict) -> dict:
    store = call.store
    record = store.blank(resource)
    apply_fields(call, resource, record, entity["fields"], partial=False)
    associations_given = _associations_in(resource, entity)
    if resource.name == "orders":
        return orders.validate_order(store, {**record, "associations": associations_given})
    if resource.name == "order_histories":
        order = store.get("orders", record["id_order"])
        if order is None:
            raise WebserviceError(400, 85, 'Validation error: "Property OrderHistory->id_order is not valid"')
        return orders.change_state(store, order, record["id_order_state"], record["id_employee"])
    if resource.name == "customers" and not record["secure_key"]:
        record["secure_key"] = "%032x" % store.rng.getrandbits(128)
    record = store.insert(resource.name, {k: v for k, v in record.items() if k != "id"})
    if associations_given:
        record.setdefault("associations", {}).update(associations_given)
    if resource.name == "products":
        store.add_stock(int(record["id"]), 0, 0)
    elif resource.name == "combinations":
        store.add_stock(int(record["id_product"]), int(record["id"]), 0)
    return record


def update(call: Call, resource: Resource, record: dict, entity: dict, partial: bool) -> dict:
    store = call.store
    before = {"current_state": record.get("current_state"), "shipping_number": record.get("shipping_number")}
    draft = copy.deepcopy(record)  # a refused write leaves the record as it was
    apply_fields(call, resource, draft, entity["fields"], partial)
    associations_given = _associations_in(resource, entity)
    record.update(draft)
    if associations_given:
        record.setdefault("associations", {}).update(associations_given)
    if resource.name == "orders":
        new_state, record["current_state"] = record["current_state"], before["current_state"]
        if new_state not in ("", "0") and new_state != before["current_state"]:
            orders.change_state(store, record, new_state)
        if record["shipping_number"] != (before["shipping_number"] or ""):
            orders.set_tracking(store, record, record["shipping_number"])
    if resource.name == "stock_availables":
        store.set_quantity(record, int(record["quantity"]))
    if resource.name == "order_carriers":
        order = store.get("orders", record["id_order"])
        if order is not None:
            order["shipping_number"] = record["tracking_number"]
            store.touch(order)
    # Only the entity written gets a new date_upd: not the product behind a combination or a stock row.
    if "date_upd" in record:
        store.touch(record)
    return record


def delete(call: Call, resource: Resource, segment: str | None) -> Response:
    store = call.store
    ids = requested_ids(call, segment)
    missing = [i for i in ids if store.get(resource.name, i) is None]
    if missing:
        raise WebserviceError(404, 87, "Id(s) not exists: " + ", ".join(missing))
    with store.lock:
        for record_id in ids:
            remove(store, resource.name, record_id)
    return call.answer(b"", formats.XML_TYPE)


def remove(store: Store, resource: str, record_id: object) -> None:
    record = store.tables[resource].pop(int(record_id))
    if resource == "products":
        for combination in store.rows("combinations", id_product=record["id"]):
            store.tables["combinations"].pop(int(combination["id"]))
        for row in store.rows("stock_availables", id_product=record["id"]):
            store.tables["stock_availables"].pop(int(row["id"]))
        for image_id in [i for i, img in store.images.items() if str(img.id_product) == record["id"]]:
            del store.images[image_id]
    elif resource == "combinations":
        for row in store.rows("stock_availables", id_product_attribute=record["id"]):
            store.tables["stock_availables"].pop(int(row["id"]))


# -- the route ----------------------------------------------------------------------------------
async def webservice(request: Request) -> Response:
    store: Store = request.app.state.sandbox
    call = Call(request, store)
    path = request.path_params.get("path", "").strip("/")
    body = await request.body()
    response = await _dispatch(call, path, body)
    with store.lock:
        store.requests.append(
            {
                "method": call.method,
                "path": "/api/" + path,
                "query": str(request.url.query),
                "status": response.status_code,
            }
        )
    return response


async def _dispatch(call: Call, path: str, body: bytes) -> Response:
    store = call.store
    segments = path.split("/") if path else [""]
    name, segment = segments[0], (segments[1] if len(segments) > 1 and segments[1] else None)
    try:
        call.authenticate()
        call.check_shop()
        call.check_language()
        if name == "":
            if call.method not in ("GET", "HEAD"):
                raise WebserviceError(405, 23, f"Method {call.method} is not valid")
            out, media = formats.api_index(store.config.shop_name, call.api_url, call.granted, call.json)
            return call.answer(out, media)
        call.check_resource(name)
        call.check_method(name)
        fault = store.take_fault(f"{call.method} {name}")
        if fault is not None and not fault.after:
            raise WebserviceError(fault.status, 0, "Internal error. To see this error please display the PHP errors.")
        if name == "images":
            response = await images.serve(call, segments[1:])
        else:
            resource = RESOURCES[name]
            with store.lock:
                if call.method in ("GET", "HEAD"):
                    response = get(call, resource, segment)
                elif call.method == "DELETE":
                    response = delete(call, resource, segment)
                else:
                    response = write(call, resource, segment, body)
        if fault is not None:
            raise WebserviceError(fault.status, 0, "Internal error. To see this error please display the PHP errors.")
        return response
    except NoKeyError:
        return Response(b"401 Unauthorized", 401, {"WWW-Authenticate": REALM}, media_type="text/html")
    except WebserviceError as exc:
        return call.error(
            exc, {"WWW-Authenticate": REALM} if exc.status == 401 and exc.code in (17, 18, 20, 21) else None
        )


routes = [
    Route("/api", webservice, methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]),
    Route("/api/{path:path}", webservice, methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]),
]
