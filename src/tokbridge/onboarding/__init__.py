"""Connecting a merchant's accounts: their store through its plugin's connector (install, refresh, webhook
subscription, what the store's disconnect and privacy notices do), TikTok seller authorization, the choice
among authorized shops, and TikTok's listing prerequisites. `service` holds the use-cases, `tasks` the jobs
(including, until the router moves to `inbox`, the processing of recorded webhooks)."""
