"""Sandbox settings, read from SHOPIFY_SANDBOX_* environment variables when not passed in."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SandboxConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHOPIFY_SANDBOX_", extra="ignore")

    # The one app this sandbox knows: what a merchant installs from the Dev Dashboard.
    client_id: str = "sandbox-client-id"
    client_secret: str = "sandbox-client-secret"
    # Scopes the app may be granted; asking for anything else is refused at /admin/oauth/authorize.
    available_scopes: list[str] = Field(
        default_factory=lambda: [
            "read_products",
            "write_products",
            "read_inventory",
            "write_inventory",
            "read_locations",
            "read_orders",
            "write_orders",
            "read_merchant_managed_fulfillment_orders",
            "write_merchant_managed_fulfillment_orders",
        ]
    )
    api_versions: list[str] = Field(default_factory=lambda: ["2026-01", "2026-04", "2026-07", "2026-10", "unstable"])

    # Shop used when a request names none (see the package docstring for the addressing scheme).
    default_shop: str = "tokbridge-demo.myshopify.com"
    catalog_size: int = Field(default=50, ge=0, le=100_000)
    catalog_seed: int = 1
    currency: str = "USD"

    # A token installed by the sandbox at start-up for `default_shop`, so demos work without OAuth.
    # Empty: no pre-installed token.
    preinstalled_token: str = ""

    access_token_ttl_seconds: int = 3600
    refresh_token_ttl_seconds: int = 90 * 24 * 3600

    # Leaky bucket of a Standard plan: 100 points restored per second; 2000-point bucket as observed.
    bucket_size: float = Field(default=2000.0, gt=0)
    restore_rate: float = Field(default=100.0, gt=0)
    max_query_cost: int = 1000
    # The clock only moves when told to (control API); for tests. Otherwise it follows wall time.
    frozen_clock: bool = False

    # Webhooks: at least once, sometimes twice, not always in order.
    webhook_duplicate_rate: float = Field(default=0.0, ge=0, le=1)
    webhook_reorder_rate: float = Field(default=0.0, ge=0, le=1)
    webhook_max_attempts: int = Field(default=8, ge=1)
    webhook_retry_seconds: float = Field(default=0.2, ge=0)
    webhook_timeout_seconds: float = Field(default=5.0, gt=0)
    # App-level subscriptions (as shopify.app.toml would declare): every topic, compliance ones included.
    app_webhook_uri: str = ""

    # The merchant's answer to a charge (appSubscriptionCreate): True approves as soon as the confirmation
    # URL is opened and sends the merchant back; False shows Approve and Decline buttons.
    billing_auto_approve: bool = True

    bulk_results_dir: str = ""  # where bulk JSONL files go; empty: a temporary directory
    # From this many products, a bulk query over products is written by several processes.
    bulk_parallel_from: int = Field(default=20_000, ge=1)
