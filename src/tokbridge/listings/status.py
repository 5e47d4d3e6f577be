"""TikTok's product states onto the dashboard's six statuses."""

from __future__ import annotations

from tokbridge.listings.models import ListingStatus

TIKTOK_TO_DASHBOARD = {
    "DRAFT": ListingStatus.IN_PROGRESS,
    "PENDING": ListingStatus.REVIEWING,
    "FAILED": ListingStatus.FAILED,
    "ACTIVATE": ListingStatus.LIVE,
    "SELLER_DEACTIVATED": ListingStatus.INACTIVE,
    "PLATFORM_DEACTIVATED": ListingStatus.FAILED,
    "FREEZE": ListingStatus.FAILED,
    "DELETED": ListingStatus.NOT_UPLOADED,
}

EXPLANATIONS = {
    "PLATFORM_DEACTIVATED": "TikTok deactivated this product. Read the reason, fix the product and it can be "
    "submitted again.",
    "FREEZE": "TikTok froze this product, usually after a policy violation. Contact TikTok Shop seller support.",
    "FAILED": "TikTok's review rejected this product. Fix what the reasons say and upload it again.",
}


def dashboard_status(tiktok_status: str | None, audit_status: str | None = None) -> ListingStatus:
    """The dashboard status for what TikTok reports. An audit under way is Reviewing whatever the state."""
    if audit_status == "AUDITING" and tiktok_status not in ("FAILED", "PLATFORM_DEACTIVATED", "FREEZE"):
        return ListingStatus.REVIEWING
    if audit_status == "FAILED":
        return ListingStatus.FAILED
    return TIKTOK_TO_DASHBOARD.get(tiktok_status or "", ListingStatus.REVIEWING)
