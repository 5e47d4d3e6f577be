"""The plans on offer. Defaults below; a deployment can replace them with the PLANS setting (JSON)."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from functools import lru_cache

from pydantic import BaseModel, Field, TypeAdapter, ValidationError


class Plan(BaseModel):
    code: str = Field(pattern=r"^[a-z0-9_-]{1,40}$")
    name: str
    monthly_amount: Decimal = Field(ge=0)
    currency: str = "USD"
    product_limit: int = Field(ge=0)
    order_limit: int = Field(ge=0)  # per billing month


DEFAULT_PLANS = [
    Plan(code="free", name="Free", monthly_amount=Decimal("0"), product_limit=25, order_limit=25),
    Plan(code="starter", name="Starter", monthly_amount=Decimal("19.99"), product_limit=500, order_limit=500),
    Plan(code="growth", name="Growth", monthly_amount=Decimal("49.99"), product_limit=5000, order_limit=3000),
    Plan(code="scale", name="Scale", monthly_amount=Decimal("149.99"), product_limit=100000, order_limit=30000),
]
DEFAULT_PLAN_CODE = "free"


class PlanConfigError(ValueError):
    pass


@lru_cache(maxsize=1)
def available_plans() -> tuple[Plan, ...]:
    raw = os.environ.get("PLANS")
    if not raw:
        return tuple(DEFAULT_PLANS)
    try:
        plans = TypeAdapter(list[Plan]).validate_python(json.loads(raw))
    except (ValueError, ValidationError) as exc:
        raise PlanConfigError(f"invalid setting PLANS: {exc}") from None
    if not plans:
        raise PlanConfigError("invalid setting PLANS: at least one plan is required")
    return tuple(plans)


def plan_by_code(code: str) -> Plan | None:
    return next((plan for plan in available_plans() if plan.code == code), None)


def default_plan() -> Plan:
    return plan_by_code(DEFAULT_PLAN_CODE) or available_plans()[0]
