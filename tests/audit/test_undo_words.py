"""How an undo's preview says what a product's prices go back to."""

from tokbridge.undo.service import price_back_words


def test_one_price_for_every_sku_is_said_once():
    assert price_back_words({"17291": "16.00", "17292": "16.00"}, {"17291": "TEE-S", "17292": "TEE-M"}) == (
        "Price back to 16.00"
    )


def test_different_prices_are_said_per_seller_sku_in_the_order_sent():
    back = {"17291": "16.00", "17292": "17.00", "17293": "22.00"}
    names = {"17291": "TEE-S", "17292": "TEE-M", "17293": None}
    assert price_back_words(back, names) == "Prices back to TEE-S 16.00, TEE-M 17.00, variant 3 22.00"


def test_prices_sent_for_the_first_time_have_nothing_to_go_back_to():
    assert price_back_words({}, {}) == "Price back to nothing (its prices were sent for the first time)"
