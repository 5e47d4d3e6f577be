"""Etsy app credentials and client tuning, from `ETSY_*` environment variables."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class EtsySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ETSY_", env_file=".env", extra="ignore")

    # The app's keystring (OAuth client_id) and shared secret: `x-api-key: keystring:shared_secret`.
    keystring: str = ""
    shared_secret: str = ""
    api_base_url: str = "https://api.etsy.com"
    oauth_url: str = "https://www.etsy.com/oauth/connect"
    # The endpoint secret of the webhooks registered in Etsy's portal (`whsec_...`); empty: no webhooks
    # arrive, polling finds every change.
    webhook_secret: str = ""
    # Standard Webhooks: a delivery whose timestamp is further than this from now is refused.
    webhook_tolerance_seconds: int = Field(default=300, ge=1)
    request_timeout_seconds: float = Field(default=30.0, gt=0)
    # Etsy's default quotas for an app (raised on request): requests per second and per day.
    rate_limit_per_second: int = Field(default=10, ge=1)
    rate_limit_per_day: int = Field(default=10_000, ge=1)
    # How long the merchant may take on Etsy's consent page.
    state_ttl_seconds: int = Field(default=600, ge=1)
    # Listings per page of a catalog read (Etsy's limit is 100); a checkpoint after each page.
    page_size: int = Field(default=100, ge=1, le=100)

    @property
    def api_key(self) -> str:
        return f"{self.keystring}:{self.shared_secret}"


@lru_cache(maxsize=1)
def get_etsy_settings() -> EtsySettings:
    return EtsySettings()
