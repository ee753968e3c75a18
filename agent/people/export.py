"""`sdr people export ADDRESS`: everything the agent holds about a person, as one JSON document
(a subject access request, GDPR article 15; CCPA's right to know).

The same rows `forget` would erase: theirs by contact or address, every other row in any table
whose text names them, and the past-call chunks that name them; plus why they were contacted
(the campaign, the account) and whether they are on the do-not-contact list.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, or_, select
from sqlalchemy.orm import Session

from agent.inbound.tables import LeadRecord
from agent.meetings.tables import Meeting, MeetingOffer
from agent.people.person import Person, find_person, mentions
from agent.people.transcripts import chunks_naming
from agent.replies.tables import Handoff, NurtureTouch, ReferredContact, Reply
from agent.store.tables import Base, Contact, Enrollment, Event, OutboxMessage, Score, Suppression
from agent.suppression import is_suppressed
from agent.workspace import Workspace


def _as_dict(row: Base) -> dict[str, Any]:
    return {attribute.key: getattr(row, attribute.key) for attribute in inspect(row).mapper.column_attrs}


def _rows(session: Session, table: type[Base], *where: Any) -> list[dict[str, Any]]:
    return [_as_dict(row) for row in session.scalars(select(table).where(or_(*where)))]


def _held(session: Session, person: Person) -> dict[str, Any]:
    ids, address = person.contact_ids, person.address
    held: dict[str, Any] = {
        "contacts": [
            {**_as_dict(c), "account": {"domain": c.account.domain, "name": c.account.name}}
            for c in session.scalars(select(Contact).where(Contact.id.in_(ids)))
        ],
        "enrollments": [
            {**_as_dict(e), "campaign": e.campaign.name}
            for e in session.scalars(select(Enrollment).where(Enrollment.contact_id.in_(ids)))
        ],
        "messages": _rows(
            session, OutboxMessage, OutboxMessage.contact_id.in_(ids), OutboxMessage.to_address == address
        ),
        "replies": _rows(session, Reply, Reply.contact_id.in_(ids), Reply.from_address == address),
        "inbound_leads": _rows(session, LeadRecord, LeadRecord.contact_id.in_(ids), LeadRecord.email == address),
        "referrals": _rows(
            session, ReferredContact, ReferredContact.contact_id.in_(ids), ReferredContact.email == address
        ),
        "nurture_touches": _rows(session, NurtureTouch, NurtureTouch.contact_id.in_(ids)),
        "handoffs": _rows(session, Handoff, Handoff.contact_id.in_(ids)),
        "meetings": _rows(session, Meeting, Meeting.contact_id.in_(ids)),
        "meeting_offers": _rows(session, MeetingOffer, MeetingOffer.contact_id.in_(ids)),
        "scores": _rows(session, Score, Score.contact_id.in_(ids)),
        "events": _rows(session, Event, Event.contact_id.in_(ids)),
        "do_not_contact": {
            "suppressed": is_suppressed(session, address),
            "entries": _rows(session, Suppression, Suppression.value == address),
        },
    }
    listed = {(name, row["id"]) for name, rows in held.items() if isinstance(rows, list) for row in rows if "id" in row}
    tables = {"outbox": "messages", "referred_contacts": "referrals"}
    held["mentioned_in"] = [
        {"table": table.name, "key": key, "columns": columns}
        for table, key, columns in mentions(session, person.needles)
        if (tables.get(table.name, table.name), key.get("id")) not in listed
    ]
    return held


def export_person(ws: Workspace, address: str) -> dict[str, Any]:
    """Everything held about the person at `address`, ready for `json.dumps(..., default=str)`."""
    with ws.store.transaction() as session:
        person = find_person(session, address)
        held = _held(session, person)
    chunks = [chunk.__dict__ for chunk in chunks_naming(ws.settings, person.needles)]
    return {"address": person.address, **held, "call_chunks": chunks}
