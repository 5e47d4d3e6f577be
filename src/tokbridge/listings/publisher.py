"""Sends one product to TikTok: map, validate, upload images, create, bind.

Used by the upload job; keeps per-run caches (category rules, warehouses) so a bulk upload asks
TikTok for them once, not once per product.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import httpx
from sqlalchemy import delete
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tokbridge.category_templates import repository as templates
from tokbridge.category_templates.bundle import ProductBundle
from tokbridge.category_templates.categories import CategoryInfo, fetch_category_info, version_problem
from tokbridge.category_templates.limits import MAX_MAIN_IMAGES, Market
from tokbridge.category_templates.mapper import content_hashes, map_product
from tokbridge.category_templates.models import CategoryTemplate
from tokbridge.category_templates.problems import Problem, blocking
from tokbridge.category_templates.validation import validate_product
from tokbridge.channels import registry
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.shops import ShopContext
from tokbridge.channels.tiktok.client import TikTokClient
from tokbridge.channels.tiktok.errors import TikTokError
from tokbridge.channels.tiktok.errors import ValidationError as TikTokValidationError
from tokbridge.channels.tiktok.models import ProductInput, ProductWriteResult
from tokbridge.db.base import utcnow
from tokbridge.db.engine import for_writing
from tokbridge.kit.errors import RetryableError
from tokbridge.kit.words import plural
from tokbridge.listings import currency
from tokbridge.listings.models import Listing, ListingSku, ListingStatus, UploadedImage
from tokbridge.listings.repository import ListingRepository

log = logging.getLogger(__name__)

LISTING_LIMIT_CODE = 12052093  # "Exceeded the product listing limit for the seller."
# Refusals whose cause and fix are known, in plain words (the field TikTok names goes to the log).
REFUSAL_MESSAGES = {
    12052996: "TikTok already has this product (listed before TokBridge knew of it, or before a reinstall). "
    "Choose Sync Shop Status on the dashboard to link it instead of uploading it again.",
}
# Shown instead of an unexpected error's own words (those go to the log).
INTERNAL_ERROR = (
    "TokBridge ran into an internal error with this product and did not finish sending it. "
    "Upload it again; if it happens again, contact support."
)

# TikTok asks integrators not to cache category data for long; ten minutes spans one bulk upload.
CATEGORY_CACHE_SECONDS = 600
_category_cache: dict[tuple[str, str, str], tuple[float, CategoryInfo]] = {}

_downloads = httpx.Client(timeout=httpx.Timeout(30.0, connect=5.0), follow_redirects=True)


class ImageUnavailable(Exception):
    """A store image could not be downloaded; the product cannot be sent until it is fixed."""


class ImageRefused(Exception):
    """TikTok refused one store image (`index` in the product's images, from 0), with TikTok's words."""

    def __init__(self, index: int, message: str):
        super().__init__(message)
        self.index, self.message = index, message


@dataclass
class Prepared:
    body: ProductInput | None
    problems: list[Problem]
    bundle: ProductBundle | None = None
    template: CategoryTemplate | None = None

    @property
    def fingerprint(self) -> str | None:
        return fingerprint(self.bundle, self.template) if self.bundle and self.template else None


def fingerprint(bundle: ProductBundle, template: CategoryTemplate) -> str:
    """What a product's TikTok body is made of: the store product and its template. Stock levels are left
    out: they move with every sale and never change TikTok's review."""
    product = asdict(bundle)
    for variant in product["variants"]:
        variant.pop("levels", None)
    data = {"product": product, "template_id": template.id, "template": template.spec().model_dump(mode="json")}
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class OnTikTok:
    """The product TikTok already has for a listing, and its SKU ids by store variant."""

    product_id: str
    sku_ids: dict[int, str]


@dataclass
class Publisher:
    """Sends products to one TikTok shop (`shop`: its templates, its currency, its warehouses)."""

    client: TikTokClient
    shop: ShopContext
    # Called between the network steps of a product: a bulk upload pauses there for urgent work.
    between_steps: Callable[[], None] = lambda: None
    _warehouse_ids: list[str] | None = None

    @property
    def connection(self) -> ChannelConnection:
        return self.shop.shop

    @property
    def merchant_id(self) -> int:
        return self.shop.merchant_id

    @property
    def market(self) -> Market:
        return Market(self.connection.region or "US")

    def category(self, template: CategoryTemplate) -> CategoryInfo:
        key = (self.connection.id, template.category_id, template.category_version)
        cached = _category_cache.get(key)
        if cached is None or time.monotonic() - cached[0] > CATEGORY_CACHE_SECONDS:
            # Shared by the job's later runs in this process: a rate-limit pause does not refetch them.
            cached = (
                time.monotonic(),
                fetch_category_info(self.client, template.category_id, category_version=template.category_version),
            )
            _category_cache[key] = cached
        return cached[1]

    def warehouse_ids(self) -> list[str]:
        if self._warehouse_ids is None:
            self._warehouse_ids = [w.id for w in self.client.get_warehouses()]
        return self._warehouse_ids

    def prepare(self, session: Session, product_id: int, image_uris: dict[str, str] | None = None) -> Prepared:
        """The body TikTok would get and every problem with it (no images uploaded when `image_uris` is None)."""
        template = _template_for(session, self.shop, product_id)
        if template is None:
            return Prepared(
                None,
                [
                    Problem(
                        "no_template",
                        "category_id",
                        "The product is not linked to a category template.",
                        "Link it to a template, or create a template whose rules match it.",
                    )
                ],
            )
        bundles = templates.load_bundles(session, self.merchant_id, [product_id])
        if not bundles:
            return Prepared(
                None,
                [
                    Problem(
                        "product_missing",
                        "product",
                        "The product is no longer in the catalog.",
                        "Import the catalog again.",
                    )
                ],
            )
        bundle = bundles[0]
        choice = template.spec().category
        if (problem := version_problem(choice, self.connection.region)) is not None:
            return Prepared(None, [problem])
        try:
            category = self.category(template)
        except TikTokValidationError as refused:  # the template's category, not this product: say so, go on
            return Prepared(
                None,
                [
                    Problem(
                        "category_refused",
                        "category_id",
                        f"TikTok refused the template's category {choice.label} ({choice.id}): {refused.message}",
                        "Edit the template and choose its category again (its category check on the template page "
                        "tells whether TikTok retired it).",
                    )
                ],
            )
        prices = currency.conversion(session, self.shop)
        market = Market(self.market.region, price_rate=prices.price_rate)
        body = map_product(bundle, template.spec(), market, image_uris=image_uris, category=category)
        problems = validate_product(body, market, category=category, warehouse_ids=self.warehouse_ids())
        if prices.missing:  # the prices would be the store's, relabelled: nothing priced may go
            problems = [currency.missing_rate_problem(prices), *problems]
        return Prepared(body, problems, bundle, template)

    def image_headers(self, url: str) -> dict[str, str]:
        """What the store needs to hand over one of its images (its credentials, where they are not public)."""
        store = self.shop.store
        return registry.plugin_of(store).image_headers(store, url) if store is not None else {}

    def upload_images(self, sessions: Callable[[], Session], bundle: ProductBundle) -> dict[str, str]:
        """Store image URL -> TikTok URI, uploading only what this shop has not received before.
        Each upload is recorded in its own short transaction: none is held open across the network."""
        uris: dict[str, str] = {}
        for index, image in enumerate(sorted(bundle.images, key=lambda i: i.position)[:MAX_MAIN_IMAGES]):
            digest = hashlib.sha256(image.url.encode()).hexdigest()
            with sessions() as session:
                known = ListingRepository(session).uploaded_image(self.connection.id, digest, "MAIN_IMAGE")
                uri = known.uri if known else None
            if uri is None:
                self.between_steps()
                content, content_type = download_image(image.url, self.image_headers(image.url))
                self.between_steps()
                try:
                    uploaded = self.client.upload_product_image(
                        content,
                        filename=image.url.rsplit("/", 1)[-1][:100] or "image",
                        content_type=content_type,
                        use_case="MAIN_IMAGE",
                    )
                except TikTokValidationError as refused:
                    raise ImageRefused(index, refused.message) from refused
                with sessions() as session, session.begin():
                    for_writing(session)
                    session.add(
                        UploadedImage(
                            merchant_id=self.merchant_id,
                            connection_id=self.connection.id,
                            source_url_hash=digest,
                            use_case="MAIN_IMAGE",
                            uri=uploaded.uri,
                            url=uploaded.url,
                            width=uploaded.width,
                            height=uploaded.height,
                        )
                    )
                uri = uploaded.uri
            uris[image.url] = uri
        return uris

    def publish(
        self, sessions: Callable[[], Session], listing_id: int, record: Callable[[Session], None] = lambda session: None
    ) -> None:
        """Send one listing and record the outcome on it, together with `record(session)` (the job's
        checkpoint) in one short transaction. Reads, network calls and writes never share a transaction.
        Retryable errors propagate: the job reschedules and this listing is still In progress.
        A listing TikTok has already (one that failed, say) is edited: same product, back to review."""
        with sessions() as session:
            listing = ListingRepository(session).get(listing_id)
            if listing is None or listing.status != ListingStatus.IN_PROGRESS:
                outcome = None
            else:
                product_id, key = listing.product_id, listing.idempotency_key
                existing = _on_tiktok(session, listing)
                try:
                    outcome = self._attempt(sessions, session, product_id, key, existing)
                except (RetryableError, TikTokError, OperationalError):
                    raise  # the job decides: wait, resume, or stop
                except Exception:  # noqa: BLE001 - one broken product must not stop the others
                    log.exception("listing %s could not be prepared", listing_id)
                    outcome = lambda session, row: _failed(row, INTERNAL_ERROR)  # noqa: E731
        try:
            self._record(sessions, listing_id, outcome, record)
        except OperationalError:
            raise  # a busy or unreachable database: the job retries and the product is still In progress
        except Exception:  # noqa: BLE001 - e.g. TikTok's answer conflicts with a binding: fail this product only
            log.exception("the outcome of listing %s could not be recorded", listing_id)
            self._record(sessions, listing_id, lambda session, row: _failed(row, INTERNAL_ERROR), record)

    @staticmethod
    def _record(sessions, listing_id: int, outcome, record: Callable[[Session], None]) -> None:
        with sessions() as session, session.begin():
            for_writing(session)
            listing = ListingRepository(session).get(listing_id)
            if outcome is not None and listing is not None:
                outcome(session, listing)
                if listing.status != ListingStatus.IN_PROGRESS:
                    # The attempt has its answer: a later upload is a new attempt with a key of its own.
                    listing.idempotency_key = None
            record(session)

    def _attempt(self, sessions, read_session: Session, product_id: int, key: str | None, existing: OnTikTok | None):
        """Does the network part; returns how to record the outcome on the listing."""
        prepared = self.prepare(read_session, product_id)
        read_session.rollback()  # end the read before any network call
        if blocking(prepared.problems) or prepared.bundle is None:  # no bundle comes without a blocking problem
            return lambda session, listing: _not_sendable(listing, prepared.problems)
        try:
            uris = self.upload_images(sessions, prepared.bundle)
        except ImageUnavailable as missing:
            message = str(missing)
            return lambda session, listing: _failed(listing, message)
        except ImageRefused as refused:
            refusal = refused  # the except block unbinds `refused`; the recorder runs later
            return lambda session, listing: _image_refused(listing, refusal)
        with sessions() as session:
            prepared = self.prepare(session, product_id, image_uris=uris)
        if blocking(prepared.problems) or prepared.body is None or prepared.bundle is None:
            return lambda session, listing: _not_sendable(listing, prepared.problems)
        prepared_body, bundle, warnings = prepared.body, prepared.bundle, prepared.problems
        sent = prepared.fingerprint
        self.between_steps()
        try:
            if existing is None:
                body = prepared_body.model_copy(update={"idempotency_key": key})
                result = self.client.create_product(body)
            else:
                # Edit Product takes no idempotency key: it replaces the whole product, so sending the
                # same edit again after a crash leaves the same product, never a second one.
                body = with_sku_ids(prepared_body, bundle, existing.sku_ids)
                result = self.client.edit_product(existing.product_id, body)
        except TikTokValidationError as refused:
            if refused.code == LISTING_LIMIT_CODE:
                raise  # the shop's limit, not the product's fault: the job plans the rest for tomorrow
            log.info(
                "TikTok refused product %s (field %s, code %s): %s",
                product_id,
                refused.field,
                refused.code,
                refused.message,
            )
            known = REFUSAL_MESSAGES.get(refused.code) if refused.code is not None else None
            message = known or f"TikTok refused the product: {refused.message.strip()}"
            return lambda session, listing: _failed(listing, message, fingerprint=sent)
        return lambda session, listing: bind(
            session, listing, result, bundle, prepared_body, warnings=warnings, fingerprint=sent
        )


def _on_tiktok(session: Session, listing: Listing) -> OnTikTok | None:
    """The TikTok product to edit, or None to create one (never sent, or deleted on TikTok)."""
    if listing.tiktok_product_id is None or listing.tiktok_status == "DELETED":
        return None
    sku_ids = {row.variant_id: row.tiktok_sku_id for row in ListingRepository(session).skus(listing.id)}
    return OnTikTok(listing.tiktok_product_id, sku_ids)


def with_sku_ids(body: ProductInput, bundle: ProductBundle, sku_ids: dict[int, str]) -> ProductInput:
    """The body for Edit Product: SKUs TikTok has carry their ids (kept), new ones none (TikTok creates
    them), and TikTok removes its SKUs left out."""
    variant_ids = {v.external_id: v.id for v in bundle.variants}
    skus = []
    for sku in body.skus:
        variant_id = variant_ids.get(sku.external_sku_id or "")
        skus.append(sku.model_copy(update={"id": sku_ids.get(variant_id) if variant_id is not None else None}))
    return body.model_copy(update={"skus": skus})


def bind(
    session: Session,
    listing: Listing,
    result: ProductWriteResult,
    bundle: ProductBundle,
    body: ProductInput,
    warnings: Sequence[Problem] = (),
    fingerprint: str | None = None,
) -> None:
    """Record TikTok's ids right after the create or edit call, in the caller's transaction."""
    now = utcnow()
    listing.tiktok_product_id = result.product_id
    listing.status = ListingStatus.REVIEWING
    listing.tiktok_status = "PENDING"
    listing.audit_status = (result.audit or {}).get("status") or "AUDITING"
    listing.problems = [p.as_dict() for p in warnings]  # only warnings can remain after validation
    listing.review_reasons = []
    listing.last_error = None
    listing.uploaded_at = now
    listing.pushed_content_hash = content_hashes(body).information
    listing.sent_fingerprint = fingerprint
    bind_skus(session, listing, result, bundle, body)


def bind_skus(
    session: Session,
    listing: Listing,
    result: ProductWriteResult,
    bundle: ProductBundle,
    body: ProductInput,
    *,
    sent_price: bool = True,
    sent_inventory: bool = True,
) -> None:
    """Make the listing's SKU bindings what TikTok answered: kept SKUs updated, new ones added, the ones
    TikTok no longer has removed. What was last pushed stays as it was for a field not sent."""
    variants_by_external = {v.external_id: v for v in bundle.variants}
    sent_by_external = {s.external_sku_id: s for s in body.skus}
    rows = {row.variant_id: row for row in ListingRepository(session).skus(listing.id)}
    answered: set[int] = set()
    for sku in result.skus:
        variant = variants_by_external.get(sku.external_sku_id or "") or next(
            (v for v in bundle.variants if v.sku and v.sku == sku.seller_sku), None
        )
        if variant is None:
            continue
        answered.add(variant.id)
        sent = sent_by_external.get(variant.external_id)
        row = rows.get(variant.id)
        if row is None:
            row = ListingSku(merchant_id=listing.merchant_id, listing_id=listing.id, variant_id=variant.id)
            session.add(row)
        row.tiktok_sku_id, row.seller_sku = sku.id, sku.seller_sku
        if sent_price or row.pushed_price is None:
            row.pushed_price = sent.price.amount if sent and sent.price else None
        if sent_inventory or row.pushed_quantity is None:
            row.pushed_quantity = sum(w.quantity for w in sent.inventory) if sent and sent.inventory else None
    gone = [variant_id for variant_id in rows if variant_id not in answered]
    if gone:
        session.execute(delete(ListingSku).where(ListingSku.listing_id == listing.id, ListingSku.variant_id.in_(gone)))


def unbind(session: Session, listing: Listing) -> None:
    """TikTok confirmed the product is deleted: forget its ids, so the next upload creates it afresh."""
    listing.tiktok_product_id = None
    listing.status = ListingStatus.NOT_UPLOADED
    listing.tiktok_status = "DELETED"
    listing.audit_status = None
    listing.review_reasons = []
    listing.last_error = None
    listing.pushed_content_hash = None
    listing.sent_fingerprint = None
    session.execute(delete(ListingSku).where(ListingSku.listing_id == listing.id))


def _failed(listing: Listing, message: str, fingerprint: str | None = None) -> None:
    """`fingerprint` when TikTok itself refused what was sent (Bulk Upload does not send it unchanged again)."""
    listing.status = ListingStatus.FAILED
    listing.last_error = message
    listing.sent_fingerprint = fingerprint


def _image_refused(listing: Listing, refused: ImageRefused) -> None:
    """Failed, with the refused image kept as a problem at its place, so the product page can point at it."""
    fix = "Replace this image in your store, then upload again."
    _failed(listing, f"TikTok refused image {refused.index + 1} of the product: {refused.message} {fix}")
    listing.problems = [
        Problem(
            "image_refused", f"main_images[{refused.index}]", f"TikTok refused this image: {refused.message}", fix
        ).as_dict()
    ]


def _not_sendable(listing: Listing, problems: list[Problem]) -> None:
    listing.status = ListingStatus.NOT_UPLOADED
    listing.problems = [p.as_dict() for p in problems]
    listing.last_error = f"{plural(len(blocking(problems)), 'problem')} to fix before TikTok will accept this product."


def unchanged_since_refused(session: Session, shop: ShopContext, listings: list[Listing]) -> list[Listing]:
    """The shop's failed listings whose store product and template are still what TikTok refused."""
    merchant_id = shop.merchant_id
    refused = [
        listing
        for listing in listings
        if listing.status == ListingStatus.FAILED and listing.sent_fingerprint is not None
    ]
    if not refused:
        return []
    bundles = {b.id: b for b in templates.load_bundles(session, merchant_id, [l.product_id for l in refused])}
    assigned = templates.assignment_map(session, shop, [l.product_id for l in refused])
    found: dict[int, CategoryTemplate | None] = {}
    unchanged = []
    for listing in refused:
        template_id = assigned.get(listing.product_id, (None,))[0]
        if template_id is not None and template_id not in found:
            found[template_id] = templates.get_template(session, shop, template_id)
        template = found.get(template_id) if template_id is not None else None
        bundle = bundles.get(listing.product_id)
        if template is not None and bundle is not None and fingerprint(bundle, template) == listing.sent_fingerprint:
            unchanged.append(listing)
    return unchanged


def _template_for(session: Session, shop: ShopContext, product_id: int) -> CategoryTemplate | None:
    """The template the product is linked to in this shop (templates and links are per shop)."""
    assigned = templates.assignment_map(session, shop, [product_id]).get(product_id)
    if assigned is None:
        return None
    return templates.get_template(session, shop, assigned[0])


def download_image(url: str, headers: dict[str, str] | None = None) -> tuple[bytes, str]:
    """One of the store's images and its content type (`headers`: the store's credentials, where needed)."""
    try:
        # Redirects to another host drop the authorization header (httpx does), so credentials stay home.
        response = _downloads.get(url, headers=headers or None)
    except httpx.TimeoutException as exc:
        raise RetryableError(f"the store's image server timed out on {url}") from exc
    except httpx.TransportError as exc:
        raise RetryableError(f"the store's image server could not be reached: {exc}") from exc
    if response.status_code >= 500 or response.status_code == 429:
        raise RetryableError(f"the store's image server answered {response.status_code} for {url}")
    if response.status_code != 200:
        raise ImageUnavailable(
            f"The image {url} could not be downloaded from your store "
            f"(HTTP {response.status_code}). Replace it in your store and upload again."
        )
    return response.content, response.headers.get("content-type", "image/jpeg").split(";")[0]
