"""TikTok's listing prerequisites as the five steps a merchant must complete before uploading."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from tokbridge.config import get_settings


@dataclass(frozen=True)
class StepDefinition:
    key: str
    title: str
    check_items: tuple[str, ...]
    fix: str
    seller_center_path: str


STEPS = (
    StepDefinition(
        "shop",
        "Shop active and tax information",
        ("SHOP_STATUS", "SHOP_TAX"),
        "Finish the shop's verification and add its tax information in Seller Center under "
        "My Account > Account settings.",
        "/account/settings",
    ),
    StepDefinition(
        "warehouses",
        "Pickup and return warehouses",
        ("PICKUP_WAREHOUSE", "RETURN_WAREHOUSE"),
        "Add a pickup warehouse and a return warehouse in Seller Center under My Account > Warehouse addresses.",
        "/account/warehouse",
    ),
    StepDefinition(
        "delivery",
        "Delivery option and shipping template",
        ("DELIVERY_OPTION", "SHIPPING_TEMPLATE"),
        "Choose a delivery option and, for seller shipping, create a shipping template in Seller "
        "Center under Shipping > Shipping options.",
        "/logistics/shipping-options",
    ),
    StepDefinition(
        "bank",
        "Bank account",
        ("BANK_ACCOUNT",),
        "Link a bank account for payouts in Seller Center under Finance > Bank accounts.",
        "/finance/bank-accounts",
    ),
    StepDefinition(
        "contact",
        "Contact information and other checks",
        ("CONTACT_INFO", "PRODUCT_QUANTITY_LIMIT", "EXTENDED_PRODUCER_RESPONSIBILITY"),
        "Complete the shop's contact information and the other items TikTok lists in Seller Center under My Account.",
        "/account/info",
    ),
)
CATCH_ALL = STEPS[-1]


@dataclass
class Step:
    key: str
    title: str
    complete: bool
    reasons: list[str] = field(default_factory=list)
    failed_items: list[str] = field(default_factory=list)
    fix: str = ""
    link: str = ""


def steps_from_checks(checks: list[dict]) -> list[Step]:
    """`checks` are TikTok's check results ({check_item, is_failed, fail_reasons})."""
    seller_center = get_settings().tiktok_seller_center_url.rstrip("/")
    steps = {
        d.key: Step(key=d.key, title=d.title, complete=True, fix=d.fix, link=seller_center + d.seller_center_path)
        for d in STEPS
    }
    for check in checks:
        # TikTok's docs spell one item "BANk_ACCOUNT"; compare case-insensitively.
        item = str(check.get("check_item", "")).upper()
        definition = next((d for d in STEPS if item in d.check_items), CATCH_ALL)
        if check.get("is_failed"):
            step = steps[definition.key]
            step.complete = False
            step.failed_items.append(item)
            step.reasons.extend(check.get("fail_reasons") or [f"TikTok reports {item} as not met."])
    return [steps[d.key] for d in STEPS]


def summary(checks: list[dict] | None) -> dict:
    """The dashboard's `prerequisites` object. Not checked yet means not complete."""
    if checks is None:
        return {
            "complete": False,
            "checked": False,
            "steps": [asdict(s) | {"complete": False} for s in steps_from_checks([])],
        }
    steps = steps_from_checks(checks)
    return {"complete": all(s.complete for s in steps), "checked": True, "steps": [asdict(s) for s in steps]}


def blocking_message(checks: list[dict] | None) -> str | None:
    """Why uploads are refused, or None when every step is complete."""
    if checks is None:
        return (
            "TikTok Shop's listing prerequisites have not been checked yet. Open the dashboard and choose Check again."
        )
    failing = [s for s in steps_from_checks(checks) if not s.complete]
    if not failing:
        return None
    titles = "; ".join(s.title for s in failing)
    return f"TikTok Shop will not accept products until these steps are complete: {titles}. See the dashboard for how to fix them."
