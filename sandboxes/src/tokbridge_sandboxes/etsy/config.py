"""Sandbox settings, read from ETSY_SANDBOX_* environment variables when not passed in."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ALL_SCOPES = (
    "address_r",
    "address_w",
    "email_r",
    "listings_d",
    "listings_r",
    "listings_w",
    "profile_r",
    "profile_w",
    "shops_r",
    "shops_w",
    "transactions_r",
    "transactions_w",
)


class SandboxConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ETSY_SANDBOX_", extra="ignore")

    # The one app the sandbox knows (Etsy's "Your Apps" page): keystring = OAuth client_id.
    keystring: str = "sandboxkeystring0000001"
    shared_secret: str = "sandboxsharedsecret01"
    application_id: int = 987654
    # Registered callback URLs; empty: any absolute http(s) URL is accepted.
    redirect_uris: list[str] = Field(default_factory=list)
    # True: /oauth/connect approves at once and redirects; False: a consent page with Allow / Deny.
    auto_approve: bool = False

    # The seller and their shop.
    user_id: int = 81234567
    shop_id: int = 40123456
    shop_name: str = "TokBridgeSandboxShop"
    currency: str = "USD"

    catalog_size: int = Field(default=60, ge=0, le=200_000)
    catalog_seed: int = 1

    access_token_ttl_seconds: int = Field(default=3600, ge=1)
    refresh_token_ttl_seconds: int = Field(default=90 * 24 * 3600, ge=1)
    auth_code_ttl_seconds: int = Field(default=600, ge=1)
    # A token pair for the seller with every scope, issued at start-up (fixed values when set).
    bootstrap_token: bool = True
    bootstrap_access_token: str | None = None
    bootstrap_refresh_token: str | None = None

    # Etsy's defaults for a new app: 10 requests per second, 10,000 per sliding 24 h.
    rate_limit_per_second: int = Field(default=10, ge=1)
    rate_limit_per_day: int = Field(default=10_000, ge=1)

    # The clock only moves when told to (control API); for tests. Otherwise wall time plus an offset.
    frozen_clock: bool = False

    # Webhooks (off unless a URL is set). The secret is Standard Webhooks' `whsec_<base64 key>`.
    webhook_url: str = ""
    webhook_secret: str = "whsec_c2FuZGJveC13ZWJob29rLXNpZ25pbmcta2V5LTAx"
    webhook_duplicate_rate: float = Field(default=0.0, ge=0, le=1)
    webhook_max_attempts: int = Field(default=5, ge=1)
    webhook_retry_seconds: float = Field(default=0.2, ge=0)
    webhook_timeout_seconds: float = Field(default=5.0, gt=0)
    # The host named in the thin payloads' resource_url (Etsy's own by default).
    resource_base_url: str = "https://openapi.etsy.com"
    # Where listing images are served from: empty means this sandbox's own address.
    image_base_url: str = ""
