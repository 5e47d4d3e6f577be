"""Etsy as a TokBridge source store (Open API v3): `plugin.PLUGIN` is what `channels.registry` finds.

settings   ETSY_* environment variables (the app's keystring and shared secret, the base URLs)
client     one rate-limited request: `x-api-key`, the bearer token, quota headers, errors as kit kinds
auth       OAuth 2 with PKCE (S256): the authorization URL, the code exchange, the rotating refresh
connect    the `StoreConnector`: begin, finish (the shop found through getMe), refresh, scopes
mapping    listings and their inventory to neutral records; stable variant ids (SKU, property values)
store      the `SourceStore`: the catalog by pages, changes by update time, stock by full replace
events     Standard Webhooks signatures and thin payloads as `StoreEvent`s
"""
