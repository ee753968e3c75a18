"""Which message we sent and which contact a reply answers: `In-Reply-To`, then `References`, then
the address. Any message of ours can be answered: a sequence step, an answer, a meeting email."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.replies.ingest import Inbound
from agent.store.tables import Contact, Enrollment, OutboxMessage


@dataclass(frozen=True)
class Match:
    contact_id: int | None
    campaign_id: int | None
    outbox_id: int | None  # what of ours it answers
    matched_by: str


def _by_message(session: Session, message_id: str) -> OutboxMessage | None:
    return session.scalar(select(OutboxMessage).where(OutboxMessage.message_id == message_id))


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
        ours = _by_message(session, message_id) if message_id else None
        if ours is not None and ours.contact_id is not None:
            campaign_id = ours.campaign_id or _campaign_of(session, ours.contact_id)
            return Match(ours.contact_id, campaign_id, ours.id, how)
    for how, address in (("bounced address", bounced_address), ("address", reply.from_address)):
        if not address:
            continue
        contact = session.scalar(select(Contact).where(Contact.email == address.lower()))
        if contact is not None:
            return Match(contact.id, _campaign_of(session, contact.id), None, how)
    return Match(None, None, None, "none")
