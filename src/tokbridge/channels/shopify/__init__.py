"""Shopify: the production adapter behind `tokbridge.channels.base.SourceStore`.

GraphQL Admin API only, one pinned version (`settings.API_VERSION`). Modules:

- `auth`: install and callback verification (`verify_hmac`, `is_fresh`, `normalize_shop`),
  `authorization_url` with a signed `state` (`make_state`, `check_state`), `exchange_code`,
  `refresh` / `ensure_fresh` for expiring offline tokens, `SCOPES`.
- `webhooks`: `verify_hmac(body, secret, header)`, `receive(body, headers, secrets)` (401/400 as
  Shopify requires) giving a `WebhookEnvelope` whose `dedup_key` is the event id.
- `client.ShopifyClient`: httpx, cost-aware throttling (`Throttled.retry_after`, or waiting itself
  with `wait_when_throttled=True` in CLI/bench code), bounded retries, `userErrors` as
  `ShopifyValidationError`; errors in `errors` split into retryable and permanent.
- `bulk`: bulk operations (start, status, `check_finished` for workers, `wait` for CLIs) and the
  streamed JSONL reader.
- `store.ShopifyStore`: the `SourceStore` itself (catalog export and incremental pages, orders,
  fulfilments, cancellation, inventory).
- `billing.ShopifyBilling`: TokBridge's own plans as app subscriptions (create with a confirmation
  URL, read one again, the active ones, cancel); test charges unless `SHOPIFY_BILLING_TEST=false`.

Against the sandbox, set `SHOPIFY_API_BASE_URL=http://127.0.0.1:8102/shops/{shop}`.
"""
