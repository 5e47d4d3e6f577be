"""Product review: a submitted product waits `review_delay_seconds` on the sandbox clock, then
passes or fails. The outcome is, in order: a forced outcome set through the control API; the
deterministic rules (a prohibited word in the title, a main image below the minimum side); the
seeded random rejection rate. Webhooks 5 (PRODUCT_STATUS_CHANGE) and 37 (PRODUCT_AUDIT_STATUS_CHANGE)
report the result.
"""

from __future__ import annotations

import re
from typing import Any

from .state import Product, ProductVersion, SandboxState


def submit(state: SandboxState, product: Product) -> None:
    product.review_id += 1
    product.audit_status = "AUDITING"
    product.audit_failed_reasons = []
    review_id = product.review_id
    state.after(state.config.review_delay_seconds, lambda due: complete(state, product.id, review_id, due))


def _reasons(position: str, reason: str, suggestion: str) -> dict[str, Any]:
    return {"position": position, "reasons": [reason], "suggestions": [suggestion], "listing_platform": "TIKTOK_SHOP"}


def decide(state: SandboxState, product: Product, version: ProductVersion) -> list[dict[str, Any]]:
    """The audit failure reasons for this version; empty when it passes."""
    forced = product.forced_outcome
    if forced is not None:
        product.forced_outcome = None
        if forced.get("outcome") == "APPROVED":
            return []
        reasons = forced.get("reasons") or ["violate listing rules"]
        return [
            _reasons("product", r, "The product violates TikTok Shopping listing rules, please check and resubmit.")
            for r in reasons
        ]
    failures = []
    title = (version.body.get("title") or "").lower()
    for word in state.config.prohibited_title_words:
        if re.search(rf"\b{re.escape(word.lower())}\b", title):
            failures.append(
                _reasons(
                    "title",
                    f"Prohibited content in title: {word}",
                    "Remove prohibited or restricted words from the title and resubmit.",
                )
            )
            break
    minimum = state.config.review_min_image_side
    for uri in version.body.get("main_images") or []:
        image = state.images.get(uri)
        if image and min(image.width, image.height) < minimum:
            failures.append(
                _reasons(
                    "main_images",
                    "Low image quality",
                    f"Use main images of at least {minimum}x{minimum} px and resubmit.",
                )
            )
            break
    if not failures and state.rng.random() < state.config.review_rejection_rate:
        failures.append(
            _reasons(
                "product",
                "violate listing rules",
                "The product violates TikTok Shopping listing rules, please check and resubmit.",
            )
        )
    return failures


def complete(state: SandboxState, product_id: str, review_id: int, when: float) -> None:
    product = state.products.get(product_id)
    if product is None or product.review_id != review_id or product.audit_status != "AUDITING":
        return
    shop = state.shops[product.shop_id]
    editing_live = product.under_review is not None
    version = product.under_review if editing_live else product.live
    failures = decide(state, product, version)
    now = int(when)
    product.update_time = now
    if failures:
        product.audit_status = "FAILED"
        product.audit_failed_reasons = failures
        # A failed edit leaves the live version untouched ("keeping v1").
        product.under_review = None
        if not editing_live:
            product.status = "FAILED"
        suspended = "; ".join(r["reasons"][0] for r in failures)
        state.emit(
            shop,
            5,
            {
                "product_id": int(product.id),
                "status": "PRODUCT_AUDIT_FAILURE",
                "suspended_reason": suspended,
                "update_time": now,
            },
        )
    else:
        product.audit_status = "APPROVED"
        if editing_live:
            product.live = product.under_review
            product.under_review = None
        else:
            first = not product.ever_approved
            product.status = "ACTIVATE"
            product.ever_approved = True
            state.emit(
                shop,
                5,
                {
                    "product_id": int(product.id),
                    "status": "PRODUCT_FIRST_PASS_REVIEW" if first else "PRODUCT_STATUS_CHANGED",
                    "suspended_reason": "",
                    "update_time": now,
                },
            )
    # Type 37 documents product_id as a number, and the product's state on integrated platforms
    # (Tokopedia): a shop outside Indonesia never lists there, so its status is NONE.
    state.emit(
        shop,
        37,
        {
            "product_id": int(product.id),
            "audit": {"status": product.audit_status, "pre_approved_reasons": []},
            "integrated_platform_statuses": {"platform": "TOKOPEDIA", "status": "NONE"},
            "update_time": now,
        },
    )
