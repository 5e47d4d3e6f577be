"""PrestaShop client tuning and order choices, from `PRESTASHOP_*` environment variables."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PrestaShopSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PRESTASHOP_", env_file=".env", extra="ignore")

    # A shop is reached over HTTPS: its Webservice key travels in every request. Tests and the demo run a
    # local sandbox over http://, which only this setting allows.
    allow_http: bool = False
    request_timeout_seconds: float = Field(default=30.0, gt=0)
    # Products per page of a catalog read (`limit=offset,count`); a checkpoint after each page.
    page_size: int = Field(default=50, ge=1, le=1000)
    # How far before the asked time a change poll reads (`date_upd` is shop-local time to the second and
    # a clock hour repeats when daylight saving ends): what is read twice is filtered out again.
    poll_overlap_seconds: int = Field(default=3900, ge=0)
    # The carrier imported orders use (its id in the shop); empty: the shop's first free carrier.
    carrier_id: str = ""
    # The payment module an imported order names (PrestaShop requires an installed one).
    payment_module: str = "ps_wirepayment"
    # Imported orders get a customer of their own with a placeholder address at this domain (the sales
    # channel does not share the buyer's email); the channel's order id makes it findable on a retry.
    customer_email_domain: str = "marketplace.invalid"


@lru_cache(maxsize=1)
def get_prestashop_settings() -> PrestaShopSettings:
    return PrestaShopSettings()
