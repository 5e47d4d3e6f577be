"""Subscriptions, billing periods, what is left of a plan, and changing plan.

A merchant whose store bills TokBridge's plans (its plugin's `capabilities.billing`) pays through the
store: `request_plan_change` creates the charge and answers its confirmation URL, and the plan changes
only in `confirm_plan_change`, once the charge is read back from the store as approved. Without such a
store (and for the free plan) the change is immediate. The store's billing comes in as an adapter object
(`channels.base.StoreBilling`), so nothing here speaks HTTP or names a store.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tokbridge.billing.models import Subscription
from tokbridge.billing.plans import Plan, default_plan, plan_by_code
from tokbridge.channels.base import CHARGE_ACTIVE, CHARGE_DECLINED, CHARGE_PENDING, StoreBilling
from tokbridge.db.base import utcnow
from tokbridge.db.engine import for_writing
from tokbridge.tenancy.models import Merchant

log = logging.getLogger(__name__)


class PlanLimitReached(Exception):
    """Refused because the plan's limit is used up; the message says how to go on."""

    def __init__(self, message: str, upgrade_url: str = "/plans"):
        super().__init__(message)
        self.upgrade_url = upgrade_url


@dataclass(frozen=True)
class PlanUsage:
    plan: Plan
    billing_date: date  # when the period's counts restart (and a paid plan is billed)
    period_start: datetime
    products_used: int
    orders_used: int

    @property
    def next_billing_date(self) -> date | None:
        """None on a free plan: nothing is ever billed."""
        return self.billing_date if self.plan.monthly_amount > 0 else None

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
        subscription = Subscription(
            merchant_id=merchant_id,
            plan_code=default_plan().code,
            billing_day=min(since.day, 28),
            started_at=since,
            status="active",
        )
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
    if subscription not in session:
        subscription = _stored_subscription(session, merchant_id)
    subscription.plan_code = plan_code
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


# Stores bill TokBridge's charges every 30 days (the interval its charges ask for; `StoreBilling.period`).
STORE_BILLING_PERIOD = timedelta(days=30)


def usage(subscription: Subscription, products_used: int, orders_used: int, today: date | None = None) -> PlanUsage:
    """The plan and its period: the store charge's own period when the store bills the plan (the charge's
    current period end, 30 days each), else monthly from the billing day."""
    today = today or utcnow().date()
    plan = current_plan(subscription)
    period_end = subscription.billing_period_end if plan.monthly_amount > 0 else None
    if period_end is not None:
        # Read when the charge was approved; the store renews it every period since.
        while period_end.date() < today:
            period_end += STORE_BILLING_PERIOD
        return PlanUsage(
            plan=plan,
            billing_date=period_end.date(),
            period_start=period_end - STORE_BILLING_PERIOD,
            products_used=products_used,
            orders_used=orders_used,
        )
    start, next_billing = period_bounds(subscription.billing_day, today)
    return PlanUsage(
        plan=plan,
        billing_date=next_billing,
        period_start=datetime.combine(start, datetime.min.time()).replace(tzinfo=utcnow().tzinfo),
        products_used=products_used,
        orders_used=orders_used,
    )


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return day.replace(year=index // 12, month=index % 12 + 1)


def change_plan_checked(session: Session, merchant_id: int, plan: Plan, current: PlanUsage) -> Plan:
    """Change to `plan` at once unless the products already on TikTok would not fit it (the merchant
    removes some first): for merchants whose store platform does not bill them (see
    `request_plan_change`). Recorded in the activity log."""
    check_fits(plan, current)
    if plan.code == current.plan.code:
        return plan
    _record_change(session, merchant_id, plan, current.plan)
    return plan


def check_fits(plan: Plan, current: PlanUsage) -> None:
    if current.products_used > plan.product_limit:
        raise PlanLimitReached(
            f"The {plan.name} plan allows {plan.product_limit} products on TikTok and {current.products_used} "
            f"are there now. Deactivate or delete {current.products_used - plan.product_limit} first, "
            f"or choose a bigger plan."
        )


# --- through the store platform's billing ------------------------------------------------------


@dataclass(frozen=True)
class PlanChange:
    """What choosing a plan did: changed it now, or needs the merchant at `confirmation_url` first
    (then `confirm_plan_change`), or neither (the merchant is on it already)."""

    plan: Plan
    changed: bool = False
    confirmation_url: str | None = None


@dataclass(frozen=True)
class Confirmation:
    """The outcome of the merchant's return from the store's confirmation page, with what to tell them:
    `changed` when this return applied the plan, `approved` when the merchant is on the plan the charge
    pays for (applied now, or earlier by the store's notification or a first return)."""

    changed: bool
    message: str
    approved: bool = False


def pending_plan(subscription: Subscription) -> Plan | None:
    """The plan a change waits to go to, while the merchant has not approved its charge."""
    return plan_by_code(subscription.pending_plan_code or "") if subscription.status == "pending" else None


def request_plan_change(
    session: Session,
    merchant_id: int,
    plan: Plan,
    current: PlanUsage,
    store_billing: StoreBilling | None,
    return_url: str,
) -> PlanChange:
    """Choose `plan`, refused with PlanLimitReached when the products already on TikTok would not fit.

    Without `store_billing` (no store that bills the merchant) it changes at once. With it, the free
    plan cancels the paid charge and changes at once; a paid plan creates a charge that returns to
    `return_url`, and the row records it as pending: the plan itself changes in `confirm_plan_change`.
    The store is called with no transaction open (what the session read so far is committed)."""
    check_fits(plan, current)
    if store_billing is None:
        change_plan_checked(session, merchant_id, plan, current)
        return PlanChange(plan, changed=plan.code != current.plan.code)
    waiting = subscription_for(session, merchant_id).status == "pending"
    if plan.code == current.plan.code and not waiting:
        return PlanChange(plan)
    session.commit()  # hold no lock while the store answers
    if plan.code == current.plan.code:  # back to the plan they have: the change asked for is dropped
        _abandon_pending(session, merchant_id, store_billing)
        return PlanChange(plan)
    if plan.monthly_amount == 0:
        for charge in store_billing.active_subscriptions():
            store_billing.cancel(charge.charge_id)
        subscription = _locked_subscription(session, merchant_id)
        cancelled, subscription.external_charge_id = subscription.external_charge_id, None
        _record_change(session, merchant_id, plan, current.plan, cancelled_charge_id=cancelled)
        return PlanChange(plan, changed=True)
    charge = store_billing.create_subscription(
        name=f"TokBridge {plan.name}", amount=plan.monthly_amount, currency=plan.currency, return_url=return_url
    )
    subscription = _locked_subscription(session, merchant_id)
    subscription.status, subscription.pending_plan_code = "pending", plan.code
    subscription.external_charge_id = charge.charge_id
    return PlanChange(plan, confirmation_url=charge.confirmation_url)


def confirm_plan_change(
    session: Session, merchant_id: int, charge_id: str, store_billing: StoreBilling | None
) -> Confirmation:
    """The merchant is back from the store's confirmation page with `charge_id`. Only the charge this
    merchant's change waits for counts, as the store reports it now (never the query string alone):
    ACTIVE changes the plan (Recent Activity, PLAN_CHANGED_HOOKS); declined, expired or cancelled drops
    the change and keeps the plan; still pending keeps waiting."""
    subscription = subscription_for(session, merchant_id)
    wanted, before = pending_plan(subscription), current_plan(subscription)
    expected = subscription.external_charge_id
    if _paid_by(subscription, charge_id):
        return _already_applied(subscription)
    if store_billing is None or wanted is None or not charge_id or charge_id != expected:
        log.warning(
            "plan confirmation refused for merchant %s: charge %r is not the one waiting (%r)",
            merchant_id,
            charge_id[:40],
            expected if wanted else None,
        )
        return Confirmation(
            False,
            "This approval is not one TokBridge is waiting for, so your plan did not "
            "change. Choose a plan below to change it.",
        )
    session.commit()  # hold no lock while the store answers
    charge = store_billing.subscription(expected)
    status = charge.status if charge is not None else "MISSING"
    store = store_billing.platform
    if status == CHARGE_PENDING:
        return Confirmation(
            False,
            f"{store} has not confirmed the charge for the {wanted.name} plan yet. Approve "
            f"it in {store}, or choose the plan again.",
        )
    if status != CHARGE_ACTIVE:
        _abandon_pending(session, merchant_id, store_billing, only_charge=expected)
        if status == CHARGE_DECLINED:
            return Confirmation(
                False,
                f"You declined the charge for the {wanted.name} plan in {store}, so you "
                f"stay on the {before.name} plan.",
            )
        return Confirmation(
            False,
            f"The charge for the {wanted.name} plan is {status.lower()} in {store}, so you "
            f"stay on the {before.name} plan. Choose the plan again to approve a new charge.",
        )
    subscription = _locked_subscription(session, merchant_id)
    if _paid_by(subscription, expected):  # the store's notification applied it while the store answered
        return _already_applied(subscription)
    if subscription.status != "pending" or subscription.external_charge_id != expected:
        # Another plan was chosen meanwhile: this approval no longer decides anything.
        return Confirmation(False, f"You are on the {current_plan(subscription).name} plan.")
    _record_change(session, merchant_id, wanted, before, charge_id=expected)
    assert charge is not None  # its status is active
    subscription.billing_period_end = charge.current_period_end
    return Confirmation(True, f"You are on the {wanted.name} plan now.", approved=True)


def _paid_by(subscription: Subscription, charge_id: str) -> bool:
    """The plan is in force and paid by `charge_id`: an approval for it was applied already."""
    return bool(charge_id) and subscription.status == "active" and subscription.external_charge_id == charge_id


def _already_applied(subscription: Subscription) -> Confirmation:
    """A return after the change was applied (the page reloaded, or the store's charge notification
    arrived first): not an error, the merchant is where they asked to be."""
    return Confirmation(False, f"You are on the {current_plan(subscription).name} plan now.", approved=True)


def on_charge_changed(session: Session, merchant_id: int, charge_id: str, store_billing: StoreBilling) -> str | None:
    """The store says one of the merchant's charges changed (a `CHARGE_CHANGED` store event, its
    `subject_external_id` the charge; `onboarding.service.store_billing` gives `store_billing`); what
    the store reports now decides, the notification is only the hint. The charge a change waits for,
    now ACTIVE, applies it even when the merchant never came back to TokBridge; the charge paying for
    the plan ending (cancelled, frozen, expired) puts the merchant back on the default plan. Returns
    what changed (for the log), or None."""
    subscription = subscription_for(session, merchant_id)
    if pending_plan(subscription) is not None and subscription.external_charge_id == charge_id:
        outcome = confirm_plan_change(session, merchant_id, charge_id, store_billing)
        return outcome.message if outcome.changed else None
    if subscription.status != "active" or subscription.external_charge_id != charge_id:
        return None  # an old or foreign charge: nothing of ours rests on it
    session.commit()  # hold no lock while the store answers
    charge = store_billing.subscription(charge_id)
    status = charge.status if charge is not None else "MISSING"
    if status == CHARGE_ACTIVE:
        return None
    subscription = _locked_subscription(session, merchant_id)
    if subscription.status != "active" or subscription.external_charge_id != charge_id:
        return None
    before, fallback = current_plan(subscription), default_plan()
    _record_change(session, merchant_id, fallback, before, ended_charge_id=charge_id, charge_status=status)
    subscription.external_charge_id = None
    return f"the charge for the {before.name} plan is {status.lower()}: back on the {fallback.name} plan"


def _abandon_pending(
    session: Session, merchant_id: int, store_billing: StoreBilling, only_charge: str | None = None
) -> None:
    """Drop the change waiting for approval; the charge id goes back to the one paying for the plan."""
    paying = [charge.charge_id for charge in store_billing.active_subscriptions()]
    subscription = _locked_subscription(session, merchant_id)
    if subscription.status == "pending" and (only_charge is None or subscription.external_charge_id == only_charge):
        subscription.status, subscription.pending_plan_code = "active", None
        subscription.external_charge_id = paying[0] if paying else None


def _locked_subscription(session: Session, merchant_id: int) -> Subscription:
    """The merchant's row (added when there is none yet), read fresh in a new transaction that wrote it
    first: the row lock on PostgreSQL, the write lock on SQLite, so two answers for one charge cannot
    both apply it. Ends the session's read transaction first."""
    session.commit()
    for_writing(session)
    _stored_subscription(session, merchant_id)
    return session.scalars(
        select(Subscription)
        .where(Subscription.merchant_id == merchant_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _stored_subscription(session: Session, merchant_id: int) -> Subscription:
    """The merchant's row, written first when there is none yet (the default plan) with INSERT ... ON
    CONFLICT DO NOTHING: two requests creating it at the same moment both go on with the one row."""
    found = session.scalar(select(Subscription).where(Subscription.merchant_id == merchant_id))
    if found is not None:
        return found
    default, now = subscription_for(session, merchant_id), utcnow()
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(Subscription)
        .values(
            merchant_id=merchant_id,
            plan_code=default.plan_code,
            billing_day=default.billing_day,
            started_at=default.started_at,
            status="active",
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["merchant_id"])
    )
    return session.scalars(
        select(Subscription).where(Subscription.merchant_id == merchant_id).execution_options(populate_existing=True)
    ).one()


def _record_change(session: Session, merchant_id: int, plan: Plan, before: Plan, **details: str | None) -> None:
    from tokbridge.activity import service as activity
    from tokbridge.audit import service as audit

    subscription = change_plan(session, merchant_id, plan.code)
    subscription.status, subscription.pending_plan_code = "active", None  # whatever waited is superseded
    subscription.billing_period_end = None  # the new plan's charge, if any, brings its own period
    audit.record(
        session,
        None,
        "plan.changed",
        ("plan", None),
        {"plan": before.code},
        {"plan": plan.code},
        summary=f"Plan changed from {before.name} to {plan.name}",
        merchant_id=merchant_id,
    )
    activity.record(
        session,
        merchant_id,
        "billing.plan_changed",
        f"Plan changed to {plan.name}",
        status="succeeded",
        details={"before": before.code, "after": plan.code, **{k: v for k, v in details.items() if v}},
    )
