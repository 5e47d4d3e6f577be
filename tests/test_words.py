"""Codes and field paths in a merchant's words (kit/words.py)."""

from tokbridge.kit.words import alternatives, code_words, field_words, plural


def test_codes_read_as_words():
    assert code_words("SELLER_DEACTIVATED") == "Deactivated by you"
    assert code_words("ACTIVATE") == "Live"
    assert code_words("IN_TRANSIT") == "In transit"
    assert code_words("BUYER_CANCEL") == "Buyer's cancellation request"
    assert code_words("RETURN_AND_REFUND") == "Return and refund"
    assert code_words("SOME_NEW_TIKTOK_STATE") == "Some new tiktok state"  # never the raw code
    assert code_words("active") == "Active" and code_words(None) == ""


def test_field_paths_read_as_words():
    assert field_words("skus[7].seller_sku") == "Variant 8, SKU code"
    assert field_words("skus[0].price.amount") == "Variant 1, price"
    assert field_words("main_images") == "Images"
    assert field_words("product_attributes[2]") == "Attribute 3"
    assert field_words("listing.package_dimensions") == "Package size"


def test_plurals():
    assert [plural(n, "product") for n in (0, 1, 2)] == ["0 products", "1 product", "2 products"]
    assert plural(1, "problem") == "1 problem" and plural(3, "category", "categories") == "3 categories"


def test_choices_read_as_a_person_lists_them():
    assert alternatives(["Shopify"]) == "Shopify"
    assert alternatives(["Etsy", "Shopify"]) == "Etsy or Shopify"
    assert alternatives(["Etsy", "PrestaShop", "Shopify"]) == "Etsy, PrestaShop or Shopify"
    assert alternatives([]) == ""
