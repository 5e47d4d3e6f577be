"""Email notifications: the merchant hears about what failed without watching the dashboard.

- `hooks.py` watches every session (SQLAlchemy events, like `orders/sales_rollup.py`): a listing that
  becomes Failed (or is refused by validation), an order whose store copy fails, an order waiting for the
  plan. Each becomes a `NotificationEvent` row in the same transaction, and a digest job is queued a few
  minutes ahead. The listings and orders modules know nothing of email.
- `service.py` gathers the merchant's unhandled events into one digest email (the preferences in
  Settings decide what goes in; off means never sent) and records it before sending, so a retried job
  sends nothing twice.
- `mailer.py` sends it over SMTP (`SMTP_URL`, `MAIL_FROM`); without `SMTP_URL` nothing is sent.
- `tasks.py`: the `notifications.digest` job, and a periodic sweep for events no job is waiting for.
"""
