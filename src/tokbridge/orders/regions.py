"""TikTok's region codes as the country codes a store takes.

TikTok writes the United Kingdom "UK"; ISO 3166-1 (which stores' country codes follow) says "GB". Any other
code must be an ISO 3166-1 code the stores know, or the store would refuse the order.
"""

from __future__ import annotations

TIKTOK_ALIASES = {"UK": "GB"}

STORE_COUNTRY_CODES = frozenset(
    """
AC AD AE AF AG AI AL AM AN AO AR AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FO FR
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO
JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MK ML MM MN MO MQ MR MS
MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PS PT PY QA RE RO RS RU
RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TA TC TD TF TG TH TJ TK TL TM TN TO TR TT TV
TW TZ UA UG UM US UY UZ VA VC VE VG VN VU WF WS XK YE YT ZA ZM ZW ZZ
""".split()
)


class UnknownCountry(ValueError):
    """TikTok's address names a region the store has no country for; the message is for the merchant."""

    def __init__(self) -> None:
        super().__init__(
            "The buyer's country in the TikTok address is not one your store knows, so the order "
            "cannot be created there. Check the shipping address in TikTok Seller Center"
        )


def store_country_code(region_code: str | None) -> str | None:
    """The store's country code for TikTok's region code (None when TikTok gives none)."""
    if not region_code or not str(region_code).strip():
        return None
    code = str(region_code).strip().upper()
    code = TIKTOK_ALIASES.get(code, code)
    if code not in STORE_COUNTRY_CODES:
        raise UnknownCountry()
    return code
