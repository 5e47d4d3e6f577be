"""TikTok Shop Open API (202309+): the production client.

settings.TikTokAppSettings      TIKTOK_* settings: app key/secret, service id, rate limit, timeouts
transport.SignedTransport       one signed, rate-limited, timed request; `make_limiter(app, settings)`
client.TikTokClient             every endpoint the connector uses, for one shop
auth                            authorization link + `StateSigner`, `AuthClient` (token get/refresh,
                                authorized shops), `TokenStore` protocol, `TokenManager`
errors                          TikTokError > RetryableError > RateLimited; AuthorizationError > ...;
                                ValidationError (with `field`)
models                          pydantic requests and responses (ids are strings)
signing / webhooks              request signatures; webhook signatures and typed envelopes
"""
