"""Orders: TikTok Shop orders into the merchant's store, statuses, fulfilment back, cancellations, returns."""
