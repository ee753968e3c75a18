"""The three ways a first answer goes out, each through the capability that owns its kind of message.

- meeting: `handle_meeting_request` routes the lead to an AE, finds real slots (or books the time
  they named) and queues its message; the desk writes the words with the route's template and
  the compliance footer, checks them, and approves and delivers the message when its policy lets it;
- response: an answer to a question goes through the replies response path (`write` for a capable
  model, else the template; `store`), so that the conversation continues where replies live;
- letter: a polite decline is the desk's own, sent from the lead's row.
Whatever the path, nothing goes out before the checks pass and the policy allows it, and the
suppression list is consulted at the moment of sending by each path's sender.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from agent.campaign import CampaignSpec
from agent.clock import as_utc
from agent.drafting.checks import CheckResult, passed
from agent.inbound.delivery import send_letter
from agent.inbound.spec import TemplateName
from agent.inbound.tables import AnswerState, AnswerVia, LeadRecord
from agent.inbound.writing import TemplateFailed, check, composed, render
from agent.store.db import record_event
from agent.store.tables import Account, Contact
from agent.timex import read_times
from agent.workspace import Workspace

POLICY_REVIEWER = "policy:inbound"


@dataclass
class Letterhead:
    """What every path needs to write and check one lead's answer."""

    ws: Workspace
    spec: CampaignSpec
    lead_id: int
    account: Account  # detached, or transient for a lead without one
    contact: Contact
    variables: dict[str, Any]  # the template's variables
    terms: list[str]  # words the answer may use besides ours and the lead's
    auto: bool  # the policy lets this answer go without review
    now: Callable[[], datetime]
    since: datetime  # when the lead was recorded (naive UTC): anything written for it is newer

    @property
    def secret(self) -> str:
        return self.ws.settings.unsubscribe_secret.get_secret_value()

    def check(self, subject: str, body: str, terms: Sequence[str] = ()) -> list[CheckResult]:
        return check(self.spec, self.account, self.contact, subject, body, self.secret, [*self.terms, *terms])


@dataclass
class Written:
    via: AnswerVia
    ref: int | None
    state: AnswerState
    subject: str
    body: str
    made_by: str
    checks: list[CheckResult]
    slots: list[datetime] = field(default_factory=list)


# ---- meeting ----------------------------------------------------------------------------------


def offer_meeting(head: Letterhead, lead_text: str, received_at: datetime, note: str) -> Written:
    from agent.meetings import outbox
    from agent.meetings.letters import when
    from agent.meetings.requests import handle_meeting_request
    from agent.meetings.tables import MeetingMessage, MeetingOffer, MessageState

    ws, spec = head.ws, head.spec
    assert spec.meetings is not None
    contact_id = head.contact.id
    with ws.store.transaction() as session:  # a worker that died mid-answer may have left one behind
        earlier = session.scalars(
            select(MeetingMessage).where(
                MeetingMessage.contact_id == contact_id,
                MeetingMessage.audience == "prospect",
                MeetingMessage.created_at >= head.since,
            )
        ).all()
        gone = next((m for m in reversed(earlier) if m.state not in (MessageState.pending_review,
                                                                       MessageState.rejected)), None)  # fmt: skip
        waiting = [m.id for m in earlier if m.state == MessageState.pending_review]
        if gone is not None:  # it went out (or is going): never a second one
            return Written(AnswerVia.meeting, gone.id, AnswerState.of(gone.state), gone.subject, gone.body,
                           "meetings", head.check(gone.subject, gone.body))  # fmt: skip
    if waiting:
        reason = "superseded: the inbound desk answered this lead again after an interruption"
        outbox.review(ws, waiting, approve=False, reviewer=POLICY_REVIEWER, reason=reason)
    outcome = handle_meeting_request(ws, contact_id, lead_text, received_at, handoff_note=note, now=head.now())
    ae_email: str | None = outcome.event.ae_email if outcome.event else None
    with ws.store.transaction() as session:
        if ae_email is None:
            ae_email = session.scalar(
                select(MeetingOffer.ae_email)
                .where(MeetingOffer.contact_id == contact_id)
                .order_by(MeetingOffer.id.desc())
            )
    ae = spec.meetings.executive(ae_email or "") or spec.meetings.account_executives[0]
    tz = head.contact.timezone or spec.sending.default_timezone
    slots = [when(s, tz) for s in outcome.slots]
    meeting = {"when": when(outcome.event.start, tz)} if outcome.event else None
    # The lead named a time and was offered others: say so, and why, rather than ignore it.
    named = read_times(lead_text, received_at, tz)
    named_time = None
    if outcome.kind == "offered" and named.kind == "slot" and named.candidates:
        named_time = {"when": when(named.candidates[0], tz), "why": outcome.reason}
    head.variables.update(ae={"name": ae.name, "minutes": ae.meeting_minutes}, slots=slots, timezone=tz,
                          meeting=meeting, named_time=named_time)  # fmt: skip
    numbered = [f"{n}. {slot}" for n, slot in enumerate(slots, 1)]
    terms = [ae.name, f"{ae.name}'s", f"{ae.meeting_minutes}-minute", f"{ae.meeting_minutes} minutes", tz, *numbered]
    terms += [meeting["when"]] if meeting else []
    terms += [named_time["when"], named_time["why"]] if named_time else []
    message = outcome.message
    if message is None:
        raise TemplateFailed(f"the meetings capability queued no message ({outcome.kind}: {outcome.reason})")
    # An offer of the campaign's number of slots is written with the route's template, whether the
    # meetings capability offered them outright or after a vague time ("when I am back"); a question
    # between readings ("did you mean ...") or a move keeps the meetings capability's own words.
    offer = outcome.kind == "offered" or (outcome.kind == "clarify" and len(slots) == spec.meetings.offer_slots)
    name: TemplateName | None = "booked" if outcome.kind == "booked" else "meeting" if offer else None
    subject, body, made_by = message.subject, message.body, "meetings"
    if message.state == MessageState.pending_review and name is not None:
        subject, body = render(spec, name, head.variables)
        made_by = f"template:{name}"
    checks = head.check(subject, body, terms)
    if message.state == MessageState.pending_review:
        with ws.store.transaction() as session:
            row = session.get_one(MeetingMessage, message.id)
            row.subject, row.body = subject[:255], composed(spec, head.contact.email, body, head.secret)
            record_event(session, "inbound_answer_written", contact_id=contact_id,
                         data={"lead": head.lead_id, "meeting_message": row.id, "made_by": made_by})  # fmt: skip
        if head.auto and passed(checks):
            outbox.review(ws, [message.id], approve=True, reviewer=POLICY_REVIEWER)
            outbox.deliver(ws, [message.id])
    with ws.store.transaction() as session:
        state = session.get_one(MeetingMessage, message.id).state
    return Written(AnswerVia.meeting, message.id, AnswerState.of(state), subject, body, made_by, checks,
                   list(outcome.slots))  # fmt: skip


# ---- response ---------------------------------------------------------------------------------


def _reply_row(head: Letterhead, campaign_id: int, text: str, source: str, received_at: datetime, reading: Any) -> int:
    from agent.replies.model import Flag
    from agent.replies.tables import Reply

    domain = head.spec.sender.email.rsplit("@", 1)[1]
    their_id = f"<sdr.inbound.lead.{head.lead_id}@{domain}>"  # a form has no Message-ID: one per lead
    with head.ws.store.transaction() as session:
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


def answer_by_response(
    head: Letterhead, name: TemplateName, campaign_id: int, text: str, source: str, received_at: datetime,
    reading: Any, model_may_write: bool,
) -> Written:  # fmt: skip
    from agent.replies import responses
    from agent.replies.tables import Response

    ws = head.ws
    reply_id = _reply_row(head, campaign_id, text, source, received_at, reading)
    with ws.store.transaction() as session:  # written before an interruption: not written twice
        earlier = session.scalar(select(Response).where(Response.reply_id == reply_id).order_by(Response.id.desc()))
        if earlier is not None:
            stored_id, state, subject, body, made_by = (
                earlier.id, AnswerState.of(earlier.state), earlier.subject, earlier.body, earlier.made_by,
            )  # fmt: skip
    if earlier is None:
        subject, body = render(head.spec, name, head.variables)
        made_by = f"template:{name}"
        if model_may_write:
            written = responses.write(ws, reply_id, "answer")
            if written is not None and written[2] != "template" and passed(head.check(subject, written[1])):
                body, made_by = written[1], written[2]  # else the template stands: it says only what is approved
        stored = responses.store(
            ws, reply_id, head.contact.id, campaign_id, "answer", (subject, body, made_by), None, None, []
        )  # fmt: skip  (no intent: the desk's policy, not the reply policy, approves)
        if stored is None:
            return Written(
                AnswerVia.response, None, AnswerState.blocked, subject, body, made_by, head.check(subject, body)
            )
        stored_id, state = stored.id, AnswerState.pending_review
    checks = head.check(subject, body)
    if state is AnswerState.pending_review and head.auto and passed(checks):
        responses.decide(ws, stored_id, approve=True, reviewer=POLICY_REVIEWER)
        # Approved responses are due: this sends ours now (and any other already approved).
        summary = responses.send_responses(ws, now=as_utc(head.now()))
        state = AnswerState.sent if stored_id in summary.sent else AnswerState.approved
    return Written(AnswerVia.response, stored_id, state, subject, body, made_by, checks)


# ---- letter -----------------------------------------------------------------------------------


def decline_by_letter(head: Letterhead, name: TemplateName) -> Written:
    with head.ws.store.transaction() as session:
        row = session.get_one(LeadRecord, head.lead_id)
        if row.answer_state in (AnswerState.sending, AnswerState.sent, AnswerState.blocked):  # never a second one
            checks = [CheckResult.model_validate(c) for c in row.checks]
            return Written(AnswerVia.letter, None, AnswerState(row.answer_state), row.answer_subject or "",
                           row.answer_body or "", row.answer_made_by or "", checks)  # fmt: skip
    subject, body = render(head.spec, name, head.variables)
    checks = head.check(subject, body)
    approve = head.auto and passed(checks)
    with head.ws.store.transaction() as session:
        row = session.get_one(LeadRecord, head.lead_id)
        row.answer_via, row.answer_subject, row.answer_body = AnswerVia.letter, subject[:255], body
        row.answer_made_by = f"template:{name}"
        row.answer_state = AnswerState.approved if approve else AnswerState.pending_review
        row.reviewer = POLICY_REVIEWER if approve else None
    state = send_letter(head.ws, head.lead_id, head.now()) if approve else AnswerState.pending_review
    return Written(AnswerVia.letter, None, state, subject, body, f"template:{name}", checks)
