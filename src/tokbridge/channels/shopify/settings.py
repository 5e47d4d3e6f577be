"""Shopify app credentials and client tuning, from `SHOPIFY_*` environment variables."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# The one Admin API version the connector is written and tested against.
API_VERSION = "2026-10"


class ShopifySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHOPIFY_", env_file=".env", extra="ignore")

    client_id: str = ""
    client_secret: str = ""
    # The previous secret while a rotation is under way; verification accepts both.
    old_client_secret: str = ""
    api_version: str = API_VERSION
    request_timeout_seconds: float = Field(default=30.0, gt=0)
    max_attempts: int = Field(default=5, ge=1)
    # Install and callback requests older (or newer) than this are refused.
    hmac_max_age_seconds: int = Field(default=300, ge=1)
    state_ttl_seconds: int = Field(default=600, ge=1)
    # SHOPIFY_API_BASE_URL: None is https://{shop}.myshopify.com; the sandbox's has a {shop} placeholder.
    api_base_url: str | None = None
    # Catalog export lines between two checkpoints of a full read: a killed import resumes after the last.
    catalog_checkpoint_lines: int = Field(default=1000, ge=1)
    # SHOPIFY_BILLING_TEST: plan charges are test charges (nothing billed) unless this is false.
    billing_test: bool = True

    @property
    def secrets(self) -> list[str]:
        return [s for s in (self.client_secret, self.old_client_secret) if s]


@lru_cache(maxsize=1)
def get_shopify_settings() -> ShopifySettings:
    return ShopifySettings()
