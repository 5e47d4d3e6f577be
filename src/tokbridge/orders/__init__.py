"""Orders: TikTok Shop orders into the merchant's store, statuses, fulfilment back, cancellations, returns."""

# Every session that writes an order marks its day for the dashboard's sales sums (see sales_rollup).
from tokbridge.orders import sales_rollup as _sales_rollup  # noqa: E402, F401
