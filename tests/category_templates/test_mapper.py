"""The mapper: catalog product + template -> TikTok ProductInput, and its content hashes."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from tokbridge.category_templates import repository as repo
from tokbridge.category_templates.bundle import ImageView, OptionView, ProductBundle, VariantView
from tokbridge.category_templates.categories import CategoryInfo
from tokbridge.category_templates.limits import Market
from tokbridge.category_templates.mapper import content_hashes, map_product
from tokbridge.category_templates.spec import TemplateSpec
from tokbridge.channels.tiktok.models import Attribute, CategoryRules
from tokbridge.db.engine import session_scope

from .catalog_factory import P, V, add_products

COLOR, SIZE, MATERIAL, OCCASION = "100000", "100007", "100347", "100392"
TSHIRTS = CategoryInfo(
    id="9601302",
    version="v2",
    attributes=(
        Attribute(
            id=COLOR,
            name="Color",
            type="SALES_PROPERTY",
            values=[{"id": "1001003", "name": "Red"}, {"id": "1001004", "name": "Blue"}],
        ),
        Attribute(
            id=SIZE,
            name="Size",
            type="SALES_PROPERTY",
            values=[{"id": "1002004", "name": "L"}, {"id": "1002005", "name": "XL"}],
        ),
        Attribute(
            id=MATERIAL,
            name="Material",
            type="PRODUCT_PROPERTY",
            is_requried=True,
            is_multiple_selection=True,
            values=[{"id": "1004001", "name": "Cotton"}, {"id": "1004002", "name": "Polyester"}],
        ),
        Attribute(id=OCCASION, name="Occasion", type="PRODUCT_PROPERTY", values=[{"id": "1005001", "name": "Casual"}]),
    ),
    rules=CategoryRules(),
)


def variant(n: int, **fields) -> VariantView:
    base = dict(
        id=n,
        external_id=f"gid://shopify/ProductVariant/{n}",
        title=f"v{n}",
        position=n,
        sku=f"TEE-{n}",
        barcode=None,
        price=Decimal("20.00"),
        compare_at_price=None,
        option_values={},
        weight_grams=Decimal("300"),
        inventory_tracked=True,
        levels={"gid://shopify/Location/1": 10},
    )
    return VariantView(**{**base, **fields})


def tee(**fields) -> ProductBundle:
    base = dict(
        id=1,
        external_id="gid://shopify/Product/1",
        title="Crew Tee",
        description_html="<p>Soft.</p><img src='x.jpg'>",
        vendor="Cotton Lane",
        product_type="T-Shirts",
        tags=("casual", "summer"),
        status="active",
        options=(
            OptionView("Color", 1, ("Red", "Blue")),
            OptionView("Size", 2, ("X-Large", "L")),
            OptionView("Fit", 3, ("Slim",)),
        ),
        variants=(
            variant(
                1, option_values={"Color": "Red", "Size": "X-Large", "Fit": "Slim"}, compare_at_price=Decimal("30")
            ),
            variant(
                2,
                option_values={"Color": "Blue", "Size": "L", "Fit": "Slim"},
                levels={"gid://shopify/Location/1": 3, "gid://shopify/Location/2": 4},
            ),
        ),
        images=tuple(ImageView(f"i{n}", f"https://cdn.example/{n}.jpg", n) for n in range(12, 0, -1)),
    )
    return ProductBundle(**{**base, **fields})


def spec(**listing) -> TemplateSpec:
    return TemplateSpec.model_validate(
        {
            "name": "Tees",
            "category": {
                "id": "9601302",
                "version": "v2",
                "name_path": ["Womenswear & Underwear", "Women's Tops", "T-shirts"],
            },
            "attributes": [
                {"attribute_id": MATERIAL, "source": "fixed", "value_names": ["cotton"]},
                {"attribute_id": OCCASION, "source": "product_field", "product_field": "tags"},
            ],
            "variants": [
                {"option_name": "color", "attribute_id": COLOR},
                {"option_name": "Size", "attribute_id": SIZE, "value_map": {"x-large": "XL"}},
            ],
            "price": {"adjustment": "percentage", "amount": "10", "rounding": "end_99"},
            "inventory": {"warehouse_map": {"gid://shopify/Location/1": "W1", "gid://shopify/Location/2": "W2"}},
            "listing": {"title_template": "{vendor} {title}", **listing},
        }
    )


def test_maps_a_product_with_variants():
    uris = {f"https://cdn.example/{n}.jpg": f"tos-us/{n}" for n in range(1, 13) if n != 2}
    body = map_product(tee(), spec(), Market("US"), image_uris=uris, category=TSHIRTS).to_body()

    assert body["title"] == "Cotton Lane Crew Tee"
    assert body["description"] == "<p>Soft.</p>"
    assert (body["category_id"], body["category_version"]) == ("9601302", "v2")
    assert [i["uri"] for i in body["main_images"]] == [f"tos-us/{n}" for n in (1, 3, 4, 5, 6, 7, 8, 9, 10)]
    assert body["product_attributes"] == [
        {"id": MATERIAL, "values": [{"id": "1004001"}]},  # name matched to TikTok's value id
        {"id": OCCASION, "values": [{"id": "1005001"}]},  # the tag naming a known value; "summer" left out
    ]
    first, second = body["skus"]
    assert first["sales_attributes"] == [
        {"id": COLOR, "value_id": "1001003"},
        {"id": SIZE, "value_id": "1002005"},
        {"name": "Fit", "value_name": "Slim"},
    ]  # X-Large renamed to XL, then matched; the unmapped option goes as a custom attribute
    assert first["price"] == {"amount": "22.99", "currency": "USD"}  # 20 + 10% = 22.00, up to .99
    assert first["external_list_prices"] == [
        {"source": "SHOPIFY_COMPARE_AT_PRICE", "amount": "30.00", "currency": "USD"}
    ]
    assert first["inventory"] == [{"warehouse_id": "W1", "quantity": 10}, {"warehouse_id": "W2", "quantity": 0}]
    assert second["inventory"] == [{"warehouse_id": "W1", "quantity": 3}, {"warehouse_id": "W2", "quantity": 4}]
    assert (first["seller_sku"], first["external_sku_id"]) == ("TEE-1", "gid://shopify/ProductVariant/1")
    assert body["package_weight"] == {"value": "0.67", "unit": "POUND"}  # 300 g, rounded up
    assert body["external_product_id"] == "gid://shopify/Product/1"
    assert "idempotency_key" not in body


def test_single_variant_default_title_has_no_sales_attributes_and_template_package_defaults():
    product = tee(
        # The store plugin dropped Shopify's "Title: Default Title" stand-in (tests/shopify_adapter).
        options=(),
        variants=(variant(1, option_values={}, weight_grams=None),),
        description_html="  <p>&nbsp;</p> ",
    )
    template = spec(
        description_fallback="A soft tee.",
        package_weight={"value": "1", "unit": "KILOGRAM"},
        package_dimensions={"length": 10, "width": 8, "height": 2, "unit": "INCH"},
    )
    body = map_product(product, template, Market("US"), category=TSHIRTS).to_body()
    assert "sales_attributes" not in body["skus"][0]
    assert body["description"] == "A soft tee."
    assert body["package_weight"] == {"value": "2.21", "unit": "POUND"}  # matches the inch dimensions
    assert body["package_dimensions"] == {"length": "10", "width": "8", "height": "2", "unit": "INCH"}
    # Before upload the store URLs stand in for URIs, first nine in store order.
    assert [i["uri"] for i in body["main_images"]][:2] == ["https://cdn.example/1.jpg", "https://cdn.example/2.jpg"]
    assert len(body["main_images"]) == 9


def test_compare_at_price_is_sent_only_when_tiktok_takes_it():
    def list_prices(compare_at: str | None):
        product = tee(variants=(variant(1, compare_at_price=Decimal(compare_at) if compare_at else None),))
        return map_product(product, spec(), Market("US")).skus[0].external_list_prices

    assert list_prices("30")[0].amount == "30.00"
    assert list_prices("22.99") is None  # not above the TikTok price (20 + 10%, to .99)
    assert list_prices("7600.01") is None  # above TikTok's ceiling
    assert list_prices(None) is None


def test_without_category_info_names_are_sent_as_given_and_unknown_weight_is_zero():
    product = tee(variants=(variant(1, option_values={"Color": "Red", "Size": "X-Large"}, weight_grams=None),))
    body = map_product(product, spec(map_unmapped_options=False), Market("GB")).to_body()
    assert body["product_attributes"][0] == {"id": MATERIAL, "values": [{"name": "cotton"}]}
    assert body["skus"][0]["sales_attributes"] == [{"id": COLOR, "value_name": "Red"}, {"id": SIZE, "value_name": "XL"}]
    assert body["skus"][0]["price"]["currency"] == "GBP"
    assert body["package_weight"] == {"value": "0", "unit": "KILOGRAM"}


def test_content_hashes_change_only_with_the_part_that_changed():
    template, market = spec(), Market("US")
    base = content_hashes(map_product(tee(), template, market, category=TSHIRTS))
    assert base == content_hashes(map_product(tee(), template, market, category=TSHIRTS))

    restocked = tee(variants=(tee().variants[0], replace(tee().variants[1], levels={"gid://shopify/Location/1": 9})))
    stock = content_hashes(map_product(restocked, template, market, category=TSHIRTS))
    assert (stock.information, stock.price) == (base.information, base.price)
    assert stock.inventory != base.inventory and stock.full != base.full

    repriced = tee(variants=(replace(tee().variants[0], price=Decimal("25")), tee().variants[1]))
    price = content_hashes(map_product(repriced, template, market, category=TSHIRTS))
    assert (price.information, price.inventory) == (base.information, base.inventory) and price.price != base.price

    renamed = content_hashes(map_product(tee(title="Crew Tee 2"), template, market, category=TSHIRTS))
    assert renamed.information != base.information and (renamed.price, renamed.inventory) == (
        base.price,
        base.inventory,
    )


def test_maps_products_loaded_from_the_catalog(engine, merchant_id):
    (pid,) = add_products(
        engine,
        merchant_id,
        [
            P(
                title="Crew Tee",
                options=[("Color", ["Red", "Blue"]), ("Size", ["X-Large"])],
                variants=[
                    V(
                        price="20",
                        sku="A",
                        options={"Color": "Red", "Size": "X-Large"},
                        weight_grams="226.796185",  # 0.5 lb, converted by the store plugin
                        levels={"gid://shopify/Location/1": 4},
                    ),
                    V(price="22", sku="B", options={"Color": "Blue", "Size": "X-Large"}, tracked=False),
                ],
                images=["https://cdn.example/a.jpg", "https://cdn.example/b.jpg"],
            )
        ],
    )
    template = spec(**{"title_template": None})
    template = template.model_copy(
        update={"inventory": template.inventory.model_copy(update={"untracked_quantity": 7})}
    )
    with session_scope(engine) as session:
        (bundle,) = repo.load_bundles(session, merchant_id, [pid])
    body = map_product(bundle, template, Market("US"), category=TSHIRTS).to_body()
    assert body["title"] == "Crew Tee"
    assert [s["seller_sku"] for s in body["skus"]] == ["A", "B"]
    assert [s["sales_attributes"][1] for s in body["skus"]] == [{"id": SIZE, "value_id": "1002005"}] * 2
    assert body["skus"][0]["inventory"] == [
        {"warehouse_id": "W1", "quantity": 4},
        {"warehouse_id": "W2", "quantity": 0},
    ]
    assert body["skus"][1]["inventory"] == [
        {"warehouse_id": "W1", "quantity": 7},
        {"warehouse_id": "W2", "quantity": 7},
    ]
    assert body["package_weight"] == {"value": "0.50", "unit": "POUND"}
    assert [i["uri"] for i in body["main_images"]] == ["https://cdn.example/a.jpg", "https://cdn.example/b.jpg"]
