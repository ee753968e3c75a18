"""Meeting emails: queued under the campaign's review policy, sent at most once, never to a suppressed address.

A separate path from the sequence sender (which sends the campaign's steps): these messages
answer a prospect who asked for a meeting, or invite the AE. The protocol is the sender's:
claim in a transaction that re-checks suppression, deliver, mark sent; a claim left by a crash
is settled by asking the transport whether the message went out, never by sending it again on
a guess.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.clock import utcnow
from agent.errors import DeliveryError, NotFound, TransportUnavailable, UserError
from agent.meetings.invitations import email_with_invitation
from agent.meetings.tables import MeetingMessage, MessageState
from agent.store.db import record_event
from agent.store.tables import Contact
from agent.suppression import is_suppressed
from agent.workspace import Workspace
from tools.mail import Outgoing


@dataclass(frozen=True)
class Letter:
    """What to write, before it is a row."""

    kind: str  # offer, clarify, confirm, update, cancel, no_show
    audience: str  # prospect or ae
    to: tuple[str, str]  # (name, address)
    subject: str
    body: str
    ics: str | None = None
    attachments: tuple[dict[str, Any], ...] = ()


def queue(
    session: Session,
    letter: Letter,
    *,
    contact: Contact,
    sender: tuple[str, str],
    campaign_id: int | None,
    meeting_id: int | None,
    auto_approve: bool,
) -> MeetingMessage:
    """Store a message: blocked if suppressed, else approved (`auto_approve`: the AE's, or the
    policy allows) or awaiting review."""
    if is_suppressed(session, letter.to[1]):
        state = MessageState.blocked
    elif auto_approve:
        state = MessageState.approved
    else:
        state = MessageState.pending_review
    domain = sender[1].rsplit("@", 1)[-1]
    row = MeetingMessage(
        contact_id=contact.id,
        meeting_id=meeting_id,
        campaign_id=campaign_id,
        kind=letter.kind,
        audience=letter.audience,
        from_name=sender[0],
        from_address=sender[1],
        to_name=letter.to[0],
        to_address=letter.to[1],
        subject=letter.subject,
        body=letter.body,
        ics=letter.ics,
        attachments=list(letter.attachments),
        state=state,
        message_id=f"<sdr.meeting.{letter.kind}.{secrets.token_hex(8)}@{domain}>",
        reviewer="policy" if state == MessageState.approved and letter.audience == "prospect" else None,
    )
    session.add(row)
    session.flush()
    record_event(
        session,
        "meeting_message_queued",
        campaign_id=campaign_id,
        contact_id=contact.id,
        data={"message": row.id, "kind": letter.kind, "audience": letter.audience, "state": state.value},
    )
    return row


def _claim(ws: Workspace, message_id: int) -> Outgoing | None:
    with ws.store.transaction() as session:
        row = session.get_one(MeetingMessage, message_id)
        if row.state != MessageState.approved:
            return None
        if is_suppressed(session, row.to_address):  # suppressed since it was queued
            row.state = MessageState.blocked
            record_event(session, "meeting_message_blocked", contact_id=row.contact_id, data={"message": row.id})
            return None
        row.state, row.transport = MessageState.sending, ws.transports["email"].name
        email = email_with_invitation(
            message_id=row.message_id,
            sender=(row.from_name, row.from_address),
            to=(row.to_name, row.to_address),
            subject=row.subject,
            body=row.body,
            ics=row.ics,
            attachments=row.attachments,
            now=utcnow(),
        )
        return Outgoing(row.message_id, "email", row.from_address, row.to_address, row.subject, row.body, email)


def _settle(ws: Workspace, message_id: int, error: DeliveryError | None) -> None:
    with ws.store.transaction() as session:
        row = session.get_one(MeetingMessage, message_id)
        if error is None:
            row.state, row.sent_at = MessageState.sent, utcnow()
            record_event(
                session,
                "meeting_message_sent",
                campaign_id=row.campaign_id,
                contact_id=row.contact_id,
                data={"message": row.id, "kind": row.kind, "audience": row.audience, "message_id": row.message_id},
            )
        elif isinstance(error, TransportUnavailable):  # nothing handed over: it waits, approved
            row.state = MessageState.approved
            record_event(session, "meeting_message_deferred", contact_id=row.contact_id, data={"error": str(error)})
        else:
            row.state, row.error = MessageState.uncertain, str(error)
            record_event(session, "meeting_message_failed", contact_id=row.contact_id, data={"error": str(error)})


def recover(ws: Workspace) -> None:
    """Claims a crash left behind: delivered (sent), certainly not (approved again), or unknown (uncertain)."""
    with ws.store.transaction() as session:
        for row in session.scalars(select(MeetingMessage).where(MeetingMessage.state == MessageState.sending)):
            delivered = ws.transports["email"].confirm(row.message_id)
            if delivered is True:
                row.state, row.sent_at = MessageState.sent, row.sent_at or utcnow()
            elif delivered is False:
                row.state = MessageState.approved
            else:
                row.state = MessageState.uncertain


def deliver(ws: Workspace, ids: list[int] | None = None) -> list[int]:
    """Send the approved messages (or these of them); returns the ids sent."""
    recover(ws)
    with ws.store.transaction() as session:
        query = select(MeetingMessage.id).where(MeetingMessage.state == MessageState.approved)
        if ids is not None:
            query = query.where(MeetingMessage.id.in_(ids))
        due = list(session.scalars(query.order_by(MeetingMessage.id)))
    sent = []
    for message_id in due:
        outgoing = _claim(ws, message_id)
        if outgoing is None:
            continue
        try:
            ws.transports["email"].deliver(outgoing)
        except TransportUnavailable as exc:
            _settle(ws, message_id, exc)
            break  # the rest would meet the same closed door; the next round sends them
        except DeliveryError as exc:
            _settle(ws, message_id, exc)
            continue
        _settle(ws, message_id, None)
        sent.append(message_id)
    return sent


def review(ws: Workspace, message_ids: list[int], *, approve: bool, reviewer: str, reason: str | None = None) -> None:
    """Approve or reject messages awaiting review; refuses (changing nothing) if any is not awaiting it."""
    if not approve and not (reason or "").strip():
        raise UserError("a rejection needs a reason")
    with ws.store.transaction() as session:
        rows = []
        for message_id in message_ids:
            row = session.get(MeetingMessage, message_id)
            if row is None:
                raise NotFound(f"no meeting message {message_id}")
            if row.state != MessageState.pending_review:
                raise UserError(f"meeting message {message_id} is {row.state}, not pending_review: nothing changed")
            rows.append(row)
        for row in rows:
            row.state = MessageState.approved if approve else MessageState.rejected
            row.reviewer = reviewer
            record_event(
                session,
                "meeting_message_approved" if approve else "meeting_message_rejected",
                contact_id=row.contact_id,
                data={"message": row.id, "reviewer": reviewer, "reason": reason},
            )
