"""What a template edit changes, in the words Recent Activity shows."""

from __future__ import annotations

from tokbridge.category_templates.changes import claim_changes, describe_price_rule, mapping_changes
from tokbridge.category_templates.pricing import PriceRule
from tokbridge.category_templates.spec import TemplateSpec


def spec(**fields) -> TemplateSpec:
    return TemplateSpec.model_validate({"name": "T-shirts", "category": {"id": "9601302"}, **fields})


def test_price_rules_in_words():
    assert describe_price_rule(PriceRule()) == "same as the store"
    assert describe_price_rule(PriceRule(adjustment="percentage", amount="10.00")) == "+10 %"
    assert describe_price_rule(PriceRule(adjustment="fixed", direction="down", amount="2.5")) == "−2.5"
    assert (
        describe_price_rule(PriceRule(base="compare_at_price", adjustment="percentage", amount="20", rounding="end_99"))
        == "compare-at price +20 %, up to .99"
    )


def test_only_what_the_mapper_reads_is_a_mapping_change():
    before = spec(price={"adjustment": "percentage", "amount": "10"})
    renamed = spec(name="Tees", priority=3, price={"adjustment": "percentage", "amount": "10"})
    assert mapping_changes(before, renamed) == []
    assert mapping_changes(
        before,
        spec(
            price={"adjustment": "percentage", "amount": "20"},
            inventory={"out_of_stock_threshold": 3},
            listing={"package_weight": {"value": "1", "unit": "KILOGRAM"}},
        ),
    ) == ["price rule +10 % → +20 %", "0 sent at or below 0 → 3", "package weight none → 1 kg"]


def test_which_products_it_takes():
    assert claim_changes(spec(), spec(priority=5, is_active=False)) == ["priority 100 → 5", "switched off"]
    assert claim_changes(spec(), spec(name="Tees")) == []
