"""Which sent message and which contact a reply answers: `In-Reply-To`, then `References`, then the address."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.replies.ingest import Inbound
from agent.store.tables import Contact, Draft, Enrollment, Message


@dataclass(frozen=True)
class Match:
    contact_id: int | None
    campaign_id: int | None
    message_id: int | None  # our Message row
    matched_by: str


def _by_message(session: Session, message_id: str) -> Message | None:
    return session.scalar(select(Message).where(Message.message_id == message_id))


def _campaign_of(session: Session, contact_id: int) -> int | None:
    return session.scalar(
        select(Enrollment.campaign_id)
        .where(Enrollment.contact_id == contact_id)
        .order_by(Enrollment.created_at.desc(), Enrollment.id.desc())
    )


def match(session: Session, reply: Inbound, bounced_address: str | None = None) -> Match:
    """The contact and sent message this reply belongs to; `matched_by` says how sure that is."""
    candidates = [("in-reply-to", reply.in_reply_to)] + [("references", r) for r in reversed(reply.references)]
    for how, message_id in candidates:
        if message_id and (message := _by_message(session, message_id)) is not None:
            draft = session.get_one(Draft, message.draft_id)
            enrollment = session.get_one(Enrollment, draft.enrollment_id)
            return Match(enrollment.contact_id, enrollment.campaign_id, message.id, how)
    for how, address in (("bounced address", bounced_address), ("address", reply.from_address)):
        if not address:
            continue
        contact = session.scalar(select(Contact).where(Contact.email == address.lower()))
        if contact is not None:
            return Match(contact.id, _campaign_of(session, contact.id), None, how)
    return Match(None, None, None, "none")
