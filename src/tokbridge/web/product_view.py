"""What the product page shows beside the request body: the product's images (and the one TikTok refused),
each SKU's options by name and its stock by warehouse name, and the product's state in every shop."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from tokbridge.category_templates.categories import CategoryInfo
from tokbridge.category_templates.limits import Market
from tokbridge.category_templates.spec import TemplateSpec
from tokbridge.channels import registry
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.shops import active_shops
from tokbridge.listings.models import ListingStatus
from tokbridge.listings.repository import ListingRepository

# TikTok's main images must be 300 to 4000 px a side (Upload Product Image, use_case MAIN_IMAGE).
IMAGE_SIDES = (300, 4000)
_IMAGE_PLACE = re.compile(r"main_images\[(\d+)\]")
# Review reasons that are about an image's size or sharpness, so the smallest image is the likely one.
_QUALITY = re.compile(r"quality|resolution|blurr?y|small|pixel|dimension", re.IGNORECASE)


@dataclass
class ImageView:
    url: str
    alt: str
    size: str | None  # "600 × 400 px", as TikTok measured it on upload
    refused: str | None  # why TikTok refused it, or why it is the likely one a review reason means


def images(
    repository: ListingRepository,
    product_id: int,
    listing,
    connection_id: str | None,
    limit: int,
    store: ChannelConnection | None = None,
) -> tuple[list[ImageView], str | None]:
    """The images TikTok gets, in order, with TikTok's refusal on the one it named; and TikTok's review
    reason about images when it did not say which one. An image the store serves only with its credentials
    is shown through TokBridge (`image_src`): the browser never meets the store's login."""
    rows = repository.product_images(product_id)[:limit]
    sizes = []
    for row in rows:
        uploaded = (
            repository.uploaded_image(connection_id, hashlib.sha256(row.url.encode()).hexdigest(), "MAIN_IMAGE")
            if connection_id
            else None
        )
        sizes.append((uploaded.width, uploaded.height) if uploaded and uploaded.width else None)
    refusals: dict[int, str] = {}
    for problem in (listing.problems or []) if listing else []:
        place = _IMAGE_PLACE.fullmatch(problem.get("field") or "")
        if place:
            refusals[int(place.group(1))] = problem.get("message") or "TikTok refused this image."
    unplaced = None
    reason = _image_review_reason(listing)
    if reason:
        low, high = IMAGE_SIDES
        outside = [i for i, size in enumerate(sizes) if size and not all(low <= side <= high for side in size)]
        known = [(min(size), i) for i, size in enumerate(sizes) if size]
        if outside:
            for i in outside:
                refusals.setdefault(i, f"TikTok's review: {reason} (TikTok takes {low} to {high} px a side).")
        elif known and _QUALITY.search(reason):
            smallest = min(side for side, _i in known)
            for side, i in known:
                if side == smallest:
                    refusals.setdefault(i, f"TikTok's review: {reason}. This is the smallest image, the likely one.")
        else:
            unplaced = f"TikTok's review says: {reason}. TikTok did not say which image."
    views = [
        ImageView(
            url=image_src(store, connection_id, product_id, row),
            alt=row.alt_text or f"Image {i + 1}",
            size=f"{sizes[i][0]} × {sizes[i][1]} px" if sizes[i] else None,
            refused=refusals.get(i),
        )
        for i, row in enumerate(rows)
    ]
    return views, unplaced


def store_credentials_for(store: ChannelConnection | None, url: str) -> dict[str, str]:
    """The headers the store needs to hand over this image; {} where it is public."""
    return registry.plugin_of(store).image_headers(store, url) if store is not None else {}


def image_src(store: ChannelConnection | None, shop_id: str | None, product_id: int, image) -> str:
    """Where the browser loads a store image: the store's own URL when public, else TokBridge's copy."""
    if shop_id and store_credentials_for(store, image.url):
        return f"/products/{product_id}/images/{image.id}?{urlencode({'shop': shop_id})}"
    return image.url


def _image_review_reason(listing) -> str | None:
    for entry in (listing.review_reasons or []) if listing else []:
        reasons = "; ".join(entry.get("reasons") or [])
        if "image" in (entry.get("position") or "").lower() or "image" in reasons.lower():
            return reasons or "the images were refused"
    return None


def sku_rows(
    body: dict, category: CategoryInfo | None, spec: TemplateSpec, warehouse_names: dict[str, str]
) -> list[dict]:
    """Per SKU of the request body: its options as "Colour: Navy, Size: M" and its stock per warehouse name."""
    option_names = {m.attribute_id: m.option_name for m in spec.variants if m.attribute_id}
    rows = []
    for sku in body.get("skus") or []:
        options = []
        for attribute in sku.get("sales_attributes") or []:
            known = category.attribute(attribute.get("id")) if category else None
            name = attribute.get("name") or (known.name if known else None) or option_names.get(attribute.get("id"))
            value = attribute.get("value_name") or next(
                (v.name for v in (known.values if known else []) if v.id == attribute.get("value_id")), None
            )
            options.append(f"{name or 'Option'}: {value or 'not named'}")
        stock = [
            (_warehouse_name(inv.get("warehouse_id"), warehouse_names), inv.get("quantity"))
            for inv in sku.get("inventory") or []
        ]
        rows.append(
            {
                "seller_sku": sku.get("seller_sku"),
                "options": ", ".join(options),
                "price": sku.get("price") or {},
                "stock": stock,
            }
        )
    return rows


def _warehouse_name(warehouse_id: str | None, names: dict[str, str]) -> str:
    if not names:  # TikTok did not answer: the page says so above
        return "your TikTok warehouse"
    if not warehouse_id:
        return "the default warehouse"
    return names.get(warehouse_id) or "a warehouse TikTok no longer lists"


@dataclass
class ShopState:
    """The product in one TikTok shop: its own listing, status, TikTok id, prices and review reasons."""

    shop_id: str
    shop: str  # the shop's name and region
    status: str
    tiktok_product_id: str | None
    prices: list[str]  # as last sent, in the shop's currency: "21.99 GBP"
    currency: str
    review_reasons: list[dict]
    last_error: str | None


def in_every_shop(session: Session, product_id: int) -> list[ShopState]:
    """The product's state in each active shop of the merchant, in the switcher's order."""
    repository = ListingRepository(session)
    listings = repository.for_product_in_shops(product_id)
    states = []
    for shop in active_shops(session):
        listing = listings.get(shop.id)
        currency = Market(shop.region or "US").currency
        prices = []
        if listing is not None and listing.tiktok_product_id:
            amounts = sorted({row.pushed_price for row in repository.skus(listing.id) if row.pushed_price}, key=_amount)
            prices = [f"{amount} {currency}" for amount in amounts]
        name = shop.name or shop.external_id
        states.append(
            ShopState(
                shop_id=shop.id,
                shop=f"{name} ({shop.region})" if shop.region else name,
                status=listing.status if listing is not None else ListingStatus.NOT_UPLOADED,
                tiktok_product_id=listing.tiktok_product_id if listing is not None else None,
                prices=prices,
                currency=currency,
                review_reasons=list(listing.review_reasons or []) if listing is not None else [],
                last_error=listing.last_error if listing is not None else None,
            )
        )
    return states


def _amount(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0
