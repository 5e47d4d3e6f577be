"""Product selection rules: which catalog products a category template takes.

A `RuleSet` is a list of `Rule`s combined with "all" or "any". It is evaluated two ways that must
agree: `rule_set_clause` compiles it to one SQL condition over the catalog tables (so the live count
of matching products is a single COUNT query), and `matches` decides it in Python for one product
(`ProductFacts`). The tests check both on a generated catalog.

Semantics, the same in both places:
- Text comparisons ignore ASCII case only (SQLite's `lower()` folds ASCII only; PostgreSQL's is told
  to do the same), so both backends and Python agree on every string.
- `tag` and `sku` have several values per product: the positive operators match when *any* value
  matches; `not_equals` and `not_contains` match when *no* value would. `sku is_empty` means "some
  variant has no SKU". `price` works the same way over the variants' prices; `stock` is the sum of
  every variant's available quantity at every location.
- An empty rule set matches every product (an "all products" template).
- Collections are not part of the local catalog yet (the importer does not read them), so there is no
  collection field; add one here when `tokbridge.catalog` stores collection membership.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import ColumnElement, String, and_, exists, func, literal, not_, or_, select, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from tokbridge.catalog.models import CatalogInventoryLevel, CatalogProduct, CatalogVariant

RuleField = Literal["title", "product_type", "vendor", "tag", "sku", "price", "stock"]
Operator = Literal[
    "equals",
    "not_equals",
    "contains",
    "not_contains",
    "starts_with",
    "ends_with",
    "greater_than",
    "less_than",
    "is_empty",
    "is_not_empty",
]

TEXT_FIELDS = ("title", "product_type", "vendor", "tag", "sku")
NUMBER_FIELDS = ("price", "stock")
TEXT_OPERATORS = (
    "equals",
    "not_equals",
    "contains",
    "not_contains",
    "starts_with",
    "ends_with",
    "is_empty",
    "is_not_empty",
)
NUMBER_OPERATORS = ("equals", "not_equals", "greater_than", "less_than")
NEGATIVE = {"not_equals": "equals", "not_contains": "contains"}
# Only products the store sells are offered to templates; drafts, archived and deleted ones are not.
ELIGIBLE_STATUS = "active"

FIELD_LABELS = {
    "title": "Title",
    "product_type": "Product type",
    "vendor": "Vendor",
    "tag": "Tag",
    "sku": "SKU",
    "price": "Price",
    "stock": "Stock",
}


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: RuleField
    operator: Operator
    value: str = ""

    @model_validator(mode="after")
    def _check(self) -> Rule:
        label = FIELD_LABELS[self.field]
        allowed = NUMBER_OPERATORS if self.field in NUMBER_FIELDS else TEXT_OPERATORS
        if self.operator not in allowed:
            raise ValueError(f"{label} cannot use '{self.operator}'; choose one of: {', '.join(allowed)}")
        if self.operator in ("is_empty", "is_not_empty"):
            self.value = ""
            return self
        self.value = self.value.strip()
        if not self.value:
            raise ValueError(f"{label} {self.operator.replace('_', ' ')} needs a value")
        if self.field == "price":
            number = _parse_decimal(self.value)
            if number is None or number < 0:
                raise ValueError(f"Price must be compared with an amount such as 19.99, not {self.value!r}")
            self.value = format(number, "f")
        if self.field == "stock":
            if not _is_int(self.value):
                raise ValueError(f"Stock must be compared with a whole number, not {self.value!r}")
            self.value = str(int(self.value))
        return self


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    match: Literal["all", "any"] = "all"
    rules: list[Rule] = Field(default_factory=list, max_length=50)


@dataclass(frozen=True)
class ProductFacts:
    """What the rules look at for one product (see `repository.product_facts`)."""

    product_id: int
    title: str
    vendor: str | None
    product_type: str | None
    tags: tuple[str, ...]
    skus: tuple[str | None, ...]
    prices: tuple[Decimal, ...]
    stock: int


# --- Python evaluation ---------------------------------------------------------------------------

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def fold(text: str | None) -> str:
    return (text or "").translate(_ASCII_LOWER)


def matches(rule_set: RuleSet, facts: ProductFacts) -> bool:
    if not rule_set.rules:
        return True
    results = (rule_matches(rule, facts) for rule in rule_set.rules)
    return all(results) if rule_set.match == "all" else any(results)


def rule_matches(rule: Rule, facts: ProductFacts) -> bool:
    if rule.field in ("title", "product_type", "vendor"):
        return _text_matches(rule.operator, fold(getattr(facts, rule.field)), fold(rule.value))
    if rule.field == "stock":
        return _compare(rule.operator, facts.stock, int(rule.value))
    if rule.field == "tag":
        values = [fold(tag) for tag in facts.tags]
        if rule.operator in ("is_empty", "is_not_empty"):
            return (not values) == (rule.operator == "is_empty")
    elif rule.field == "sku":
        values = [fold(sku) for sku in facts.skus]
        if rule.operator in ("is_empty", "is_not_empty"):
            return any(v == "" for v in values) == (rule.operator == "is_empty")
    else:  # price
        amount = _parse_decimal(rule.value)
        positive = NEGATIVE.get(rule.operator, rule.operator)
        found = any(_compare(positive, price, amount) for price in facts.prices)
        return not found if rule.operator in NEGATIVE else found
    positive = NEGATIVE.get(rule.operator, rule.operator)
    found = any(_text_matches(positive, value, fold(rule.value)) for value in values)
    return not found if rule.operator in NEGATIVE else found


def _text_matches(operator: str, text: str, value: str) -> bool:
    match operator:
        case "equals":
            return text == value
        case "not_equals":
            return text != value
        case "contains":
            return value in text
        case "not_contains":
            return value not in text
        case "starts_with":
            return text.startswith(value)
        case "ends_with":
            return text.endswith(value)
        case "is_empty":
            return text == ""
        case "is_not_empty":
            return text != ""
    raise ValueError(operator)


def _compare(operator: str, left, right) -> bool:
    match operator:
        case "equals":
            return left == right
        case "not_equals":
            return left != right
        case "greater_than":
            return left > right
        case "less_than":
            return left < right
    raise ValueError(operator)


def _parse_decimal(text: str | None) -> Decimal | None:
    try:
        number = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _is_int(text: str) -> bool:
    return re.fullmatch(r"-?[0-9]{1,9}", text) is not None


# --- SQL compilation -----------------------------------------------------------------------------
# Two small dialect-aware SQL functions keep the compiled condition identical in meaning on both
# backends (and equal to the Python evaluation above).


class ascii_lower(FunctionElement):  # noqa: N801 - reads like the SQL function it renders
    """Lower-case ASCII letters only, as `fold` does."""

    type = String()
    inherit_cache = True
    name = "ascii_lower"


@compiles(ascii_lower)
def _ascii_lower_default(element, compiler, **kw) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"  # SQLite's lower() is ASCII-only


@compiles(ascii_lower, "postgresql")
def _ascii_lower_postgresql(element, compiler, **kw) -> str:
    upper, lower = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"
    return f"translate({compiler.process(element.clauses, **kw)}, '{upper}', '{lower}')"


class decimal_number(FunctionElement):  # noqa: N801
    """A decimal string as a number: exact NUMERIC on PostgreSQL, REAL on SQLite.

    Both sides of a price comparison go through it, so prices with up to 15 significant digits
    compare exactly as Python's Decimal does.
    """

    inherit_cache = True
    name = "decimal_number"


@compiles(decimal_number)
def _decimal_number_default(element, compiler, **kw) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS REAL)"


@compiles(decimal_number, "postgresql")
def _decimal_number_postgresql(element, compiler, **kw) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS NUMERIC)"


class json_text_elements(FunctionElement):  # noqa: N801
    """The elements of a JSON array of strings, one row each, in a column named `value`."""

    inherit_cache = True
    name = "json_text_elements"


@compiles(json_text_elements)
def _json_elements_default(element, compiler, **kw) -> str:
    return f"json_each({compiler.process(element.clauses, **kw)})"


@compiles(json_text_elements, "postgresql")
def _json_elements_postgresql(element, compiler, **kw) -> str:
    return f"json_array_elements_text({compiler.process(element.clauses, **kw)})"


products = CatalogProduct.__table__
variants = CatalogVariant.__table__
levels = CatalogInventoryLevel.__table__


def rule_set_clause(rule_set: RuleSet, merchant_id: int) -> ColumnElement[bool]:
    """A WHERE condition over the merchant's `product` rows (never NULL, so it can be negated safely).

    Conditions on variants and stock are uncorrelated `product.id IN (SELECT ...)` subqueries: both
    databases evaluate each once for the whole catalog (a hashed set) instead of once per product,
    which keeps a count over 100,000 products to one pass even before the planner has statistics.
    """
    if not rule_set.rules:
        return true()
    clauses = [rule_clause(rule, merchant_id) for rule in rule_set.rules]
    return and_(*clauses) if rule_set.match == "all" else or_(*clauses)


def eligible_clause() -> ColumnElement[bool]:
    return products.c.status == ELIGIBLE_STATUS


def rule_clause(rule: Rule, merchant_id: int) -> ColumnElement[bool]:
    if rule.field in ("title", "product_type", "vendor"):
        column = ascii_lower(func.coalesce(products.c[rule.field], ""))
        return _text_clause(rule.operator, column, fold(rule.value))
    if rule.field == "tag":
        return _tag_clause(rule)
    if rule.field == "stock":
        return _stock_clause(rule, merchant_id)
    # No merchant filter here: product ids are unique, and an extra condition lets PostgreSQL pick a
    # plan that reads the merchant's every variant once per product when statistics are missing.
    merchant_variants = select(variants.c.product_id)
    if rule.field == "sku":
        value = ascii_lower(func.coalesce(variants.c.sku, ""))
        if rule.operator in ("is_empty", "is_not_empty"):
            found = products.c.id.in_(merchant_variants.where(value == ""))
            return found if rule.operator == "is_empty" else not_(found)
        condition = _text_clause(NEGATIVE.get(rule.operator, rule.operator), value, fold(rule.value))
    else:  # price
        positive = NEGATIVE.get(rule.operator, rule.operator)
        condition = _compare_clause(
            positive, decimal_number(variants.c.price), decimal_number(literal(rule.value, String))
        )
    found = products.c.id.in_(merchant_variants.where(condition))
    return not_(found) if rule.operator in NEGATIVE else found


def _tag_clause(rule: Rule) -> ColumnElement[bool]:
    # Tags live in the product row itself: a per-row look at its own JSON array, no other table.
    tag = json_text_elements(products.c.tags).table_valued("value").alias("tag")
    rows = select(literal(1)).select_from(tag)
    if rule.operator in ("is_empty", "is_not_empty"):
        found = exists(rows)
        return not_(found) if rule.operator == "is_empty" else found
    value = ascii_lower(func.coalesce(tag.c.value, ""))
    found = exists(rows.where(_text_clause(NEGATIVE.get(rule.operator, rule.operator), value, fold(rule.value))))
    return not_(found) if rule.operator in NEGATIVE else found


def _stock_clause(rule: Rule, merchant_id: int) -> ColumnElement[bool]:
    """Stock is the sum over variants and locations; a product without stock rows has 0.

    Products whose total fails (or passes) the comparison are listed once, by one grouped query;
    products without rows are decided by whether 0 itself passes.
    """
    wanted = int(rule.value)
    total = func.sum(levels.c.available)
    totals = (
        select(variants.c.product_id)
        .select_from(levels.join(variants, levels.c.variant_id == variants.c.id))
        .where(variants.c.merchant_id == merchant_id)
        .group_by(variants.c.product_id)
    )
    if _compare(rule.operator, 0, wanted):
        return not_(products.c.id.in_(totals.having(not_(_compare_clause(rule.operator, total, wanted)))))
    return products.c.id.in_(totals.having(_compare_clause(rule.operator, total, wanted)))


def _text_clause(operator: str, column: ColumnElement[str], value: str) -> ColumnElement[bool]:
    match operator:
        case "equals":
            return column == value
        case "not_equals":
            return column != value
        case "contains":
            return column.contains(value, autoescape=True)
        case "not_contains":
            return not_(column.contains(value, autoescape=True))
        case "starts_with":
            return column.startswith(value, autoescape=True)
        case "ends_with":
            return column.endswith(value, autoescape=True)
        case "is_empty":
            return column == ""
        case "is_not_empty":
            return column != ""
    raise ValueError(operator)


def _compare_clause(operator: str, left, right) -> ColumnElement[bool]:
    match operator:
        case "equals":
            return left == right
        case "not_equals":
            return left != right
        case "greater_than":
            return left > right
        case "less_than":
            return left < right
    raise ValueError(operator)


def describe(rule_set: RuleSet) -> str:
    """A one-line summary for pages: 'Vendor equals "Acme" and Stock greater than 0'."""
    if not rule_set.rules:
        return "All products"
    joiner = " and " if rule_set.match == "all" else " or "
    parts = []
    for rule in rule_set.rules:
        words = f"{FIELD_LABELS[rule.field]} {rule.operator.replace('_', ' ')}"
        parts.append(words if not rule.value else f'{words} "{rule.value}"')
    return joiner.join(parts)
