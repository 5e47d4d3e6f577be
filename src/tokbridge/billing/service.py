"""Subscriptions, billing periods and what is left of a plan."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tokbridge.billing.models import Subscription
from tokbridge.billing.plans import Plan, default_plan, plan_by_code
from tokbridge.db.base import utcnow
from tokbridge.tenancy.models import Merchant


class PlanLimitReached(Exception):
    """Refused because the plan's limit is used up; the message says how to go on."""

    def __init__(self, message: str, upgrade_url: str = "/plans"):
        super().__init__(message)
        self.upgrade_url = upgrade_url


@dataclass(frozen=True)
class PlanUsage:
    plan: Plan
    billing_date: date  # next billing date
    period_start: datetime
    products_used: int
    orders_used: int

    @property
    def products_left(self) -> int:
        return max(0, self.plan.product_limit - self.products_used)

    @property
    def orders_left(self) -> int:
        return max(0, self.plan.order_limit - self.orders_used)


def subscription_for(session: Session, merchant_id: int) -> Subscription:
    """The merchant's subscription. Until one is chosen: the default plan, billed on the day of the month
    the merchant signed up (not stored, so reading the dashboard never writes)."""
    subscription = session.scalar(select(Subscription).where(Subscription.merchant_id == merchant_id))
    if subscription is None:
        merchant = session.get(Merchant, merchant_id)
        since = merchant.created_at if merchant else utcnow()
        subscription = Subscription(merchant_id=merchant_id, plan_code=default_plan().code,
                                    billing_day=min(since.day, 28), started_at=since, status="active")
    return subscription


def current_plan(subscription: Subscription) -> Plan:
    # A plan removed from the configuration keeps working as the default plan.
    return plan_by_code(subscription.plan_code) or default_plan()


# Called as hook(session, merchant_id) after a plan change, in its transaction (orders waiting for
# the plan register one); billing itself knows nothing of what uses the plan.
PLAN_CHANGED_HOOKS: list[Callable[[Session, int], None]] = []


def change_plan(session: Session, merchant_id: int, plan_code: str) -> Subscription:
    if plan_by_code(plan_code) is None:
        raise ValueError(f"There is no plan {plan_code!r}.")
    subscription = subscription_for(session, merchant_id)
    subscription.plan_code = plan_code
    if subscription not in session:
        session.add(subscription)
    session.flush()
    for hook in PLAN_CHANGED_HOOKS:
        hook(session, merchant_id)
    return subscription


def period_bounds(billing_day: int, today: date) -> tuple[date, date]:
    """(start of the current billing period, next billing date)."""
    if today.day >= billing_day:
        start = today.replace(day=billing_day)
    else:
        start = _add_months(today.replace(day=1), -1).replace(day=billing_day)
    return start, _add_months(start.replace(day=1), 1).replace(day=billing_day)


def usage(subscription: Subscription, products_used: int, orders_used: int, today: date | None = None) -> PlanUsage:
    today = today or utcnow().date()
    start, next_billing = period_bounds(subscription.billing_day, today)
    return PlanUsage(plan=current_plan(subscription), billing_date=next_billing,
                     period_start=datetime.combine(start, datetime.min.time()).replace(tzinfo=utcnow().tzinfo),
                     products_used=products_used, orders_used=orders_used)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return day.replace(year=index // 12, month=index % 12 + 1)


def change_plan_checked(session: Session, merchant_id: int, plan: Plan, current: PlanUsage) -> Plan:
    """Change to `plan` unless the products already on TikTok would not fit it (the merchant removes
    some first). Approved at once: no payment provider confirms it yet. Recorded in the activity log."""
    from tokbridge.activity import service as activity

    if current.products_used > plan.product_limit:
        raise PlanLimitReached(
            f"The {plan.name} plan allows {plan.product_limit} products on TikTok and {current.products_used} "
            f"are there now. Deactivate or delete {current.products_used - plan.product_limit} first, "
            f"or choose a bigger plan.")
    if plan.code == current.plan.code:
        return plan
    change_plan(session, merchant_id, plan.code)
    activity.record(session, merchant_id, "billing.plan_changed", f"Plan changed to {plan.name}",
                    status="succeeded", details={"before": current.plan.code, "after": plan.code})
    return plan
