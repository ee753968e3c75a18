"""Booking, moving and cancelling meetings on an AE's real calendar, and telling both sides.

The order of a booking, so that a crash or a rival writer never books twice:
1. claim: a `booking` row in the store; a contact has at most one meeting booking or booked
   (a unique index), so a second reply handled at the same moment stops here;
2. write the event on the AE's calendar, which re-checks the slot at the moment of writing
   under the backend's concurrency control; a slot taken since makes the row `failed` and the
   prospect is offered new times;
3. mark it booked and queue the invitations, in one transaction.
A `booking` row a crash left behind is settled against the calendar (`recover_bookings`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agent import clock, outbox
from agent.campaign import CampaignSpec, stored_spec
from agent.campaign.meetings import AccountExecutive, MeetingsSpec
from agent.clock import as_utc, utcnow
from agent.errors import ConfigError, NotFound
from agent.meetings import letters
from agent.meetings.availability import Rules, free_slots, why_not
from agent.meetings.decide import Decision
from agent.meetings.invitations import invitation
from agent.meetings.routing import Route
from agent.meetings.tables import ACTIVE, Meeting, MeetingOffer, MeetingStatus
from agent.states import Audience, Origin
from agent.store.db import record_event
from agent.store.tables import Contact, Enrollment, LeadStage, OutboxMessage
from agent.workspace import Workspace
from tools.calendar import Busy, Calendar, CalendarConfig, CalendarError, CalendarEvent, SlotTaken, open_calendar

STALE_CLAIM = timedelta(minutes=5)
# How far ahead the AE's busy blocks are read for a decision (recurring events expanded). A time
# named further out is still safe: every write re-checks its own day on the calendar.
BUSY_AHEAD = timedelta(days=62)
OFFER_MARGIN = timedelta(hours=4)


class EventView(BaseModel):
    meeting_id: int
    uid: str
    start: datetime
    end: datetime
    ae_name: str
    ae_email: str
    timezone: str
    sequence: int
    status: str

    @property
    def when(self) -> str:
        """In the AE's own time, as the handoff and the AE's notes say it."""
        return f"{self.start.astimezone(ZoneInfo(self.timezone)):%a %d %b %Y %H:%M} {self.timezone} with {self.ae_name}"


class MessageView(BaseModel):
    id: int
    to: str
    subject: str
    body: str
    state: str


class MeetingOutcome(BaseModel):
    """What handling a meeting request did."""

    kind: Literal["booked", "offered", "clarify", "rescheduled", "cancelled"]
    event: EventView | None = None
    slots: list[datetime] = []
    message: MessageView | None = None
    reason: str = ""
    made_by: str = "rules"
    ae_email: str | None = None  # whose times were offered (a booking's AE is its event's)


@dataclass
class Lead:
    """What booking needs about a contact, read once and detached from the session."""

    contact_id: int
    email: str
    first_name: str
    name: str
    title: str | None
    account_id: int
    account_name: str
    timezone: str
    campaign_id: int
    spec: CampaignSpec
    meetings: MeetingsSpec
    priority: float

    def people(self, ae: AccountExecutive) -> letters.People:
        sender = self.spec.sender
        return letters.People(
            self.first_name, self.name, self.title, self.account_name, self.timezone,
            sender.name, sender.title, sender.company, ae,
        )  # fmt: skip

    @property
    def approved_by(self) -> str | None:
        """The campaign's policy that lets a letter to the prospect go without a person, if any."""
        review = self.spec.review
        threshold = review.auto_approve_min_priority
        if review.policy == "auto_above_score" and threshold is not None and self.priority >= threshold:
            return "policy:auto_above_score"
        return None


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def load_lead(session: Session, contact_id: int) -> Lead:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(f"no contact {contact_id}")
    enrollments = session.scalars(
        select(Enrollment).where(Enrollment.contact_id == contact_id).order_by(Enrollment.id.desc())
    ).all()
    for enrollment in enrollments:
        spec = stored_spec(enrollment.campaign.spec, enrollment.campaign.spec_hash)
        if spec.meetings is not None:
            return Lead(
                contact.id, contact.email, contact.first_name or contact.full_name, contact.full_name, contact.title,
                contact.account_id, contact.account.name, contact.timezone or spec.sending.default_timezone,
                enrollment.campaign_id, spec, spec.meetings, enrollment.priority,
            )  # fmt: skip
    names = ", ".join(e.campaign.name for e in enrollments) or "none"
    raise ConfigError(f"contact {contact_id}: no campaign of theirs ({names}) has a meetings: section")


def calendar_for(ws: Workspace, ae: AccountExecutive) -> Calendar:
    import os

    ref = ae.calendar
    if ref.ics is not None:
        config = CalendarConfig("ics", path=ws.settings.workspace / ref.ics, options={"tz": ae.timezone})
    else:
        config = CalendarConfig(
            "caldav",
            url=ref.caldav_url,
            username=os.environ.get(ref.username_env) if ref.username_env else None,
            password=os.environ.get(ref.password_env) if ref.password_env else None,
            options={"tz": ae.timezone},
        )
    return open_calendar(config, now=clock.now)


def _event_view(row: Meeting) -> EventView:
    return EventView(
        meeting_id=row.id, uid=row.uid, start=row.starts_at.replace(tzinfo=UTC), end=row.ends_at.replace(tzinfo=UTC),
        ae_name=row.ae_name, ae_email=row.ae_email, timezone=row.ae_timezone, sequence=row.sequence, status=row.status,
    )  # fmt: skip


def _message_view(row: OutboxMessage | None) -> MessageView | None:
    if row is None:
        return None
    return MessageView(id=row.id, to=row.to_address, subject=row.subject or "", body=row.body, state=row.state)


def queue_letter(
    session: Session,
    lead: Lead,
    *,
    kind: str,
    to: tuple[str, str],
    subject: str,
    body: str,
    audience: Audience = Audience.prospect,
    meeting_id: int | None = None,
    ics: str | None = None,
    attachments: tuple[dict[str, str], ...] = (),
    approved_by: str | None = None,
) -> OutboxMessage:
    """Put an email about a meeting in the outbox (the one send path delivers it)."""
    sender = (
        outbox.thread_sender(session, lead.spec, lead.contact_id)
        if audience == Audience.prospect
        else (
            lead.spec.sender.name,
            lead.spec.sender.email,
        )
    )
    return outbox.queue(
        session,
        outbox.Envelope(sender, to, audience),
        outbox.Origins(
            Origin.meeting_letter, kind, campaign_id=lead.campaign_id, contact_id=lead.contact_id, meeting_id=meeting_id
        ),
        outbox.Content(subject, body, ics=ics, attachments=attachments, made_by="meetings"),
        approved_by=approved_by,
        priority=lead.priority,
    )


class Booker:
    """One meeting request's context: the lead, their AE and calendar, and the clock."""

    def __init__(self, ws: Workspace, lead: Lead, ae: AccountExecutive, route: Route | None, now: datetime) -> None:
        self.ws, self.lead, self.ae, self.route, self.now = ws, lead, ae, route, now
        self.rules = Rules.of(ae)
        self.calendar = calendar_for(ws, ae)
        self._busy: list[Busy] | None = None

    def busy(self) -> list[Busy]:
        """The AE's busy blocks ahead: read once per request, and again after any write."""
        if self._busy is None:
            self._busy = self.calendar.busy(self.now - timedelta(days=1), self.now + BUSY_AHEAD)
        return self._busy

    # ---- the calendar event and its invitations -----------------------------------------------

    def _event(self, uid: str, start: datetime, sequence: int, description: str) -> CalendarEvent:
        spec, lead = self.lead.spec, self.lead
        summary = lead.meetings.title.format(company=spec.sender.company, account=lead.account_name, prospect=lead.name)
        organizer = spec.sender.email if lead.meetings.organizer == "sdr" else self.ae.email
        return CalendarEvent(
            uid=uid, start=start, end=start + self.rules.meeting, summary=summary, organizer=organizer,
            attendees=(lead.email, self.ae.email), description=description, tz=self.ae.timezone, sequence=sequence,
        )  # fmt: skip

    def _invitations(
        self, session: Session, row: Meeting, what: str, method: Literal["REQUEST", "CANCEL"]
    ) -> OutboxMessage:
        """Queue the prospect's and the AE's emails about this meeting (what was still unsent about
        it is cancelled: the meeting changed); returns the prospect's."""
        earlier = session.scalars(select(OutboxMessage).where(OutboxMessage.meeting_id == row.id))
        changed = {"confirm": "booked", "update": "moved", "cancel": "cancelled"}[what]
        outbox.cancel(session, earlier, f"superseded: the meeting was {changed}")
        spec, lead, people = self.lead.spec, self.lead, self.lead.people(self.ae)
        start = row.starts_at.replace(tzinfo=UTC)
        organizer = (spec.sender.name, spec.sender.email)
        if lead.meetings.organizer == "ae":
            organizer = (self.ae.name, self.ae.email)
        attendees = [(lead.name, lead.email), (self.ae.name, self.ae.email)]
        public = f"{spec.sender.company} and {lead.account_name}: an introductory call with {self.ae.name}."
        event = self._event(row.uid, start, row.sequence, public)
        prospect_ics = invitation(event, method, organizer=organizer, attendees=attendees, description=public)
        ae_ics = invitation(
            event, method, organizer=organizer, attendees=attendees,
            description=f"{public}\n\nHandoff note:\n{row.handoff_note}" if row.handoff_note else public,
        )  # fmt: skip
        subject, body = {"confirm": letters.confirm, "update": letters.moved, "cancel": letters.cancelled}[what](
            people, start
        )
        to_prospect = queue_letter(
            session, lead, kind=what, to=(lead.name, lead.email), subject=subject, body=body, meeting_id=row.id,
            ics=prospect_ics, approved_by=lead.approved_by,
        )  # fmt: skip
        routing = str(row.routing.get("reason", "the meeting's AE"))
        ae_subject, ae_body = letters.for_ae(people, start, what, routing, row.handoff_note)
        note = ({"filename": "handoff-note.txt", "text": row.handoff_note},) if row.handoff_note else ()
        queue_letter(
            session, lead, kind=what, to=(self.ae.name, self.ae.email), subject=ae_subject, body=ae_body,
            audience=Audience.ae, meeting_id=row.id, ics=ae_ics, attachments=note,
            approved_by="policy:to_the_ae",
        )  # fmt: skip
        return to_prospect

    # ---- acts ------------------------------------------------------------------------------------

    def book(self, start: datetime, handoff_note: str | None, made_by: str) -> MeetingOutcome:
        lead, uid = self.lead, f"{uuid.uuid4()}@sdr-agent"
        try:
            with self.ws.store.transaction() as session:
                row = Meeting(
                    contact_id=lead.contact_id, campaign_id=lead.campaign_id, uid=uid, ae_name=self.ae.name,
                    ae_email=self.ae.email, ae_timezone=self.ae.timezone, prospect_timezone=lead.timezone,
                    calendar=self.calendar.name, starts_at=as_utc(start), ends_at=as_utc(start + self.rules.meeting),
                    status=MeetingStatus.booking, routing=self.route.as_record() if self.route else {},
                    handoff_note=handoff_note, made_by=made_by,
                )  # fmt: skip
                session.add(row)
                session.flush()
                meeting_id = row.id
        except IntegrityError:  # this contact's meeting is being booked or is booked already
            return self.already_booked()
        self._busy = None  # whatever happens, the calendar is read afresh after a write
        try:
            self.calendar.create(
                self._event(uid, start, 0, self._ae_description(handoff_note)),
                self.rules.window_for(start),
                lambda busy: why_not(start, self.rules, busy, self.now),
            )
        except SlotTaken as exc:
            self._settle(meeting_id, MeetingStatus.failed, str(exc))
            return self.offer(f"{self.ae.name}'s calendar changed a moment ago ({exc}). ", exclude=start)
        except CalendarError:
            self._settle(meeting_id, MeetingStatus.failed, "calendar error")
            raise
        with self.ws.store.transaction() as session:
            row = session.get_one(Meeting, meeting_id)
            row.status = MeetingStatus.booked
            contact = session.get_one(Contact, lead.contact_id)
            contact.stage = LeadStage.meeting_booked
            self._close_offers(session)
            record_event(
                session, "meeting_booked", campaign_id=lead.campaign_id, account_id=lead.account_id,
                contact_id=lead.contact_id,
                data={"meeting": row.id, "start": start.isoformat(), "ae": self.ae.email, "routing": row.routing,
                      "made_by": made_by},
            )  # fmt: skip
            message = self._invitations(session, row, "confirm", "REQUEST")
            return MeetingOutcome(
                kind="booked", event=_event_view(row), reason="booked", made_by=made_by, message=_message_view(message)
            )

    def reschedule(self, meeting_id: int, start: datetime, made_by: str) -> MeetingOutcome:
        with self.ws.store.transaction() as session:
            uid = session.get_one(Meeting, meeting_id).uid
        self._busy = None
        try:
            event = self.calendar.move(
                uid, start, start + self.rules.meeting, self.rules.window_for(start),
                lambda busy: why_not(start, self.rules, busy, self.now),
            )  # fmt: skip
        except SlotTaken as exc:
            return self.offer(f"That time was just taken ({exc}); your current meeting stays as it is. ", exclude=start)
        with self.ws.store.transaction() as session:
            row = session.get_one(Meeting, meeting_id)
            before = row.starts_at
            row.starts_at, row.ends_at, row.sequence = as_utc(event.start), as_utc(event.end), event.sequence
            session.get_one(Contact, self.lead.contact_id)
            self._close_offers(session)
            record_event(
                session, "meeting_rescheduled", campaign_id=self.lead.campaign_id, contact_id=self.lead.contact_id,
                data={"meeting": row.id, "from": before.isoformat(), "to": row.starts_at.isoformat(),
                      "made_by": made_by},
            )  # fmt: skip
            message = self._invitations(session, row, "update", "REQUEST")
            return MeetingOutcome(
                kind="rescheduled", event=_event_view(row), reason="moved", made_by=made_by,
                message=_message_view(message),
            )  # fmt: skip

    def cancel(self, meeting_id: int, reason: str, made_by: str = "rules") -> MeetingOutcome:
        with self.ws.store.transaction() as session:
            uid = session.get_one(Meeting, meeting_id).uid
        self._busy = None
        try:
            event = self.calendar.cancel(uid)
            sequence = event.sequence
        except CalendarError:
            if self.calendar.get(uid) is not None:
                raise
            sequence = None  # already gone from the calendar (the AE deleted it): still tell both sides
        with self.ws.store.transaction() as session:
            row = session.get_one(Meeting, meeting_id)
            row.status, row.sequence = MeetingStatus.cancelled, sequence if sequence is not None else row.sequence + 1
            contact = session.get_one(Contact, self.lead.contact_id)
            if contact.stage == LeadStage.meeting_booked:  # not handed off yet: still a qualified lead
                contact.stage = LeadStage.qualified
            record_event(
                session, "meeting_cancelled", campaign_id=self.lead.campaign_id, contact_id=self.lead.contact_id,
                data={"meeting": row.id, "reason": reason, "made_by": made_by},
            )  # fmt: skip
            message = self._invitations(session, row, "cancel", "CANCEL")
            return MeetingOutcome(
                kind="cancelled", event=_event_view(row), reason=reason, made_by=made_by, message=_message_view(message)
            )

    def offer(self, lead_in: str = "", *, exclude: datetime | None = None, not_before: datetime | None = None,
              kind: Literal["offered", "clarify"] = "offered", reason: str = "", choices: list[datetime] | None = None,
              ) -> MeetingOutcome:  # fmt: skip
        busy = self.busy()
        # Offered slots keep a margin beyond the notice, so that they are still bookable when the answer comes.
        earliest = self.now + self.rules.notice + OFFER_MARGIN
        not_before = max(not_before, earliest) if not_before else earliest
        slots = [
            s
            for s in free_slots(
                self.rules,
                busy,
                self.now,
                count=self.lead.meetings.offer_slots + (1 if exclude else 0),
                horizon_days=self.lead.meetings.horizon_days,
                prospect_tz=self.lead.timezone,
                not_before=not_before,
            )
            if s != exclude
        ][: self.lead.meetings.offer_slots]
        people = self.lead.people(self.ae)
        if choices and len(choices) > 1:
            subject, body = letters.clarify(people, choices, slots, reason)
            slots = list(choices)
        elif kind == "clarify":
            subject, body = letters.clarify(people, [], slots, reason)
        else:
            subject, body = letters.offer(people, slots, lead_in)
        with self.ws.store.transaction(durable=False) as session:
            self._close_offers(session)
            session.add(MeetingOffer(contact_id=self.lead.contact_id, ae_email=self.ae.email,
                                     slots=[s.isoformat() for s in slots]))  # fmt: skip
            message = queue_letter(
                session, self.lead, kind=kind if kind == "clarify" else "offer", to=(self.lead.name, self.lead.email),
                subject=subject, body=body, approved_by=self.lead.approved_by,
            )  # fmt: skip
            record_event(
                session, "meeting_times_offered", campaign_id=self.lead.campaign_id, contact_id=self.lead.contact_id,
                data={"slots": [s.isoformat() for s in slots], "ae": self.ae.email, "kind": kind, "reason": reason},
            )  # fmt: skip
            return MeetingOutcome(kind=kind, slots=slots, reason=reason or lead_in.strip(),
                                  message=_message_view(message), ae_email=self.ae.email)  # fmt: skip

    def already_booked(self) -> MeetingOutcome:
        with self.ws.store.transaction() as session:
            row = session.scalar(
                select(Meeting).where(Meeting.contact_id == self.lead.contact_id, Meeting.status.in_(ACTIVE))
            )
            view = _event_view(row) if row else None
        return MeetingOutcome(kind="booked", event=view, reason="already booked: not booked twice")

    # ---- helpers -----------------------------------------------------------------------------

    def _ae_description(self, note: str | None) -> str:
        base = f"Intro call with {self.lead.name} ({self.lead.title or 'no title'}) at {self.lead.account_name}."
        return f"{base}\n\nHandoff note:\n{note}" if note else base

    def _settle(self, meeting_id: int, status: MeetingStatus, why: str) -> None:
        with self.ws.store.transaction() as session:
            row = session.get_one(Meeting, meeting_id)
            row.status = status
            record_event(session, "meeting_booking_failed", contact_id=row.contact_id, data={"why": why})

    def _close_offers(self, session: Session) -> None:
        for offer in session.scalars(
            select(MeetingOffer).where(
                MeetingOffer.contact_id == self.lead.contact_id, MeetingOffer.closed_at.is_(None)
            )
        ):
            offer.closed_at = utcnow()


def recover_bookings(ws: Workspace, now: datetime | None = None) -> int:
    """Settle `booking` claims a crash left behind: on the calendar (booked) or not (failed)."""
    cutoff = as_utc(now or clock.now()) - STALE_CLAIM
    with ws.store.transaction() as session:
        stale = [
            (row.id, row.contact_id)
            for row in session.scalars(
                select(Meeting).where(Meeting.status == MeetingStatus.booking, Meeting.created_at < cutoff)
            )
        ]
    for meeting_id, contact_id in stale:
        with ws.store.transaction() as session:
            lead = load_lead(session, contact_id)
            row = session.get_one(Meeting, meeting_id)
            ae = lead.meetings.executive(row.ae_email)
        if ae is None:
            continue
        booker = Booker(ws, lead, ae, None, now or clock.now())
        on_calendar = booker.calendar.get(row.uid) is not None
        with ws.store.transaction() as session:
            row = session.get_one(Meeting, meeting_id)
            row.status = MeetingStatus.booked if on_calendar else MeetingStatus.failed
            record_event(session, "meeting_claim_recovered", contact_id=contact_id, data={"booked": on_calendar})
            if on_calendar:
                booker._invitations(session, row, "confirm", "REQUEST")
    return len(stale)


def active_meeting(session: Session, contact_id: int) -> Meeting | None:
    return session.scalar(
        select(Meeting).where(Meeting.contact_id == contact_id, Meeting.status == MeetingStatus.booked)
    )


__all__ = ["Booker", "Decision", "MeetingOutcome", "recover_bookings"]
