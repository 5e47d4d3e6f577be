"""Connecting a merchant's accounts: the Shopify install, TikTok seller authorization, the choice among
authorized shops, and TikTok's listing prerequisites. `service` holds the use-cases, `tasks` the jobs
(including the processing of recorded webhooks)."""
