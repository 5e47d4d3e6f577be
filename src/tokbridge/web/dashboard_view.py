"""What the dashboard shows besides the service's figures: the status labels, the new merchant's
checklist, the FAQs, and the sales chart (an SVG drawn here, so the page needs no chart library)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from tokbridge.category_templates import repository as templates_repository
from tokbridge.channels import registry
from tokbridge.channels.base import StorePlugin
from tokbridge.kit.words import alternatives
from tokbridge.web.rendering import store_plugin

PRODUCT_STATUSES = [
    ("not_uploaded", "Not Uploaded"),
    ("in_progress", "In progress"),
    ("reviewing", "Reviewing"),
    ("live", "Live"),
    ("failed", "Failed"),
    ("inactive", "Inactive"),
]
ORDER_STATUSES = [
    ("unpaid", "Unpaid"),
    ("on_hold", "On hold"),
    ("awaiting_shipment", "Awaiting shipment"),
    ("awaiting_collection", "Awaiting collection"),
    ("in_transit", "In transit"),
    ("delivered", "Delivered"),
    ("completed", "Completed"),
    ("cancelled", "Cancelled"),
    ("failed", "Failed"),
]
SALES_PERIODS = (7, 30, 90)


def shop_names(session: Session) -> dict[str, str]:
    """{connection id: "name (region)"} of the merchant's TikTok shops: Recent Activity names each row's."""
    from tokbridge.channels.shops import ShopContext, active_shops

    return {shop.id: ShopContext(shop.merchant_id, shop, None).label for shop in active_shops(session)}


FAQS = [
    (
        "Which products are uploaded?",
        (
            "Only active store products linked to a category template. A template says which products go to which "
            "TikTok category and how their attributes, price and stock are sent."
        ),
    ),
    (
        "Why is a product Failed?",
        (
            "Either TikTok refused it (its review reasons are on the product's page) or a problem was found "
            "before sending (each problem says how to fix it). Fix it in the store or the template, then upload "
            "it again."
        ),
    ),
    (
        "How long does TikTok's review take?",
        (
            "Usually minutes, sometimes up to two days. Reviewing products turn Live or Failed by themselves; "
            "Sync Shop Status reads every product from TikTok at once."
        ),
    ),
    (
        "Do price and stock changes reach TikTok?",
        ("Yes, as they happen in the store, for the sync switches that are on in Settings."),
    ),
    (
        "What happens to TikTok orders?",
        (
            "Paid orders are created in your store once TikTok releases them; your fulfilment and tracking go "
            "back to TikTok."
        ),
    ),
    (
        "What counts as a sale?",
        (
            "TikTok orders that are paid and past TikTok's one-hour cancellation window (no longer On hold), and not "
            "cancelled, on the day they were placed, less the refunds TikTok has granted on them. Unpaid, on-hold and "
            "cancelled orders are not sales. Top products count the units sold and their prices before refunds."
        ),
    ),
    (
        "What counts against my plan?",
        ("Products on TikTok (in progress, reviewing, live or inactive) and orders brought in this billing month."),
    ),
]


@dataclass(frozen=True)
class ChecklistStep:
    key: str
    title: str
    done: bool
    link: str
    action: str


def _store_step(data) -> ChecklistStep:
    """Connect the store: the connected store by name; before one, the store TokBridge has, or, with several
    store plugins, every one of them by name and the page to choose among them."""
    if data.store is not None:
        title = f"Connect your {store_plugin(data.store.kind).display_name} store"
        return ChecklistStep("store", title, True, f"/connect/{data.store.kind}", "Connect store")
    plugins: list[StorePlugin] = sorted(registry.plugins().values(), key=lambda plugin: plugin.display_name)
    if len(plugins) == 1:
        return ChecklistStep(
            "store",
            f"Connect your {plugins[0].display_name} store",
            False,
            f"/connect/{plugins[0].kind}",
            "Connect store",
        )
    names = alternatives([plugin.display_name for plugin in plugins])
    return ChecklistStep("store", f"Connect your {names} store", False, "/connect", "Connect store")


def onboarding_steps(session: Session, merchant_id: int, data) -> list[ChecklistStep]:
    """Sign-up to first live product, from what is stored (nothing is asked of TikTok or the store here)."""
    products = data.products
    sent = sum(count for key, count in products.items() if key != "not_uploaded")
    has_template = templates_repository.has_any_template(session, merchant_id)
    return [
        ChecklistStep("account", "Create your account", True, "/dashboard", ""),
        _store_step(data),
        ChecklistStep(
            "tiktok", "Connect your TikTok shop", bool(data.tiktok_shop), "/connect/tiktok", "Connect TikTok Shop"
        ),
        ChecklistStep(
            "prerequisites",
            "Finish TikTok Shop's listing prerequisites",
            bool(data.tiktok_shop) and bool(data.prerequisites.get("complete")),
            "/dashboard#prerequisites",
            "See what is missing",
        ),
        ChecklistStep(
            "template", "Create your first category template", has_template, "/templates/new", "Create a template"
        ),
        ChecklistStep("upload", "Upload your products", sent > 0, "/dashboard#product-status", "Bulk Upload"),
        ChecklistStep(
            "live",
            "Your first product is live on TikTok",
            products.get("live", 0) > 0,
            "/products?status=reviewing",
            "See products under review",
        ),
    ]


# --- sales ---------------------------------------------------------------------------------------


def _field(value: Any, name: str, default: Any = None) -> Any:
    if isinstance(value, dict):
        return value.get(name, default)
    return getattr(value, name, default)


def sales_view(sales: Any, period: int) -> dict | None:
    """The dashboard's sales block with its chart, from the order pipeline's figures for `period` days
    (`orders.service.sales`: amount, currency, orders, units, per_day, top_products), or None when
    there are none for that period."""
    if not sales or int(_field(sales, "period_days", 0) or 0) != period:
        return None
    series = [
        {
            "day": str(_field(point, "date", "")),
            "orders": int(_field(point, "orders", 0) or 0),
            "amount": _field(point, "amount", 0),
        }
        for point in _field(sales, "per_day", None) or []
    ]
    return {
        "amount": _field(sales, "amount", 0),
        "currency": _field(sales, "currency", ""),
        "orders": int(_field(sales, "orders", 0) or 0),
        "units": int(_field(sales, "units", 0) or 0),
        "series": series,
        "chart": orders_chart(series),
        "top_products": [
            {
                "title": str(_field(p, "name", "") or _field(p, "tiktok_product_id", "")),
                "units": int(_field(p, "units", 0) or 0),
                "amount": _field(p, "amount", 0),
            }
            for p in _field(sales, "top_products", None) or []
        ],
    }


def orders_chart(series: list[dict], width: int = 600, height: int = 160) -> Markup:
    """Orders per day as an SVG bar chart; scales to its container (viewBox), labelled for screen readers."""
    if not series:
        return Markup("")
    top = max((point["orders"] for point in series), default=0) or 1
    gap = 2
    bar = max(1.0, (width - gap * len(series)) / len(series))
    plot = height - 20
    bars = []
    for index, point in enumerate(series):
        bar_height = plot * point["orders"] / top
        x = index * (bar + gap)
        label = escape(f"{point['day']}: {point['orders']} orders")
        bars.append(
            f'<rect x="{x:.1f}" y="{plot - bar_height:.1f}" width="{bar:.1f}" height="{bar_height:.1f}">'
            f"<title>{label}</title></rect>"
        )
    total = sum(point["orders"] for point in series)
    first, last = escape(series[0]["day"]), escape(series[-1]["day"])
    # The axis labels are HTML, not SVG text: the chart stretches to its box and text would stretch with it.
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {plot}" role="img" preserveAspectRatio="none" '
        f'aria-label="Orders per day from {first} to {last}: {total} in all, at most {top} a day" '
        f'data-testid="sales-chart">{"".join(bars)}</svg>'
        f'<div class="chart-axis" aria-hidden="true"><span>{first}</span><span>{top} orders a day at most</span>'
        f"<span>{last}</span></div>"
    )
