"""The three ways a first answer is written; each one ends as a message in the outbox.

- meeting: `handle_meeting_request` routes the lead to an AE, finds real slots (or books the time
  they named) and queues its letter; the desk writes the words with the route's template;
- response: an answer to a question (`write` for a capable model, else the template), beside a
  reply row for the form, so that the conversation continues where replies live;
- letter: a holding answer or a polite decline.
Nothing goes out before the checks pass and the desk's policy allows it; then the answer (and an
AE's invitation for a meeting booked with it) goes out at once through the one send path, which
consults the suppression list at the moment of sending. Otherwise it waits in `sdr review`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from agent import outbox
from agent.campaign import CampaignSpec
from agent.campaign.inbound import TemplateName
from agent.campaign.meetings import AccountExecutive
from agent.clock import as_utc
from agent.drafting.checks import CheckResult, passed
from agent.inbound.tables import AnswerVia
from agent.inbound.writing import TemplateFailed, check, render
from agent.meetings.letters import when
from agent.meetings.requests import handle_meeting_request
from agent.meetings.tables import Meeting, MeetingOffer
from agent.replies import responses
from agent.replies.model import Flag
from agent.replies.tables import Reply
from agent.sending.sender import send_due
from agent.states import Audience, Origin, OutboxState
from agent.store.db import record_event
from agent.store.tables import Account, Contact, OutboxMessage
from agent.timex import read_times
from agent.workspace import Workspace

POLICY_REVIEWER = "policy:inbound"
GONE = (OutboxState.rejected, OutboxState.cancelled)


@dataclass
class Letterhead:
    """What every path needs to write and check one lead's answer."""

    ws: Workspace
    spec: CampaignSpec
    campaign_id: int
    lead_id: int
    account: Account  # detached, or transient for a lead without one
    contact: Contact
    variables: dict[str, Any]  # the template's variables
    terms: list[str]  # words the answer may use besides ours and the lead's
    auto: bool  # the policy lets this answer go without review
    now: Callable[[], datetime]
    since: datetime  # when the lead was recorded (naive UTC): anything written for it is newer
    send_now: bool = True  # else what is approved waits for the caller's next send

    @property
    def secret(self) -> str:
        return self.ws.unsubscribe_secret

    def check(self, subject: str, body: str, terms: Sequence[str] = ()) -> list[CheckResult]:
        return check(self.spec, self.account, self.contact, subject, body, self.secret, [*self.terms, *terms])


@dataclass
class Written:
    answer_id: int
    checks: list[CheckResult]
    slots: list[datetime] = field(default_factory=list)


def _earlier(head: Letterhead) -> OutboxMessage | None:
    """An answer an interrupted worker already wrote for this lead: never a second one."""
    with head.ws.store.transaction() as session:
        found = session.scalars(
            select(OutboxMessage)
            .where(
                or_(
                    OutboxMessage.lead_id == head.lead_id,
                    (OutboxMessage.contact_id == head.contact.id) & (OutboxMessage.created_at >= head.since),
                ),
                OutboxMessage.audience == Audience.prospect,
                OutboxMessage.origin.in_([Origin.meeting_letter, Origin.inbound_answer]),
                OutboxMessage.state.not_in([*GONE]),
            )
            .order_by(OutboxMessage.id.desc())
        ).first()
        if found is not None:
            session.expunge(found)
        return found


def _resume(head: Letterhead, earlier: OutboxMessage) -> Written:
    """Finish an answer an interrupted worker wrote. One it released stands as it is; one it died
    before releasing (never checked) is worded, checked and released now, as it would have been:
    else an answer the policy lets go at once would wait, unchecked, for a reviewer nobody asked."""
    if earlier.checks:
        return Written(earlier.id, [CheckResult.model_validate(c) for c in earlier.checks])
    if earlier.origin == Origin.meeting_letter:
        return _resume_letter(head, earlier)
    checks = head.check(earlier.subject or "", earlier.body)
    _release(head, earlier.id, checks)
    return Written(earlier.id, checks)


def _release(head: Letterhead, answer_id: int, checks: list[CheckResult], meeting_id: int | None = None) -> None:
    """Approve the answer when the desk's policy and its checks allow, and send it (with the AE's
    invitation of a meeting booked with it) at once, unless the caller sends next: the lead is waiting."""
    with head.ws.store.transaction(durable=False) as session:
        due = _approve(session, head, outbox.get(session, answer_id), checks, meeting_id)
    _send(head, due)


def _approve(
    session: Session, head: Letterhead, row: OutboxMessage, checks: list[CheckResult], meeting_id: int | None = None
) -> list[int]:
    """`_release`'s decision, in the caller's transaction: the answer's checks kept, and it approved
    or flagged; returns what is now due (the answer, and the AE's invitation of a meeting booked with it)."""
    row.lead_id, row.checks = head.lead_id, [c.model_dump() for c in checks]
    if row.state == OutboxState.pending_review and head.auto and passed(checks):
        outbox.decide(session, row, OutboxState.approved, "auto_approve", POLICY_REVIEWER)
    elif row.state == OutboxState.pending_review and not passed(checks):
        outbox.decide(session, row, OutboxState.flagged, "flag", POLICY_REVIEWER, "failed its checks")
    if meeting_id is None:  # the answer alone, as this transaction holds it
        return [row.id] if row.state == OutboxState.approved else []
    invitation = OutboxMessage.meeting_id == meeting_id, OutboxMessage.audience == Audience.ae
    ids = [row.id, *session.scalars(select(OutboxMessage.id).where(*invitation))]
    due = select(OutboxMessage.id).where(OutboxMessage.id.in_(ids), OutboxMessage.state == OutboxState.approved)
    return list(session.scalars(due).all())


def _send(head: Letterhead, due: list[int]) -> None:
    if due and head.send_now:
        send_due(head.ws, now=as_utc(head.now()), only=due)


# ---- meeting ----------------------------------------------------------------------------------


@dataclass
class Scene:
    """What a meeting letter is written from: the AE, the times offered or booked, the lead's zone."""

    ae: AccountExecutive
    tz: str
    slots: list[datetime]
    meeting: datetime | None = None  # the time booked
    named_time: dict[str, str] | None = None  # a time the lead named and was not given, and why

    def variables(self) -> dict[str, Any]:
        return {
            "ae": {"name": self.ae.name, "minutes": self.ae.meeting_minutes},
            "timezone": self.tz,
            "slots": [when(s, self.tz) for s in self.slots],
            "meeting": {"when": when(self.meeting, self.tz)} if self.meeting else None,
            "named_time": self.named_time,
        }

    def terms(self) -> list[str]:
        """What the letter may say besides ours and the lead's."""
        ae, minutes = self.ae.name, self.ae.meeting_minutes
        numbered = [f"{n}. {when(slot, self.tz)}" for n, slot in enumerate(self.slots, 1)]
        terms = [ae, f"{ae}'s", f"{minutes}-minute", f"{minutes} minutes", self.tz, *numbered]
        terms += [when(self.meeting, self.tz)] if self.meeting else []
        return terms + ([self.named_time["when"], self.named_time["why"]] if self.named_time else [])


def offer_meeting(head: Letterhead, lead_text: str, received_at: datetime, note: str) -> Written:
    spec = head.spec
    assert spec.meetings is not None
    if (earlier := _earlier(head)) is not None:
        return _resume(head, earlier)
    outcome = handle_meeting_request(
        head.ws, head.contact.id, lead_text, received_at, handoff_note=note, now=head.now()
    )
    if outcome.message is None:
        raise TemplateFailed(f"the meetings capability queued no message ({outcome.kind}: {outcome.reason})")
    ae_email = outcome.event.ae_email if outcome.event else outcome.ae_email
    tz = head.contact.timezone or spec.sending.default_timezone
    scene = Scene(_executive(head, ae_email), tz, list(outcome.slots), outcome.event.start if outcome.event else None)
    # The lead named a time and was offered others: say so, and why, rather than ignore it.
    named = read_times(lead_text, received_at, tz)
    if outcome.kind == "offered" and named.kind == "slot" and named.candidates:
        scene.named_time = {"when": when(named.candidates[0], tz), "why": outcome.reason}
    # An offer of the campaign's number of slots is written with the route's template, whether the
    # meetings capability offered them outright or after a vague time ("when I am back"); a question
    # between readings ("did you mean ...") or a move keeps the meetings capability's own words.
    full = outcome.kind == "offered" or (outcome.kind == "clarify" and len(scene.slots) == spec.meetings.offer_slots)
    name: TemplateName | None = "booked" if outcome.kind == "booked" else "meeting" if full else None
    return _write_letter(head, outcome.message.id, scene, name, outcome.event.meeting_id if outcome.event else None)


def _write_letter(
    head: Letterhead, letter_id: int, scene: Scene, name: TemplateName | None, meeting_id: int | None
) -> Written:
    """Word the meetings capability's letter with the route's template (once: a letter worded before
    keeps its words), check it and release it."""
    head.variables.update(scene.variables())
    with head.ws.store.transaction(durable=False) as session:  # worded, checked and released at once
        row = outbox.get(session, letter_id)
        if row.state == OutboxState.pending_review and name is not None and not row.made_by.startswith("template:"):
            subject, body = render(head.spec, name, head.variables)
            row.subject, row.body, row.made_by = subject[:255], body, f"template:{name}"
            record_event(session, "inbound_answer_written", contact_id=head.contact.id, outbox_id=row.id,
                         data={"lead": head.lead_id, "made_by": row.made_by})  # fmt: skip
        checks = head.check(row.subject or "", row.body, scene.terms())
        due = _approve(session, head, row, checks, meeting_id)
    _send(head, due)
    return Written(letter_id, checks, scene.slots)


def _resume_letter(head: Letterhead, letter: OutboxMessage) -> Written:
    """`offer_meeting`'s last steps for a letter an interrupted worker left, from what the store kept:
    the meeting it booked, or the slots last offered. (A time the lead named and was not given is
    not kept: a letter that mentions it fails its checks, and a person sends it.)"""
    assert head.spec.meetings is not None
    tz = head.contact.timezone or head.spec.sending.default_timezone
    with head.ws.store.transaction() as session:
        booked = session.get(Meeting, letter.meeting_id) if letter.meeting_id else None
        booking = (booked.ae_email, booked.starts_at.replace(tzinfo=UTC)) if booked else None
    name: TemplateName | None
    if booking is not None:
        scene, name = Scene(_executive(head, booking[0]), tz, [], booking[1]), "booked"
    else:
        offer = _last_offer(head)
        slots = [datetime.fromisoformat(s) for s in offer.slots] if offer else []
        scene = Scene(_executive(head, offer.ae_email if offer else None), tz, slots)
        name = "meeting" if len(slots) == head.spec.meetings.offer_slots else None
    return _write_letter(head, letter.id, scene, name, letter.meeting_id)


def _last_offer(head: Letterhead) -> MeetingOffer | None:
    with head.ws.store.transaction() as session:
        offer = session.scalar(
            select(MeetingOffer).where(MeetingOffer.contact_id == head.contact.id).order_by(MeetingOffer.id.desc())
        )
        if offer is not None:
            session.expunge(offer)
        return offer


def _executive(head: Letterhead, email: str | None) -> AccountExecutive:
    assert head.spec.meetings is not None
    return head.spec.meetings.executive(email or "") or head.spec.meetings.account_executives[0]


# ---- response and letter ------------------------------------------------------------------------


def _reply_row(head: Letterhead, campaign_id: int, text: str, source: str, received_at: datetime, reading: Any) -> int:
    domain = head.spec.sender.email.rsplit("@", 1)[1]
    their_id = f"<sdr.inbound.lead.{head.lead_id}@{domain}>"  # a form has no Message-ID: one per lead
    with head.ws.store.transaction(durable=False) as session:
        existing = session.scalar(select(Reply.id).where(Reply.message_id == their_id))
        if existing is not None:
            return existing
        reply = Reply(
            message_id=their_id, contact_id=head.contact.id, campaign_id=campaign_id, in_reply_to=None,
            matched_by="inbound form", from_address=head.contact.email, subject=source[:998], text=text,
            received_at=as_utc(received_at), source=f"inbound lead {head.lead_id}", intent=str(reading.intent),
            decided_by=str(reading.decided_by), confidence=reading.confidence,
            needs_review=Flag.needs_review in reading.flags, analysis=reading.model_dump(mode="json"),
            actions=[f"inbound lead {head.lead_id}: answered by the inbound desk"],
        )  # fmt: skip
        session.add(reply)
        session.flush()
        return reply.id


def _queue_answer(
    session: Session,
    head: Letterhead,
    via: AnswerVia,
    subject: str,
    body: str,
    made_by: str,
    reply_id: int | None,
    checks: Sequence[CheckResult] = (),
) -> OutboxMessage:
    """Queue the answer. One whose `checks` (made before) pass goes in approved, with them, when the
    policy lets it go without a person; any other waits for `_approve`, as one an interrupted worker left."""
    auto = bool(checks) and head.auto and passed(list(checks))
    return outbox.queue(
        session,
        outbox.Envelope(
            outbox.thread_sender(session, head.spec, head.contact.id), (head.contact.full_name, head.contact.email)
        ),
        outbox.Origins(
            Origin.inbound_answer,
            via.value,
            campaign_id=head.campaign_id,
            contact_id=head.contact.id,
            reply_id=reply_id,
            lead_id=head.lead_id,
        ),
        outbox.Content(subject, body, headers={"X-SDR-Inbound-Lead": str(head.lead_id)}, made_by=made_by,
                       checks=[c.model_dump() for c in checks] if auto else []),
        approved_by=POLICY_REVIEWER if auto else None,
    )  # fmt: skip


def answer_by_response(
    head: Letterhead, name: TemplateName, campaign_id: int, text: str, source: str, received_at: datetime,
    reading: Any, model_may_write: bool,
) -> Written:  # fmt: skip
    if (earlier := _earlier(head)) is not None:
        return _resume(head, earlier)
    reply_id = _reply_row(head, campaign_id, text, source, received_at, reading)
    subject, body = render(head.spec, name, head.variables)
    made_by = f"template:{name}"
    if model_may_write:
        written = responses.write(head.ws, reply_id, "answer")
        if written is not None and written[2] != "template" and passed(head.check(subject, written[1])):
            body, made_by = written[1], written[2]  # else the template stands: it says only what is approved
    return _written(head, AnswerVia.response, subject, body, made_by, reply_id)


def decline_by_letter(head: Letterhead, name: TemplateName) -> Written:
    if (earlier := _earlier(head)) is not None:
        return _resume(head, earlier)
    subject, body = render(head.spec, name, head.variables)
    return _written(head, AnswerVia.letter, subject, body, f"template:{name}", None)


def _written(head: Letterhead, via: AnswerVia, subject: str, body: str, made_by: str, reply_id: int | None) -> Written:
    checks = head.check(subject, body)
    with head.ws.store.transaction(durable=False) as session:  # queued and released at once
        row = _queue_answer(session, head, via, subject, body, made_by, reply_id, checks)
        due = [row.id] if row.state == OutboxState.approved else _approve(session, head, row, checks)
    _send(head, due)
    return Written(row.id, checks)
