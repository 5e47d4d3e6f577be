"""Background work for accounts."""

from tokbridge.db.base import utcnow
from tokbridge.jobs.registry import job_handler, periodic
from tokbridge.jobs.runner import JobContext
from tokbridge.tenancy.repository import AccountRepository


@job_handler("sessions.prune", title="Remove expired sign-in sessions", visible=False)
def prune_sessions(ctx: JobContext) -> None:
    with ctx.session() as session, session.begin():
        removed = AccountRepository(session).delete_expired_sessions(utcnow())
    ctx.progress(removed, removed)


periodic("sessions.prune", every_seconds=3600)
