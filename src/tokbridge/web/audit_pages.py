"""The audit page: who changed what and when, filtered by product, person, kind and dates, exported as
CSV; and the undo of a change: its preview (with the conflicts to skip or overwrite), then the undo."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from tokbridge.audit import words
from tokbridge.audit.models import AuditEntry
from tokbridge.audit.repository import AuditFilter, AuditRepository
from tokbridge.db.base import utcnow
from tokbridge.undo import service as undo
from tokbridge.web.dashboard_view import shop_names
from tokbridge.web.deps import ViewerDep
from tokbridge.web.flash import read_flash, redirect_with_error, redirect_with_notice
from tokbridge.web.params import DayRange, int_or_none
from tokbridge.web.rendering import templates

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
CSV_COLUMNS = ["When (UTC)", "Who", "For", "Started by", "What", "Change", "Product", "Before", "After"]


def audit_filter(
    product: str | None, user: str | None, kind: str | None, since: str | None, until: str | None
) -> tuple[AuditFilter, dict, list[str]]:
    """The filter, the query to keep in links, and what was wrong with the dates (in words)."""
    days = DayRange.read(since, until)
    kind = kind if kind in dict(words.FAMILIES) else None
    user = (user or "").replace("\x00", "").strip()[:320] or None  # PostgreSQL refuses NUL in text
    where = AuditFilter(product_id=int_or_none(product), user=user, kind=kind, since=days.since, until=days.until)
    query = {k: v for k, v in {"product": where.product_id, "user": user, "kind": kind, **days.query()}.items() if v}
    return where, query, days.problems


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    viewer: ViewerDep,
    product: str | None = None,
    user: str | None = None,
    kind: str | None = None,
    since: str | None = None,
    until: str | None = None,
    before: str | None = None,
) -> Response:
    where, query, problems = audit_filter(product, user, kind, since, until)
    entries = AuditRepository(viewer.db).page(where, limit=PAGE_SIZE, before_id=int_or_none(before))
    return templates.TemplateResponse(
        request,
        "audit.html",
        {
            "viewer": viewer,
            "entries": entries,
            "filters": query,
            "families": words.FAMILIES,
            "words": words,
            "problems": problems,
            "today": utcnow().date().isoformat(),
            "shop_names": shop_names(viewer.db),
            "reversible": lambda entry: entry.change_set_id is not None or entry.kind not in undo.IRREVERSIBLE,
            "export": f"/audit.csv?{urlencode(query)}",
            "next_page": f"/audit?{urlencode({**query, 'before': entries[-1].id})}"
            if len(entries) == PAGE_SIZE
            else None,
            "first_page": f"/audit?{urlencode(query)}" if before else None,
            **read_flash(request),
        },
    )


@router.get("/audit.csv")
def audit_csv(
    viewer: ViewerDep,
    product: str | None = None,
    user: str | None = None,
    kind: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> Response:
    where, _query, _problems = audit_filter(product, user, kind, since, until)
    rows = AuditRepository(viewer.db).every(where)
    return StreamingResponse(
        _csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="tokbridge-audit.csv"'},
    )


def _csv(entries: Iterator[AuditEntry]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        writer.writerow(
            [
                entry.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                words.who(entry),
                entry.actor_name if entry.actor_type == "user" else "",
                entry.triggered_by or "",
                words.kind_label(entry.kind),
                _safe(entry.summary),
                entry.product_id or "",
                _safe(words.values(entry, "before")),
                _safe(words.values(entry, "after")),
            ]
        )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (product titles come from the store)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


@router.get("/audit/{entry_id}/undo", response_class=HTMLResponse)
def undo_page(request: Request, viewer: ViewerDep, entry_id: str) -> Response:
    head = undo.head_of(viewer.db, int_or_none(entry_id) or 0)
    if head is None:
        return redirect_with_error("/audit", "That change is not in your audit trail.")
    try:
        shown = undo.preview(viewer.db, head)
    except undo.UndoRefused as refused:
        return redirect_with_error("/audit", str(refused))
    return templates.TemplateResponse(
        request, "audit_undo.html", {"viewer": viewer, "preview": shown, "words": words, **read_flash(request)}
    )


@router.post("/audit/{entry_id}/undo")
async def undo_apply(request: Request, viewer: ViewerDep, entry_id: str) -> Response:
    form = await request.form()
    decisions = {
        key.removeprefix("decision:"): str(value) for key, value in form.items() if key.startswith("decision:")
    }
    try:
        _record, job = undo.request_undo(viewer.db, int_or_none(entry_id) or 0, decisions)
    except undo.UndoRefused as refused:
        viewer.db.rollback()
        return redirect_with_error("/audit", str(refused))
    viewer.db.commit()
    message = "Undone in TokBridge." if job is None else "Undo started: progress shows under Activity."
    return redirect_with_notice("/audit", message)
