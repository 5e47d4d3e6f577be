"""Recording changes. The actor travels with the database session: a request binds the signed-in user
(`web/deps.py`), a job binds itself and what triggered it (`jobs.runner.JobContext`); `record` reads it,
so a change point only says what changed."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.orm import Session

from tokbridge.audit.models import ActorType, AuditEntry
from tokbridge.tenancy.scoping import bound_merchant

_ACTOR = "tokbridge.audit_actor"
SUMMARY_LENGTH = 255


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a person, or a job (with the person and the change that started it, if any)."""

    type: str
    name: str
    user_id: int | None = None
    job_id: int | None = None
    triggered_by: str | None = None

    @classmethod
    def user(cls, user_id: int, email: str) -> Actor:
        return cls(ActorType.USER, email, user_id=user_id)

    @classmethod
    def job(cls, job_id: int, title: str, trigger: dict | None = None) -> Actor:
        trigger = trigger or {}
        return cls(
            ActorType.JOB, title, user_id=trigger.get("user_id"), job_id=job_id, triggered_by=trigger.get("what")
        )

    def trigger(self, what: str | None = None) -> dict:
        """What a job queued by this actor carries (`payload["triggered_by"]`), to say who started it: a
        person's `what` with their name; a job passes on what started it."""
        if self.type != ActorType.USER:
            return {"user_id": self.user_id, "what": self.triggered_by or f"Started by {self.name}"}
        return {
            "user_id": self.user_id,
            "what": (f"{what} by {self.name}" if what else f"Started by {self.name}")[:SUMMARY_LENGTH],
        }

    def as_dict(self) -> dict:
        return asdict(self)


SYSTEM = Actor(ActorType.SYSTEM, "TokBridge")


def act_as(session: Session, actor: Actor) -> Session:
    """From now on, changes recorded through this session are this actor's."""
    session.info[_ACTOR] = actor
    return session


def actor_of(session: Session) -> Actor:
    return session.info.get(_ACTOR) or SYSTEM


def record(
    session: Session,
    actor: Actor | None,
    kind: str,
    subject: tuple[str, Any],
    before: dict | None,
    after: dict | None,
    *,
    summary: str,
    change_set: AuditEntry | int | None = None,
    product_id: int | None = None,
    connection_id: str | None = None,
    merchant_id: int | None = None,
) -> AuditEntry:
    """Add one entry to the session's transaction (it commits or rolls back with the change).

    `actor` None: the session's (see `act_as`). `subject`: (what, its id), e.g. ("template", 12).
    `change_set`: the head entry (or its id) of the bulk change this is one item of."""
    actor = actor or actor_of(session)
    merchant_id = merchant_id or bound_merchant(session)
    if merchant_id is None:
        raise ValueError("an audit entry needs the merchant: bind the session to it first")
    subject_type, subject_id = subject
    entry = AuditEntry(
        merchant_id=merchant_id,
        connection_id=connection_id,
        actor_type=actor.type,
        user_id=actor.user_id,
        actor_name=actor.name[:320],
        job_id=actor.job_id,
        triggered_by=actor.triggered_by[:SUMMARY_LENGTH] if actor.triggered_by else None,
        kind=kind,
        subject_type=subject_type,
        subject_id=None if subject_id is None else str(subject_id),
        product_id=product_id,
        summary=summary[:SUMMARY_LENGTH],
        before=before,
        after=after,
        change_set_id=change_set.id if isinstance(change_set, AuditEntry) else change_set,
    )
    session.add(entry)
    session.flush()  # its id heads a change set, and goes into the jobs it queues
    return entry
