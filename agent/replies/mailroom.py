"""Mail a provider's webhook handed over: kept whole first (`accept`, in the webhook's own
transaction), read and acted on after (`claim_next`, `handle_claimed`), once, by whichever worker claims it.

A worker that stops mid-way leaves its claim; the claim is released when that worker is gone
(`agent.claims`), and another worker takes the message up. Handling a message twice is harmless
anyway (a reply with the same Message-ID is recorded once), but the claim keeps the work single.
"""

from __future__ import annotations

import logging
from email import message_from_bytes, policy

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from agent.claims import claimant, claimant_gone
from agent.clock import utcnow
from agent.replies.classify import ReplyReader
from agent.replies.handling import Handled, handle_message
from agent.replies.tables import ReceivedMail
from agent.workspace import Workspace

log = logging.getLogger(__name__)


def accept(session: Session, raw: bytes, source: str) -> int:
    """Keep a received message (in the caller's transaction); returns its id."""
    mail = ReceivedMail(raw=raw, source=source)
    session.add(mail)
    session.flush()
    return mail.id


def release_stale(ws: Workspace) -> int:
    """Claims of workers that have stopped go back to the queue; returns how many."""
    now, released = utcnow(), 0
    with ws.store.transaction() as session:
        for mail in session.scalars(select(ReceivedMail).where(ReceivedMail.state == "handling")):
            if claimant_gone(mail.claimed_by, mail.claimed_at, now):
                mail.state, mail.claimed_by = "received", None
                released += 1
    return released


def claim_next(ws: Workspace) -> int | None:
    """The oldest waiting message, claimed for this worker (past the ones others hold, on PostgreSQL)."""
    with ws.store.transaction() as session:
        waiting = ReceivedMail.state == "received"
        pick = select(ReceivedMail.id).where(waiting).order_by(ReceivedMail.id).limit(1)
        if session.get_bind().dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        return session.execute(
            update(ReceivedMail)
            .where(ReceivedMail.id == pick.scalar_subquery(), waiting)
            .values(state="handling", claimed_by=claimant(), claimed_at=utcnow())
            .returning(ReceivedMail.id)
            .execution_options(synchronize_session=False)
        ).scalar()


def handle_claimed(ws: Workspace, mail_id: int, reader: ReplyReader | None = None) -> Handled | None:
    """Read and act on a claimed message; a message that cannot be handled is kept, with why, for a person."""
    with ws.store.transaction() as session:
        mail = session.get_one(ReceivedMail, mail_id)
        raw, source = mail.raw, mail.source
    try:
        handled = handle_message(ws, message_from_bytes(raw, policy=policy.default), source=source, reader=reader)
    except Exception as exc:  # nothing accepted is lost: it stays, failed, with the reason
        log.exception("received mail %s could not be handled", mail_id)
        with ws.store.transaction() as session:
            mail = session.get_one(ReceivedMail, mail_id)
            mail.state, mail.error = "failed", f"{type(exc).__name__}: {exc}"
        return None
    with ws.store.transaction() as session:
        mail = session.get_one(ReceivedMail, mail_id)
        mail.state, mail.reply_id, mail.handled_at = "handled", handled.reply_id, utcnow()
    return handled


def waiting(ws: Workspace) -> tuple[int, float | None]:
    """How many messages wait, and for how long the oldest has (seconds)."""
    with ws.store.transaction() as session:
        count, oldest = session.execute(
            select(func.count(), func.min(ReceivedMail.received_at)).where(
                ReceivedMail.state.in_(["received", "handling"])
            )
        ).one()
    return count, (utcnow() - oldest).total_seconds() if oldest else None
