"""The Webservice's resources: their fields, which are required, multilingual or read-only, their
associations and the methods PrestaShop refuses on them. Written from the documented field lists.

A field spec is `name:kind` with `!` for required and `*` for multilingual; kinds are `id` (unsigned
integer), `int`, `num` (decimal, may be negative), `bool`, `str`, `date`, `email` and `ro` (read-only:
PrestaShop refuses it in a write body).
"""

from __future__ import annotations

from dataclasses import dataclass, field

ALL_METHODS = ("GET", "PUT", "POST", "PATCH", "DELETE", "HEAD")


@dataclass(frozen=True)
class Field:
    name: str
    kind: str = "str"
    required: bool = False
    i18n: bool = False


@dataclass(frozen=True)
class Resource:
    name: str  # "products"
    entity: str  # "product"
    fields: tuple[Field, ...]
    # association name -> (element name, fields); `id` first when the rows have their own id
    associations: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    forbidden: tuple[str, ...] = ()  # methods answered 405 (code 101) whatever the key
    class_name: str = ""  # for validation messages: "Property Product->price is not valid"

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]


def _fields(spec: str) -> tuple[Field, ...]:
    out = [Field("id", "id")]
    for item in spec.split():
        name, _, kind = item.partition(":")
        out.append(Field(name, kind.strip("!*") or "str", "!" in kind, "*" in kind))
    return tuple(out)


def _resource(name, entity, class_name, spec, associations=None, forbidden=()) -> Resource:
    return Resource(name, entity, _fields(spec), associations or {}, tuple(forbidden), class_name)


DATES = "date_add:date date_upd:date"
ORDER_ROW_FIELDS = (
    "id",
    "product_id",
    "product_attribute_id",
    "product_quantity",
    "product_name",
    "product_reference",
    "product_ean13",
    "product_isbn",
    "product_upc",
    "product_price",
    "id_customization",
    "unit_price_tax_incl",
    "unit_price_tax_excl",
)

RESOURCES: dict[str, Resource] = {
    r.name: r
    for r in [
        _resource(
            "products",
            "product",
            "Product",
            "id_manufacturer:id id_supplier:id id_category_default:id new:bool id_default_image:id "
            "id_default_combination:id id_tax_rules_group:id position_in_category:int "
            "manufacturer_name:ro quantity:ro type id_shop_default:id reference supplier_reference "
            "ean13 isbn upc mpn ecotax:num minimal_quantity:int price:num! wholesale_price:num unity "
            "unit_price_ratio:num additional_shipping_cost:num weight:num width:num height:num "
            "depth:num out_of_stock:int active:bool redirect_type available_for_order:bool "
            "show_price:bool condition visibility state:int product_type " + DATES + " "
            "name:*str! description:* description_short:* link_rewrite:*str! available_now:*",
            {
                "combinations": ("combination", ("id",)),
                "images": ("image", ("id",)),
                "product_option_values": ("product_option_value", ("id",)),
                "stock_availables": ("stock_available", ("id", "id_product_attribute")),
            },
        ),
        _resource(
            "combinations",
            "combination",
            "Combination",
            "id_product:id! location ean13 isbn upc mpn reference supplier_reference "
            "wholesale_price:num price:num ecotax:num weight:num unit_price_impact:num "
            "minimal_quantity:int! default_on:bool available_date",
            {"product_option_values": ("product_option_value", ("id",)), "images": ("image", ("id",))},
        ),
        _resource(
            "product_options",
            "product_option",
            "AttributeGroup",
            "is_color_group:bool group_type:str! position:int name:*str! public_name:*str!",
            {"product_option_values": ("product_option_value", ("id",))},
        ),
        _resource(
            "product_option_values",
            "product_option_value",
            "Attribute",
            "id_attribute_group:id! color position:int name:*str!",
        ),
        _resource(
            "stock_availables",
            "stock_available",
            "StockAvailable",
            "id_product:id! id_product_attribute:id! id_shop:id id_shop_group:id quantity:int! "
            "depends_on_stock:bool! out_of_stock:int! location",
            forbidden=("POST", "DELETE"),
        ),
        _resource(
            "specific_prices",
            "specific_price",
            "SpecificPrice",
            "id_shop_group:id id_shop:id! id_cart:id! id_product:id! id_product_attribute:id! "
            "id_currency:id! id_country:id! id_group:id! id_customer:id! id_specific_price_rule:id "
            "price:num! from_quantity:int! reduction:num! reduction_tax:bool! reduction_type:str! "
            "from:str! to:str!",
        ),
        _resource("tax_rule_groups", "tax_rule_group", "TaxRulesGroup", "name:str! active:bool deleted:bool " + DATES),
        _resource(
            "tax_rules",
            "tax_rule",
            "TaxRule",
            "id_tax_rules_group:id! id_state:id id_country:id! zipcode_from zipcode_to id_tax:id! "
            "behavior:int description",
        ),
        _resource("taxes", "tax", "Tax", "rate:num! active:bool deleted:bool name:*str!"),
        _resource(
            "languages",
            "language",
            "Language",
            "name:str! iso_code:str! locale language_code active:bool is_rtl:bool date_format_lite date_format_full",
        ),
        _resource(
            "currencies",
            "currency",
            "Currency",
            "iso_code:str! numeric_iso_code precision:int conversion_rate:num! deleted:bool "
            "active:bool name:* symbol:*",
        ),
        _resource(
            "countries",
            "country",
            "Country",
            "id_zone:id! id_currency:id call_prefix:int iso_code:str! active:bool contains_states:bool "
            "need_identification_number:bool need_zip_code:bool zip_code_format display_tax_label:bool "
            "name:*str!",
        ),
        _resource("states", "state", "State", "id_zone:id! id_country:id! iso_code:str! name:str! active:bool"),
        _resource("zones", "zone", "Zone", "name:str! active:bool"),
        _resource(
            "shops", "shop", "Shop", "id_shop_group:id id_category:id active:bool deleted:bool name:str! theme_name"
        ),
        _resource(
            "configurations", "configuration", "Configuration", "value name:str! id_shop_group:id id_shop:id " + DATES
        ),
        _resource(
            "order_states",
            "order_state",
            "OrderState",
            "unremovable:bool delivery:bool hidden:bool send_email:bool module_name invoice:bool color "
            "logable:bool shipped:bool paid:bool pdf_delivery:bool pdf_invoice:bool deleted:bool "
            "name:*str! template:*",
        ),
        _resource(
            "carriers",
            "carrier",
            "Carrier",
            "deleted:bool is_module:bool id_tax_rules_group:id id_reference:id name:str! active:bool! "
            "is_free:bool url shipping_handling:bool shipping_external:bool range_behavior:bool "
            "shipping_method:int max_width:int max_height:int max_depth:int max_weight:num grade:int "
            "external_module_name need_range:bool position:int delay:*str!",
        ),
        _resource(
            "deliveries",
            "delivery",
            "Delivery",
            "id_carrier:id! id_range_price:id id_range_weight:id id_zone:id! id_shop:id id_shop_group:id price:num!",
        ),
        _resource(
            "customers",
            "customer",
            "Customer",
            "id_default_group:id id_lang:id newsletter_date_add ip_registration_newsletter last_passwd_gen "
            "secure_key deleted:bool passwd:str! lastname:str! firstname:str! email:email! id_gender:id "
            "birthday newsletter:bool optin:bool website company siret ape outstanding_allow_amount:num "
            "show_public_prices:bool id_risk:id max_payment_days:int active:bool note is_guest:bool "
            "id_shop:id id_shop_group:id " + DATES,
        ),
        _resource(
            "addresses",
            "address",
            "Address",
            "id_customer:id id_manufacturer:id id_supplier:id id_warehouse:id id_country:id! id_state:id "
            "alias:str! company lastname:str! firstname:str! vat_number address1:str! address2 postcode "
            "city:str! other phone phone_mobile dni deleted:bool " + DATES,
        ),
        _resource(
            "carts",
            "cart",
            "Cart",
            "id_address_delivery:id id_address_invoice:id id_currency:id! id_customer:id id_guest:id "
            "id_lang:id! id_shop_group:id id_shop:id id_carrier:id recyclable:bool gift:bool gift_message "
            "mobile_theme:bool delivery_option secure_key allow_seperated_package:bool " + DATES,
            {
                "cart_rows": (
                    "cart_row",
                    ("id_product", "id_product_attribute", "id_address_delivery", "id_customization", "quantity"),
                )
            },
        ),
        _resource(
            "orders",
            "order",
            "Order",
            "id_address_delivery:id! id_address_invoice:id! id_cart:id! id_currency:id! id_lang:id! "
            "id_customer:id! id_carrier:id! current_state:id module:str! invoice_number:int invoice_date "
            "delivery_number:int delivery_date valid:bool " + DATES + " shipping_number note "
            "id_shop_group:id id_shop:id secure_key payment:str! recyclable:bool gift:bool gift_message "
            "mobile_theme:bool total_discounts:num total_discounts_tax_incl:num "
            "total_discounts_tax_excl:num total_paid:num! total_paid_tax_incl:num "
            "total_paid_tax_excl:num total_paid_real:num! total_products:num! total_products_wt:num! "
            "total_shipping:num total_shipping_tax_incl:num total_shipping_tax_excl:num "
            "carrier_tax_rate:num total_wrapping:num total_wrapping_tax_incl:num "
            "total_wrapping_tax_excl:num round_mode:int round_type:int conversion_rate:num! reference",
            {"order_rows": ("order_row", ORDER_ROW_FIELDS)},
            forbidden=("DELETE",),
        ),
        _resource(
            "order_histories",
            "order_history",
            "OrderHistory",
            "id_employee:id id_order_state:id! id_order:id! date_add:date",
            forbidden=("PUT", "PATCH", "DELETE"),
        ),
        _resource(
            "order_carriers",
            "order_carrier",
            "OrderCarrier",
            "id_order:id! id_carrier:id! id_order_invoice:id weight:num shipping_cost_tax_excl:num "
            "shipping_cost_tax_incl:num tracking_number date_add:date",
        ),
    ]
}

# `images` is served apart (binary files), but a key is granted it like any other resource.
RESOURCE_NAMES = sorted([*RESOURCES, "images"])
