"""`/metrics` for Prometheus: what every process counted (kit/metrics.py) and what the database holds now,
read at each scrape across every merchant. Off unless METRICS_TOKEN or METRICS_ALLOW_FROM is set; the
scraper then shows that token (`Authorization: Bearer …`, compared in constant time) or comes from an
allowed address."""

from __future__ import annotations

import hmac
import ipaddress
from datetime import timedelta

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from tokbridge.config import Settings
from tokbridge.db.base import utcnow
from tokbridge.jobs.repository import JobRepository
from tokbridge.kit import metrics
from tokbridge.listings.models import ListingStatus
from tokbridge.listings.repository import ListingRepository
from tokbridge.orders.repository import OrderRepository
from tokbridge.web.deps import DbDep, SettingsDep

router = APIRouter(include_in_schema=False)
FINISHED_WINDOW = timedelta(hours=24)


@router.get("/metrics")
def scrape(request: Request, settings: SettingsDep, db: DbDep) -> Response:
    _check_scraper(request, settings)
    try:
        gauges = _from_database(db)
    finally:
        db.rollback()  # read only; hold nothing between scrapes
    return Response(metrics.exposition(settings.metrics_dir, gauges), media_type=metrics.CONTENT_TYPE)


def _check_scraper(request: Request, settings: Settings) -> None:
    networks = settings.metrics_networks
    if not settings.metrics_token and not networks:
        raise HTTPException(404, "Not Found")  # off: the address says nothing about a deployment
    if settings.metrics_token:
        given = request.headers.get("authorization", "").encode()
        if hmac.compare_digest(given, f"Bearer {settings.metrics_token}".encode()):
            return
    if networks and request.client is not None:
        try:
            address = ipaddress.ip_address(request.client.host)
        except ValueError:
            address = None
        if address is not None and any(address in network for network in networks):
            return
    if settings.metrics_token:
        raise HTTPException(
            401,
            "Send the metrics token: Authorization: Bearer <METRICS_TOKEN>.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    raise HTTPException(403, "Metrics are served only to the addresses in METRICS_ALLOW_FROM.")


def _from_database(db) -> list[metrics.Gauge]:
    now = utcnow()
    jobs = JobRepository(db)
    waiting = jobs.waiting_by_kind(now)
    oldest = min((since for _kind, _n, since in waiting), default=None)
    listings = ListingRepository(db).listings_by_status()
    return [
        metrics.Gauge(
            "tokbridge_jobs",
            "Jobs queued or running now, and jobs finished in the last 24 hours, by kind and state",
            ("kind", "state"),
            [((kind, state), n) for kind, state, n in jobs.counts_by_kind_and_state(now - FINISHED_WINDOW)],
        ),
        metrics.Gauge(
            "tokbridge_queue_depth",
            "Jobs due and waiting for a worker",
            ("kind",),
            [((kind,), n) for kind, n, _since in waiting],
        ),
        metrics.Gauge(
            "tokbridge_queue_oldest_waiting_seconds",
            "How long the job waiting longest for a worker has been due (0: none waits)",
            (),
            [((), max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)],
        ),
        metrics.Gauge(
            "tokbridge_orders_waiting_for_plan",
            "TikTok orders held until the plan has room for them",
            (),
            [((), OrderRepository(db).waiting_for_plan())],
        ),
        metrics.Gauge(
            "tokbridge_listings",
            "Listings in every TikTok shop by status (products not uploaded anywhere have none)",
            ("status",),
            [
                ((status.value,), listings.get(status.value, 0))
                for status in ListingStatus
                if status != ListingStatus.NOT_UPLOADED
            ],
        ),
    ]
