"""Webhook endpoints. CSRF-exempt (see csrf.py): each request is authenticated by its HMAC, checked
on the raw body before anything else. The answer comes as soon as the event is recorded."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from tokbridge.inbox import service
from tokbridge.web.deps import DbDep

router = APIRouter(prefix="/webhooks", include_in_schema=False)


def _intake(receive: Callable[..., service.Intake], db: Session, body: bytes, headers) -> service.Intake:
    result = receive(db, body, headers)
    db.commit()
    return result


@router.post("/shopify")
async def shopify(request: Request, db: DbDep) -> JSONResponse:
    result = await run_in_threadpool(_intake, service.receive_shopify, db, await request.body(), request.headers)
    return JSONResponse({"detail": result.detail}, status_code=result.status)


@router.post("/tiktok")
async def tiktok(request: Request, db: DbDep) -> JSONResponse:
    result = await run_in_threadpool(_intake, service.receive_tiktok, db, await request.body(), request.headers)
    return JSONResponse({"detail": result.detail}, status_code=result.status)
