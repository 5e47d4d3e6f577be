"""TikTok's daily product-creation limit, planned before an upload instead of discovered during it.

TikTok counts the products a shop creates per UTC day and refuses more (12052093): 100 a day for a new
shop, 1,000 after its probation, and no API says which applies. The plan starts from the documented
figure (`TIKTOK_DAILY_LISTING_LIMIT`), learns the shop's own when TikTok refuses one (what it took that
day), and raises it when TikTok takes more than planned. The upload job still stops only when TikTok
refuses, and resumes the next UTC day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from tokbridge.channels.factory import tiktok_app
from tokbridge.channels.models import ChannelConnection
from tokbridge.db.base import utcnow
from tokbridge.listings.repository import ListingRepository


def day_start(now: datetime) -> datetime:
    return datetime.combine(now.date(), datetime.min.time(), tzinfo=now.tzinfo)


def next_day(now: datetime) -> datetime:
    return day_start(now) + timedelta(days=1)


def known_limit(shop: ChannelConnection) -> int:
    return shop.daily_listing_limit or tiktok_app().daily_listing_limit


def room_today(session: Session, shop: ChannelConnection, now: datetime | None = None) -> int:
    """How many more products TikTok should take from the shop today."""
    created = ListingRepository(session).created_since(shop.id, day_start(now or utcnow()))
    return max(0, known_limit(shop) - created)


def _products(count: int) -> str:
    return f"{count} product{'s' if count != 1 else ''}"


@dataclass(frozen=True)
class UploadSchedule:
    limit: int
    today: int  # of the products asked for, how many go today
    later: int  # and how many on the following days
    resumes_at: datetime  # when the next day's share starts (UTC midnight)

    @property
    def days_after_today(self) -> int:
        return -(-self.later // self.limit)

    def summary(self) -> str:
        """Plain words for the merchant; empty when everything goes today."""
        if not self.later:
            return ""
        when = f"{self.resumes_at:%Y-%m-%d %H:%M} UTC"
        rest = (
            f"the other {self.later} after {when}"
            if self.days_after_today == 1
            else f"the other {self.later} over the following {self.days_after_today} days, from {when}"
        )
        goes = "goes" if self.today == 1 else "go"
        return (
            f"TikTok lets this shop create {_products(self.limit)} a day: {self.today} {goes} today, {rest}, "
            "on their own."
        )


def schedule(
    session: Session, shop: ChannelConnection, count: int, *, ahead: int = 0, now: datetime | None = None
) -> UploadSchedule:
    """When `count` products go, with `ahead` others queued before them."""
    now = now or utcnow()
    today = min(count, max(0, room_today(session, shop, now) - ahead))
    return UploadSchedule(known_limit(shop), today, count - today, next_day(now))


def learn(session: Session, shop: ChannelConnection | None, *, refused: bool, now: datetime | None = None) -> None:
    """After TikTok refused one more product today (`refused`), or took some: keep the shop's own limit.
    Nothing to keep for a shop disconnected meanwhile (None)."""
    if shop is None:
        return
    created = ListingRepository(session).created_since(shop.id, day_start(now or utcnow()))
    if refused and created:
        shop.daily_listing_limit = created
    elif created > known_limit(shop):
        shop.daily_listing_limit = created
