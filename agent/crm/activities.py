"""What the agent writes back to a CRM, read from the store: every message sent to a prospect,
every reply (with its intent), every meeting booked and every handoff (with its checklist note),
less what the ledger says this CRM already holds, and nothing about a person who was forgotten."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from agent.crm.model import Activity, ActivityKind, Person
from agent.crm.tables import CrmLedgerEntry
from agent.erasure import PLACEHOLDER_DOMAIN
from agent.meetings.tables import Meeting, MeetingStatus
from agent.replies.tables import Handoff, Reply
from agent.states import Audience, OutboxState
from agent.store.tables import Account, Contact, OutboxMessage


def external_id(source: str, kind: ActivityKind, local_id: int) -> str:
    """The key the CRM upserts by: the same row always gives the same key."""
    return f"{source}-{kind}-{local_id}"


def _person(contact: Contact) -> Person:
    account: Account | None = contact.account
    return Person(
        contact_id=contact.id,
        email=contact.email,
        first_name=contact.first_name,
        last_name=contact.last_name,
        title=contact.title,
        company=account.name if account else None,
    )


def _unwritten(provider: str, kind: ActivityKind, row_id: InstrumentedAttribute[int]) -> ColumnElement[bool]:
    """No ledger entry with a remote id for this row: not in the CRM yet."""
    written = select(CrmLedgerEntry.id).where(
        and_(
            CrmLedgerEntry.provider == provider,
            CrmLedgerEntry.kind == str(kind),
            CrmLedgerEntry.local_id == row_id,
            CrmLedgerEntry.remote_id.is_not(None),
        )
    )
    return ~written.exists()


def pending(session: Session, provider: str, source: str) -> list[Activity]:
    """Everything this CRM does not hold yet, oldest first."""
    return sorted(_pending(session, provider, source), key=lambda a: (a.at, a.kind, a.local_id))


def _pending(session: Session, provider: str, source: str) -> Iterator[Activity]:
    known = ~Contact.email.endswith("@" + PLACEHOLDER_DOMAIN)  # a forgotten person's rows never go
    for message, contact in session.execute(
        select(OutboxMessage, Contact)
        .join(Contact, OutboxMessage.contact_id == Contact.id)
        .where(known, OutboxMessage.state == OutboxState.sent, OutboxMessage.audience == Audience.prospect)
        .where(OutboxMessage.sent_at.is_not(None))
        .where(_unwritten(provider, ActivityKind.email, OutboxMessage.id))
        .where(_unwritten(provider, ActivityKind.touch, OutboxMessage.id))
    ):
        kind = ActivityKind.email if message.channel == "email" else ActivityKind.touch
        what = message.subject or f"{message.channel} step {message.step_number or ''}".strip()
        assert message.sent_at is not None
        yield Activity(
            kind=kind,
            local_id=message.id,
            external_id=external_id(source, kind, message.id),
            person=_person(contact),
            at=message.sent_at,
            subject=what if kind == ActivityKind.email else f"{message.channel.title()}: {what}",
            body=message.body,
        )
    for reply, contact in session.execute(
        select(Reply, Contact)
        .join(Contact, Reply.contact_id == Contact.id)
        .where(known, _unwritten(provider, ActivityKind.reply, Reply.id))
    ):
        yield Activity(
            kind=ActivityKind.reply,
            local_id=reply.id,
            external_id=external_id(source, ActivityKind.reply, reply.id),
            person=_person(contact),
            at=reply.received_at,
            subject=f"Reply ({reply.intent.replace('_', ' ')}): {reply.subject or '(no subject)'}",
            body=f"Intent: {reply.intent} (read by {reply.decided_by}, confidence {reply.confidence:.2f})"
            f"\n\n{reply.text}",
            incoming=True,
        )
    for meeting, contact in session.execute(
        select(Meeting, Contact)
        .join(Contact, Meeting.contact_id == Contact.id)
        .where(known, Meeting.status == MeetingStatus.booked)
        .where(_unwritten(provider, ActivityKind.meeting, Meeting.id))
    ):
        yield Activity(
            kind=ActivityKind.meeting,
            local_id=meeting.id,
            external_id=external_id(source, ActivityKind.meeting, meeting.id),
            person=_person(contact),
            at=meeting.starts_at,
            ends_at=meeting.ends_at,
            subject=f"Meeting with {meeting.ae_name} (booked by the SDR agent)",
            body=meeting.handoff_note or f"Booked with {meeting.ae_name} <{meeting.ae_email}>.",
        )
    for handoff, contact in session.execute(
        select(Handoff, Contact)
        .join(Contact, Handoff.contact_id == Contact.id)
        .where(known, _unwritten(provider, ActivityKind.handoff, Handoff.id))
    ):
        yield Activity(
            kind=ActivityKind.handoff,
            local_id=handoff.id,
            external_id=external_id(source, ActivityKind.handoff, handoff.id),
            person=_person(contact),
            at=handoff.created_at,
            subject=f"Handoff to AE: {handoff.next_step}",
            body=handoff.note,
        )
