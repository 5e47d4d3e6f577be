"""Product selection rules: validation, SQL and Python agreeing, and the live count."""

from __future__ import annotations

import random

import pytest
from pydantic import ValidationError

from tokbridge.category_templates import repository as repo
from tokbridge.category_templates.rules import (
    NUMBER_FIELDS,
    NUMBER_OPERATORS,
    TEXT_OPERATORS,
    Rule,
    RuleSet,
    describe,
    matches,
)
from tokbridge.db.engine import session_scope

from .catalog_factory import RULE_VALUES, P, V, add_products, generated_catalog, random_rule_set


def python_matches(bundles, rule_set: RuleSet) -> set[int]:
    return {b.id for b in bundles if b.status == "active" and matches(rule_set, b.facts())}


def every_single_rule() -> list[RuleSet]:
    sets = []
    for field_name, values in RULE_VALUES.items():
        operators = NUMBER_OPERATORS if field_name in NUMBER_FIELDS else TEXT_OPERATORS
        for operator in operators:
            for value in values:
                sets.append(RuleSet(rules=[Rule(field=field_name, operator=operator, value=value)]))
    return sets


def test_sql_and_python_agree_on_a_generated_catalog(engine, merchant_id):
    ids = add_products(engine, merchant_id, generated_catalog(seed=5, count=250))
    rng = random.Random(17)
    rule_sets = every_single_rule() + [RuleSet.model_validate(random_rule_set(rng)) for _ in range(80)]
    with session_scope(engine) as session:
        bundles = repo.load_bundles(session, merchant_id, ids)
        nonempty = 0
        for rule_set in rule_sets:
            expected = python_matches(bundles, rule_set)
            assert set(repo.matching_product_ids(session, merchant_id, rule_set)) == expected, describe(rule_set)
            assert repo.count_matching(session, merchant_id, rule_set) == len(expected)
            nonempty += 0 < len(expected) < len(ids)
    # The generated catalog exercises the rules: most rule sets select some products but not all.
    assert nonempty > len(rule_sets) // 2


def test_text_rules_ignore_ascii_case_and_treat_wildcards_literally(engine, merchant_id):
    cotton, percent, accented = add_products(
        engine,
        merchant_id,
        [
            P(title="Organic COTTON tee", vendor="ACME", tags=["Summer"]),
            P(title="100% linen", vendor=None, tags=[]),
            P(title="Été dress", vendor="été", tags=["SALE"]),
        ],
    )
    cases = {
        ("title", "contains", "cotton"): {cotton},
        ("title", "contains", "100%"): {percent},
        ("title", "contains", "0_"): set(),  # "_" is not a wildcard
        ("vendor", "equals", "acme"): {cotton},
        ("vendor", "is_empty", ""): {percent},
        ("vendor", "not_equals", "acme"): {percent, accented},
        ("vendor", "equals", "ÉTÉ"): set(),  # only ASCII case is folded, on every backend
        ("tag", "equals", "summer"): {cotton},
        ("tag", "not_equals", "summer"): {percent, accented},
        ("tag", "is_empty", ""): {percent},
        ("title", "starts_with", "ÉTÉ"): set(),
        ("title", "starts_with", "Été D"): {accented},
    }
    with session_scope(engine) as session:
        for (field_name, operator, value), expected in cases.items():
            rule_set = RuleSet(rules=[Rule(field=field_name, operator=operator, value=value)])
            assert set(repo.matching_product_ids(session, merchant_id, rule_set)) == expected, (
                field_name,
                operator,
                value,
            )


def test_variant_rules_price_stock_and_sku(engine, merchant_id):
    cheap, dear, no_sku = add_products(
        engine,
        merchant_id,
        [
            P(variants=[V(price="9.99", sku="A-1", levels={"L1": 3, "L2": 4}), V(price="25.00", sku="A-2")]),
            P(variants=[V(price="120", sku="B-1", levels={"L1": 0})]),
            P(variants=[V(price="10", sku=None, levels={"L1": -2})]),
        ],
    )
    cases = {
        ("price", "less_than", "10"): {cheap},
        ("price", "equals", "10.00"): {no_sku},
        ("price", "not_equals", "120"): {cheap, no_sku},
        ("price", "greater_than", "100"): {dear},
        ("stock", "greater_than", "5"): {cheap},
        ("stock", "equals", "0"): {dear},
        ("stock", "less_than", "0"): {no_sku},
        ("sku", "is_empty", ""): {no_sku},
        ("sku", "starts_with", "a-"): {cheap},
        ("sku", "not_contains", "-1"): {no_sku},
    }
    with session_scope(engine) as session:
        for (field_name, operator, value), expected in cases.items():
            rule_set = RuleSet(rules=[Rule(field=field_name, operator=operator, value=value)])
            assert set(repo.matching_product_ids(session, merchant_id, rule_set)) == expected, (
                field_name,
                operator,
                value,
            )
        both = RuleSet(
            match="all",
            rules=[Rule(field="price", operator="less_than", value="50"), Rule(field="sku", operator="is_not_empty")],
        )
        either = RuleSet(match="any", rules=both.rules)
        assert set(repo.matching_product_ids(session, merchant_id, both)) == {cheap}
        assert set(repo.matching_product_ids(session, merchant_id, either)) == {cheap, dear, no_sku}


def test_only_active_products_count_and_empty_rules_take_all(
    engine,
    merchant_id,
):
    add_products(engine, merchant_id, [P(), P(status="draft"), P(status="archived"), P(status="deleted"), P()])
    with session_scope(engine) as session:
        assert repo.count_matching(session, merchant_id, RuleSet()) == 2


def test_counts_stay_within_the_merchant(engine, merchant_id):
    from tokbridge.tenancy.models import Merchant

    with session_scope(engine) as session:
        other = Merchant(name="Other")
        session.add(other)
        session.flush()
        other_id = other.id
    add_products(engine, merchant_id, [P(vendor="Acme")])
    add_products(engine, other_id, [P(vendor="Acme"), P(vendor="Acme")])
    rule_set = RuleSet(rules=[Rule(field="vendor", operator="equals", value="acme")])
    with session_scope(engine) as session:
        assert repo.count_matching(session, merchant_id, rule_set) == 1
        assert repo.count_matching(session, other_id, rule_set) == 2


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"field": "price", "operator": "contains", "value": "1"}, "Price cannot use 'contains'"),
        ({"field": "price", "operator": "greater_than", "value": "cheap"}, "amount such as 19.99"),
        ({"field": "stock", "operator": "less_than", "value": "2.5"}, "whole number"),
        ({"field": "vendor", "operator": "equals", "value": "  "}, "needs a value"),
        ({"field": "collection", "operator": "equals", "value": "x"}, "field"),
        ({"field": "tag", "operator": "matches", "value": "x"}, "operator"),
    ],
)
def test_bad_rules_are_refused_with_a_clear_message(rule, message):
    with pytest.raises(ValidationError) as caught:
        RuleSet.model_validate({"match": "all", "rules": [rule]})
    assert message in str(caught.value)


def test_rule_values_are_normalised():
    assert Rule(field="price", operator="equals", value=" 10.50 ").value == "10.50"
    assert Rule(field="stock", operator="equals", value="007").value == "7"
    assert Rule(field="sku", operator="is_empty", value="ignored").value == ""
    assert (
        describe(
            RuleSet(
                match="any",
                rules=[
                    Rule(field="vendor", operator="equals", value="Acme"),
                    Rule(field="stock", operator="greater_than", value="0"),
                ],
            )
        )
        == 'Vendor equals "Acme" or Stock greater than "0"'
    )
