"""JSON API for the audit trail and undo: the entries (filtered as on the audit page), an undo's preview
and the undo itself (its TikTok part runs as a job)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from tokbridge.audit import words
from tokbridge.audit.models import AuditEntry
from tokbridge.audit.repository import AuditFilter, AuditRepository
from tokbridge.undo import service as undo
from tokbridge.web.api.schemas import Problem
from tokbridge.web.deps import ViewerDep
from tokbridge.web.params import RowId, Text

router = APIRouter(prefix="/api/v1", tags=["audit"], responses={401: {"model": Problem}})


class ActorOut(BaseModel):
    type: Literal["user", "job", "system"]
    name: str = Field(description="The person's email, or the job's title")
    user_id: int | None = Field(description="The person who acted, or on whose behalf the job worked")
    job_id: int | None
    triggered_by: str | None = Field(description="What started the job, in words")


class AuditOut(BaseModel):
    id: int
    created_at: datetime
    actor: ActorOut
    kind: str
    kind_label: str
    summary: str
    product_id: int | None
    connection_id: str | None
    before: dict | None
    after: dict | None
    before_text: str
    after_text: str
    change_set_id: int | None = Field(description="The head entry of the bulk change this entry belongs to")
    undo_of: int | None
    undone_by: int | None


def entry_out(entry: AuditEntry) -> AuditOut:
    return AuditOut(
        id=entry.id,
        created_at=entry.created_at,
        kind=entry.kind,
        kind_label=words.kind_label(entry.kind),
        actor=ActorOut(
            type=entry.actor_type,
            name=entry.actor_name,
            user_id=entry.user_id,
            job_id=entry.job_id,
            triggered_by=entry.triggered_by,
        ),
        summary=entry.summary,
        product_id=entry.product_id,
        connection_id=entry.connection_id,
        before=entry.before,
        after=entry.after,
        before_text=words.values(entry, "before"),
        after_text=words.values(entry, "after"),
        change_set_id=entry.change_set_id,
        undo_of=entry.undo_of,
        undone_by=entry.undone_by,
    )


@router.get("/audit", response_model=list[AuditOut])
def list_audit(
    viewer: ViewerDep,
    product: RowId | None = None,
    user: Annotated[Text | None, Query(description="Part of an email or a job's title")] = None,
    kind: Annotated[
        Text | None,
        Query(
            max_length=60,
            description="A kind, or its family: template, listing, bulk, settings, plan, connection, undo",
        ),
    ] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    change_set: RowId | None = None,
    before: RowId | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
):
    """Newest first, paged by id (`before`: the last id of the previous page). `change_set`: one bulk
    change's entries, its head first."""
    repository = AuditRepository(viewer.db)
    if change_set is not None:
        head = repository.get(change_set)
        return [entry_out(e) for e in ([head] if head else []) + repository.items(change_set, limit=limit)]
    where = AuditFilter(product_id=product, user=user, kind=kind, since=_aware(since), until=_aware(until))
    return [entry_out(e) for e in repository.page(where, limit=limit, before_id=before)]


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


@router.get("/audit/{entry_id}", response_model=AuditOut, responses={404: {"model": Problem}})
def get_audit(entry_id: RowId, viewer: ViewerDep):
    entry = AuditRepository(viewer.db).get(entry_id)
    if entry is None:
        raise HTTPException(404, "No such change.")
    return entry_out(entry)


class PreviewItemOut(BaseModel):
    key: str = Field(description="What a decision names")
    product_id: int | None
    title: str
    goes_back: str
    conflict: str | None = Field(description="What changed since, in words; None when nothing did")
    can_overwrite: bool


class PreviewOut(BaseModel):
    change_set_id: int
    summary: str
    possible: bool
    refused: str | None
    cannot: list[str] = Field(description="What will not go back, and what to do instead")
    items: list[PreviewItemOut]


class UndoRequest(BaseModel):
    decisions: dict[Annotated[str, Field(max_length=60)], Literal["skip", "overwrite"]] = Field(
        default_factory=dict, description="Per conflict (its key): skip it (the default) or overwrite it"
    )


class UndoAccepted(BaseModel):
    undo_entry_id: int = Field(description="The undo's own audit entry: it can be undone in turn")
    job_id: int | None = Field(description="The job putting values back on TikTok; None when none is needed")


def _head(viewer, entry_id: int) -> AuditEntry:
    head = undo.head_of(viewer.db, entry_id)
    if head is None:
        raise HTTPException(404, "No such change.")
    return head


@router.post(
    "/audit/{entry_id}/undo/preview",
    response_model=PreviewOut,
    responses={404: {"model": Problem}, 409: {"model": Problem}},
)
def preview_undo(entry_id: RowId, viewer: ViewerDep):
    head = _head(viewer, entry_id)
    try:
        shown = undo.preview(viewer.db, head)
    except undo.UndoRefused as refused:
        raise HTTPException(409, str(refused)) from None
    return PreviewOut(
        change_set_id=head.id,
        summary=head.summary,
        possible=shown.possible,
        refused=shown.refused,
        cannot=shown.cannot,
        items=[
            PreviewItemOut(
                key=i.key,
                product_id=i.product_id,
                title=i.title,
                goes_back=i.goes_back,
                conflict=i.conflict,
                can_overwrite=i.can_overwrite,
            )
            for i in shown.items
        ],
    )


@router.post(
    "/audit/{entry_id}/undo",
    response_model=UndoAccepted,
    status_code=202,
    responses={404: {"model": Problem}, 409: {"model": Problem}},
)
def apply_undo(entry_id: RowId, body: UndoRequest, viewer: ViewerDep):
    _head(viewer, entry_id)
    try:
        record, job = undo.request_undo(viewer.db, entry_id, body.decisions)
    except undo.UndoRefused as refused:
        viewer.db.rollback()
        raise HTTPException(409, str(refused)) from None
    viewer.db.commit()
    return UndoAccepted(undo_entry_id=record.id, job_id=job.id if job else None)
