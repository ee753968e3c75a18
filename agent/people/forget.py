"""`sdr people forget ADDRESS`: erase a person's personal data everywhere the agent keeps it, and
remember only a keyed hash of their address, so that they are never imported or written to again.

What stays is what the funnel's figures need and says nothing about who it was: that a message
went out from a mailbox at a time (the mailbox's daily cap counts it), that a reply came in with
an intent, that a meeting was booked and a handoff closed. Their contact row stays as a blank
placeholder (other rows point at it), under an address that names no one.

Everything else goes: their contact details; the messages to them (addresses, subjects, bodies,
invitations) and every review of those; their replies; their inbound leads; colleagues'
referrals of them; handoff notes and meeting notes about them; scores of them; the data of events
about them; every other text in any table that names them (their address, full name, phone or
profile URL); and the past-call chunks in the vector store that name them. What the agent wrote
about them to a CRM is marked, and erased there by the next `sdr crm sync` (`agent.crm.erasure`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from agent.crm.erasure import request_erasure
from agent.enrollments import stop_sequences
from agent.erasure import REASON, erased_value, erasure_key, fingerprint_source, placeholder_address
from agent.inbound.tables import LeadRecord
from agent.meetings.tables import ACTIVE, Meeting
from agent.people.person import ERASED, Person, find_person, mentions, redact
from agent.people.transcripts import forget_chunks
from agent.replies.tables import Handoff, NurtureTouch, ReferredContact, Reply
from agent.states import UNSENT, Audience, OutboxState
from agent.store.db import record_event
from agent.store.tables import Contact, Event, OutboxMessage, Review, Score, Suppression
from agent.workspace import Workspace


@dataclass
class ForgetSummary:
    address_hash: str  # the do-not-contact entry that stands for them now
    contacts: int = 0
    changed: Counter[str] = field(default_factory=Counter)  # table -> rows changed or removed
    call_chunks: int = 0  # past-call chunks removed from the vector store
    meetings_on_calendars: int = 0  # booked meetings: the AE's calendar still has the event
    crm_entries: int = 0  # what the agent wrote to CRMs about them: erased there by the next `sdr crm sync`

    @property
    def found(self) -> bool:
        """Whether anything about them was held (beyond the do-not-contact entry now added)."""
        return bool(
            self.contacts
            or self.call_chunks
            or self.crm_entries
            or sum(self.changed.values()) > self.changed["suppressions"]
        )


def _suppress_by_hash(session: Session, person: Person, key: bytes, summary: ForgetSummary) -> None:
    """The address leaves the do-not-contact list and its keyed hash takes its place."""
    plain = session.scalar(select(Suppression).where(Suppression.value == person.address))
    hashed = session.scalar(select(Suppression).where(Suppression.value == summary.address_hash))
    if hashed is None and plain is not None:
        plain.value, plain.reason, plain.source = summary.address_hash, REASON, fingerprint_source(key)
    else:
        if plain is not None:
            session.delete(plain)
        if hashed is None:
            session.add(Suppression(value=summary.address_hash, reason=REASON, source=fingerprint_source(key)))
    summary.changed["suppressions"] += 1


def _erase_rows(session: Session, person: Person, summary: ForgetSummary) -> None:
    """Clear the personal fields of the rows that are theirs."""
    ids, address = person.contact_ids, person.address
    stop_sequences(session, ids, "erased on request")
    theirs = or_(OutboxMessage.contact_id.in_(ids), OutboxMessage.to_address == address)
    session.execute(
        update(OutboxMessage).where(theirs, OutboxMessage.state.in_([*UNSENT])).values(state=OutboxState.blocked)
    )
    for message in session.scalars(select(OutboxMessage).where(theirs)):
        if message.audience == Audience.prospect:
            message.to_name = ERASED
            message.to_address = placeholder_address(message.contact_id) if message.contact_id else ERASED
        message.subject, message.body, message.ics, message.error = ERASED, ERASED, None, None
        message.attachments, message.headers, message.claims, message.snippets, message.thread = [], {}, [], [], []
        summary.changed["outbox"] += 1
        for review in session.scalars(select(Review).where(Review.outbox_id == message.id)):
            review.before, review.after, review.reason = None, None, None
            summary.changed["reviews"] += 1
    for reply in session.scalars(select(Reply).where(or_(Reply.contact_id.in_(ids), Reply.from_address == address))):
        reply.from_address, reply.subject, reply.text, reply.source = ERASED, "", ERASED, None
        reply.analysis, reply.actions = {}, []
        summary.changed["replies"] += 1
    leads = or_(LeadRecord.contact_id.in_(ids), LeadRecord.email == address)
    for lead in session.scalars(select(LeadRecord).where(leads)):
        lead.email, lead.name, lead.company, lead.lead = ERASED, ERASED, None, {}
        lead.reasons, lead.flags, lead.disposition_reason, lead.error = [], [], None, None
        summary.changed["inbound_leads"] += 1
    referrals = or_(ReferredContact.contact_id.in_(ids), ReferredContact.email == address)
    for referral in session.scalars(select(ReferredContact).where(referrals)):
        referral.name, referral.email, referral.title = ERASED, None, None
        summary.changed["referred_contacts"] += 1
    for touch in session.scalars(select(NurtureTouch).where(NurtureTouch.contact_id.in_(ids))):
        touch.reason, touch.state = ERASED, "cancelled"
        summary.changed["nurture_touches"] += 1
    for handoff in session.scalars(select(Handoff).where(Handoff.contact_id.in_(ids))):
        handoff.next_step, handoff.note, handoff.checklist, handoff.reason = ERASED, ERASED, {}, None
        summary.changed["handoffs"] += 1
    for meeting in session.scalars(select(Meeting).where(Meeting.contact_id.in_(ids))):
        meeting.handoff_note, meeting.routing = None, {}
        summary.meetings_on_calendars += meeting.status in ACTIVE
        summary.changed["meetings"] += 1
    for event in session.scalars(select(Event).where(Event.contact_id.in_(ids))):
        event.data = {}
        summary.changed["events"] += 1
    scores = session.execute(delete(Score).where(Score.contact_id.in_(ids)))
    summary.changed["scores"] += scores.rowcount  # type: ignore[attr-defined]
    for contact in session.scalars(select(Contact).where(Contact.id.in_(ids))):
        contact.email = placeholder_address(contact.id)
        contact.first_name = contact.last_name = contact.title = contact.timezone = None
        contact.linkedin_url = contact.phone = None
        summary.contacts += 1


def _erase_mentions(session: Session, needles: list[str], summary: ForgetSummary) -> None:
    """Every other text that names them, in any table, with the names taken out."""
    for table, key, columns in list(mentions(session, needles)):
        changes: dict[str, Any] = {}
        for name, value in columns.items():
            if (cleaned := redact(value, needles)) != value:
                changes[name] = cleaned
        if changes:
            where = [table.c[column] == value for column, value in key.items()]
            session.execute(update(table).where(*where).values(**changes))
            summary.changed[table.name] += 1


def forget(ws: Workspace, address: str) -> ForgetSummary:
    """Erase the person at `address`; running it again finds nothing more to erase."""
    key = erasure_key(ws.settings, required=True)
    assert key is not None  # required: a missing key raised
    with ws.store.transaction() as session:
        person = find_person(session, address)
    summary = ForgetSummary(address_hash=erased_value(key, person.address))
    # The vector store first: it cannot roll back, and a failure there leaves the store as it was,
    # so the same command can be run again with everything that identifies them still known.
    summary.call_chunks = forget_chunks(ws.settings, person.needles)
    with ws.store.transaction() as session:
        _suppress_by_hash(session, person, key, summary)
        summary.crm_entries = request_erasure(session, person.contact_ids)
        _erase_rows(session, person, summary)
        session.flush()
        _erase_mentions(session, person.needles, summary)
        record_event(
            session,
            "erased",
            data={"contacts": summary.contacts, "rows": sum(summary.changed.values()), "chunks": summary.call_chunks},
        )
    return summary
