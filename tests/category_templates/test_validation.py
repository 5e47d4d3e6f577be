"""Validation before sending: a table of bad products, each with its problem and fix."""

from __future__ import annotations

from typing import Any

import pytest

from tokbridge.category_templates.categories import CategoryInfo, category_problem
from tokbridge.category_templates.limits import Market
from tokbridge.category_templates.spec import CategoryChoice
from tokbridge.category_templates.validation import validate_product
from tokbridge.channels.tiktok.models import Attribute, Category, CategoryRules, ProductInput

from .test_mapper import TSHIRTS

EARPHONES = CategoryInfo(
    id="9824331",
    version="v2",
    attributes=(
        Attribute(
            id="102001",
            name="Battery Type",
            type="PRODUCT_PROPERTY",
            is_requried=True,
            is_customizable=False,
            values=[{"id": "1009001", "name": "Lithium-ion"}],
        ),
    ),
    rules=CategoryRules(
        product_certifications=[{"id": "602362", "name": "FCC Declaration of Conformity", "is_required": True}],
        package_dimension={"is_required": True},
    ),
)


def sku(n: int, **fields) -> dict[str, Any]:
    return {
        "seller_sku": f"TEE-{n}",
        "external_sku_id": f"gid://shopify/ProductVariant/{n}",
        "sales_attributes": [{"id": "100000", "value_id": ["1001003", "1001004"][n % 2]}],
        "price": {"amount": "19.99", "currency": "USD"},
        "inventory": [{"warehouse_id": "W1", "quantity": 5}],
        **fields,
    }


def tee(**fields) -> dict[str, Any]:
    return {
        "title": "Organic Cotton Crew T-shirt",
        "description": "<p>Soft.</p>",
        "category_id": "9601302",
        "category_version": "v2",
        "main_images": [{"uri": "tos-us/1"}],
        "product_attributes": [{"id": "100347", "values": [{"id": "1004001"}]}],
        "package_weight": {"value": "0.5", "unit": "POUND"},
        "skus": [sku(1), sku(2)],
        "external_product_id": "gid://shopify/Product/1",
        **fields,
    }


def check(body: dict, region: str = "US", category: CategoryInfo | None = TSHIRTS, warehouses=("W1",)):
    return validate_product(
        ProductInput.model_validate(body), Market(region), category=category, warehouse_ids=warehouses
    )


def test_a_good_product_has_no_problems():
    assert check(tee()) == []


def test_the_title_problem_reads_like_the_brief():
    (problem,) = check(tee(title="x" * 312))
    assert (problem.code, problem.field) == ("title_too_long", "title")
    assert problem.message == "The title has 312 characters; TikTok allows 255 in US."
    assert problem.fix == "Shorten it in your store, or set a title override in the template."


BAD = {
    "title_missing": tee(title="   "),
    "title_too_short": (
        "MY",
        tee(
            title="Short tee",
            category_version="v1",
            package_weight={"value": "1", "unit": "KILOGRAM"},
            skus=[sku(1, price={"amount": "5", "currency": "MYR"})],
        ),
    ),
    "title_format": tee(title="Tee &nbsp; soft"),
    "title_format (emoji)": tee(title="Great tee 😀"),
    "title_format (symbols)": tee(title="!!! ///"),
    "title_format (repeats)": tee(title="Teeeeeeeeeeeee"),
    "description_missing": tee(description=" "),
    "description_too_long": tee(description="x" * 10_001),
    "category_missing": tee(category_id=""),
    "category_version": tee(category_version="v1"),
    "images_missing": tee(main_images=[]),
    "images_too_many": tee(main_images=[{"uri": f"u{n}"} for n in range(10)]),
    "attribute_required": tee(product_attributes=[]),
    "attribute_unknown": tee(
        product_attributes=[{"id": "100347", "values": [{"id": "1004001"}]}, {"id": "999", "values": [{"name": "x"}]}]
    ),
    "attribute_value_unknown": tee(product_attributes=[{"id": "100347", "values": [{"id": "42"}]}]),
    "attribute_single_value": tee(
        product_attributes=[
            {"id": "100347", "values": [{"id": "1004001"}]},
            {"id": "100392", "values": [{"id": "1005001"}, {"name": "Party"}]},
        ]
    ),
    "weight_missing": tee(package_weight={"value": "0", "unit": "POUND"}),
    "weight_unit": (
        "GB",
        tee(
            package_weight={"value": "1", "unit": "POUND"},
            category_version="v1",
            skus=[sku(1, price={"amount": "5", "currency": "GBP"})],
        ),
    ),
    "dimensions_invalid": tee(package_dimensions={"length": "10.5", "width": "1", "height": "1", "unit": "INCH"}),
    "package_units_mismatch": tee(
        package_dimensions={"length": "10", "width": "1", "height": "1", "unit": "CENTIMETER"}
    ),
    "skus_missing": tee(skus=[]),
    "skus_too_many": (
        "MY",
        tee(
            title="A title long enough for Malaysia",
            category_version="v1",
            package_weight={"value": "1", "unit": "KILOGRAM"},
            skus=[sku(n, price={"amount": "5", "currency": "MYR"}) for n in range(101)],
        ),
    ),
    "sku_code_missing": tee(skus=[sku(1), sku(2, seller_sku=None)]),
    "sku_code_invalid": tee(skus=[sku(1, seller_sku="TEE 1"), sku(2)]),
    "sku_code_duplicate": tee(skus=[sku(1), sku(2, seller_sku="TEE-1")]),
    "price_too_low": tee(skus=[sku(1, price={"amount": "0.00", "currency": "USD"}), sku(2)]),
    "price_too_high": tee(skus=[sku(1, price={"amount": "7600.01", "currency": "USD"}), sku(2)]),
    "price_currency": tee(skus=[sku(1, price={"amount": "5", "currency": "EUR"}), sku(2)]),
    "warehouse_missing": tee(skus=[sku(1, inventory=[]), sku(2)]),
    "warehouse_unknown": tee(skus=[sku(1, inventory=[{"warehouse_id": "W9", "quantity": 1}]), sku(2)]),
    "quantity_out_of_range": tee(skus=[sku(1, inventory=[{"warehouse_id": "W1", "quantity": 100_000}]), sku(2)]),
    "sales_attributes_too_many": tee(skus=[sku(1, sales_attributes=[{"name": n, "value_name": "a"} for n in "ABCD"])]),
    "sales_attributes_inconsistent": tee(skus=[sku(1), sku(2, sales_attributes=[])]),
    "variants_duplicate": tee(skus=[sku(1), sku(3)]),
    "sales_attribute_unknown": tee(skus=[sku(1, sales_attributes=[{"id": "100347", "value_name": "x"}])]),
    "sales_attribute_value_unknown": tee(skus=[sku(1, sales_attributes=[{"id": "100000", "value_id": "7"}])]),
    "sales_attribute_value_missing": tee(skus=[sku(1, sales_attributes=[{"name": "Fit", "value_name": " "}])]),
    "external_id_too_long": tee(external_product_id="x" * 1000),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_products_get_their_problem_with_a_fix(case):
    region, body = BAD[case] if isinstance(BAD[case], tuple) else ("US", BAD[case])
    problems = check(body, region)
    expected = case.split(" ")[0]
    assert [p.code for p in problems] == [expected], [str(p) for p in problems]
    problem = problems[0]
    assert problem.field and problem.message.endswith(".") and problem.fix


def test_category_rules_certifications_dimensions_and_fixed_values():
    body = tee(
        category_id="9824331",
        product_attributes=[{"id": "102001", "values": [{"name": "AA battery"}]}],
        skus=[sku(1, sales_attributes=None)],
    )
    problems = {p.code: p for p in check(body, category=EARPHONES)}
    assert set(problems) == {"attribute_value_not_allowed", "certification_required", "dimensions_required"}
    assert "Lithium-ion" in problems["attribute_value_not_allowed"].fix
    assert "FCC Declaration of Conformity" in problems["certification_required"].message
    fixed = tee(
        category_id="9824331",
        product_attributes=[{"id": "102001", "values": [{"id": "1009001"}]}],
        skus=[sku(1, sales_attributes=None)],
        certifications=[{"id": "602362", "images": [{"uri": "c"}]}],
        package_dimensions={"length": "10", "width": "5", "height": "3", "unit": "INCH"},
    )
    assert check(fixed, category=EARPHONES) == []


def test_without_category_info_only_the_documented_limits_are_checked():
    assert check(tee(product_attributes=[]), category=None, warehouses=None) == []


TREE = [
    Category(id="9601152", parent_id="0", local_name="Womenswear", is_leaf=False, permission_statuses=["AVAILABLE"]),
    Category(id="9601302", parent_id="9601152", local_name="T-shirts", is_leaf=True, permission_statuses=["AVAILABLE"]),
    Category(
        id="9601303", parent_id="9601152", local_name="Hoodies", is_leaf=True, permission_statuses=["INVITE_ONLY"]
    ),
]


@pytest.mark.parametrize(
    ("category_id", "code"),
    [
        ("9601302", None),
        ("9601111", "category_retired"),
        ("9601152", "category_not_leaf"),
        ("9601303", "category_not_available"),
    ],
)
def test_a_retired_category_says_so(category_id, code):
    problem = category_problem(CategoryChoice(id=category_id, version="v2", name_path=["Womenswear", "Old"]), TREE)
    assert (problem.code if problem else None) == code
    if problem:
        assert problem.field == "category_id" and "template" in problem.fix


# Settings the browser's template form does not offer: a fix must not send the merchant looking for them.
NOT_ON_THE_FORM = (
    "value map",
    "value rename",
    "store location",
    "metafield",
    "out of the mapping",
    "inventory rule",
    "Upload it in",
)


def test_fixes_point_only_at_settings_the_template_form_offers():
    bodies = [BAD[case][1] if isinstance(BAD[case], tuple) else BAD[case] for case in BAD]
    problems = [p for body in bodies for p in check(body)]
    problems += check(
        tee(
            category_id="9824331",
            product_attributes=[{"id": "102001", "values": [{"name": "AA"}]}],
            skus=[sku(1, sales_attributes=None)],
        ),
        category=EARPHONES,
    )
    assert {"attribute_value_not_allowed", "certification_required", "warehouse_missing"} <= {p.code for p in problems}
    for problem in problems:
        assert not [words for words in NOT_ON_THE_FORM if words.lower() in problem.fix.lower()], str(problem)
