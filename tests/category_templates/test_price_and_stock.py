"""Price rule and inventory rule."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from tokbridge.category_templates.inventory import InventoryRule, warehouse_quantities
from tokbridge.category_templates.pricing import PriceRule, apply_price_rule, round_price

D = Decimal


@pytest.mark.parametrize(
    ("rule", "price", "compare_at", "expected"),
    [
        ({}, "19.99", None, "19.99"),
        ({"adjustment": "percentage", "direction": "up", "amount": "10"}, "19.99", None, "21.99"),  # 21.989 -> 21.99
        ({"adjustment": "percentage", "direction": "down", "amount": "15"}, "20.00", None, "17.00"),
        ({"adjustment": "fixed", "direction": "up", "amount": "2.5"}, "10", None, "12.50"),
        ({"adjustment": "fixed", "direction": "down", "amount": "50"}, "10", None, "0.01"),  # never below 0.01
        ({"base": "compare_at_price"}, "10", "14.00", "14.00"),
        ({"base": "compare_at_price"}, "10", None, "10.00"),  # falls back to the price
        (
            {"base": "compare_at_price", "adjustment": "percentage", "direction": "down", "amount": "20"},
            "10",
            "15",
            "12.00",
        ),
        ({"adjustment": "percentage", "amount": "10", "rounding": "end_99"}, "10.00", None, "11.99"),
        ({"adjustment": "percentage", "amount": "7", "rounding": "whole"}, "10.00", None, "11.00"),  # 10.70 -> 11
        ({"rounding": "nearest_0_05"}, "10.02", None, "10.00"),
        ({"rounding": "nearest_0_05"}, "10.03", None, "10.05"),
        ({"rounding": "end_95"}, "0.001", None, "0.95"),
    ],
)
def test_price_rule(rule, price, compare_at, expected):
    result = apply_price_rule(PriceRule.model_validate(rule), D(price), D(compare_at) if compare_at else None)
    assert result == D(expected) and str(result) == expected


@pytest.mark.parametrize(
    ("rounding", "value", "expected"),
    [
        ("none", "12.345", "12.35"),
        ("end_99", "12.30", "12.99"),
        ("end_99", "12.99", "12.99"),
        ("end_99", "13.00", "13.99"),
        ("end_95", "12.30", "12.95"),
        ("end_95", "12.97", "13.95"),
        ("whole", "12.49", "12.00"),
        ("whole", "12.50", "13.00"),
        ("up_whole", "12.01", "13.00"),
        ("nearest_0_10", "12.34", "12.30"),
        ("nearest_0_10", "12.35", "12.40"),
    ],
)
def test_rounding(rounding, value, expected):
    assert str(round_price(D(value), rounding)) == expected


def test_a_shop_in_another_currency_gets_the_converted_price_rounded_after_conversion():
    rule = PriceRule(adjustment="fixed", direction="up", amount=D("1"), rounding="end_99")
    # (20 + 1) USD at 0.79 GBP = 16.59 GBP, then rounded up to .99; rounding the dollar price first
    # would give 21.99 * 0.79 = 17.37.
    assert apply_price_rule(rule, D("20"), rate=D("0.79")) == D("16.99")
    assert apply_price_rule(PriceRule(), D("20"), rate=D("0.79")) == D("15.80")
    assert apply_price_rule(PriceRule(), D("0.001"), rate=D("0.5")) == D("0.01")  # still never below 0.01


def test_bad_price_rules_are_refused():
    with pytest.raises(ValidationError, match="100%"):
        PriceRule(adjustment="percentage", direction="down", amount=D(100))
    with pytest.raises(ValidationError):
        PriceRule(adjustment="fixed", amount=D(-1))
    with pytest.raises(ValidationError):
        PriceRule.model_validate({"rounding": "end_49"})


def rule(**fields) -> InventoryRule:
    return InventoryRule(**{"warehouse_map": {"L1": "W1", "L2": "W1", "L3": "W2"}, **fields})


@pytest.mark.parametrize(
    ("fields", "levels", "expected"),
    [
        ({}, {"L1": 5, "L2": 7, "L3": 1}, {"W1": 12, "W2": 1}),
        ({}, {"L1": 5, "L2": -4}, {"W1": 5, "W2": 0}),  # an oversold location does not eat another's stock
        ({}, {"L9": 50}, {"W1": 0, "W2": 0}),  # unmapped locations are not offered...
        (
            {"default_warehouse_id": "W3"},
            {"L9": 50, "L3": 2},
            {"W3": 50, "W2": 2, "W1": 0},
        ),  # ...unless a default is set
        ({"reserve_percent": 10}, {"L1": 19}, {"W1": 17, "W2": 0}),  # 19 * 0.9 = 17.1 -> 17
        ({"out_of_stock_threshold": 3}, {"L1": 3, "L3": 4}, {"W1": 0, "W2": 4}),
        ({"max_quantity": 10}, {"L1": 25}, {"W1": 10, "W2": 0}),
        ({}, {"L1": 150_000}, {"W1": 99_999, "W2": 0}),  # TikTok's ceiling
        (
            {"reserve_percent": 50, "out_of_stock_threshold": 2, "max_quantity": 4},
            {"L1": 5, "L3": 20},
            {"W1": 0, "W2": 4},
        ),  # 5 -> 2 -> 0
    ],
)
def test_inventory_rule(fields, levels, expected):
    assert warehouse_quantities(rule(**fields), levels) == expected


def test_untracked_items_get_the_fixed_quantity_everywhere():
    assert warehouse_quantities(rule(untracked_quantity=25), {"L1": 0}, tracked=False) == {"W1": 25, "W2": 25}


def test_bad_inventory_rules_are_refused():
    with pytest.raises(ValidationError):
        InventoryRule(reserve_percent=120)
    with pytest.raises(ValidationError, match="mapped to a TikTok warehouse"):
        InventoryRule(warehouse_map={"L1": " "})
