"""Acting on a reply: the next action a disciplined SDR takes for each kind of reply.

Any reply from a person stops the automatic follow-ups to them. Then: an opt-out is suppressed
at once, everywhere, forever (one read without certainty is held, blocking the same, until a
person decides); a bounced address is marked bad (a temporary failure only pauses);
an out-of-office pauses until the return date; a referral creates the colleague for review; a
not-now schedules a nurture touch on the date given; interest, questions and objections get a
drafted answer; meeting requests go to booking (for now: a drafted reply offering times).
Runs inside the caller's transaction; drafting with a model happens after it, never inside.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent import outbox
from agent.campaign import CampaignSpec
from agent.campaign.qualification import QualificationSpec
from agent.enrollments import stop_sequences
from agent.meetings.requests import handle_meeting_request
from agent.replies import qualification, responses
from agent.replies.handoff import hand_off, handoff_note, meeting_changed, unsettled
from agent.replies.model import Flag, Intent, ReplyAnalysis
from agent.replies.tables import NurtureTouch, ReferredContact, Reply
from agent.states import UNSENT, Audience
from agent.store.db import find_or_add, record_event
from agent.store.tables import Account, Campaign, Contact, Enrollment, EnrollmentState, LeadStage, OutboxMessage
from agent.suppression import HELD, is_suppressed, suppress
from agent.workspace import Workspace

ANSWERED = (Intent.interested, Intent.question, Intent.objection)
MEETINGS = (Intent.meeting_request, Intent.reschedule, Intent.cancel)
TRANSIENT_BOUNCE_PAUSE = timedelta(days=2)
NURTURE_WITHOUT_DATE = timedelta(days=90)


@dataclass
class Plan:
    """What was done in the transaction, and the response still to draft after it."""

    actions: list[str] = field(default_factory=list)
    response: str | None = None  # answer (drafted), meeting (routed), or None


def pause(session: Session, contact_id: int, until: datetime, reason: str) -> int:
    enrollments = session.scalars(
        select(Enrollment).where(Enrollment.contact_id == contact_id, Enrollment.state == EnrollmentState.active)
    ).all()
    for enrollment in enrollments:
        enrollment.state, enrollment.paused_until, enrollment.stop_reason = EnrollmentState.paused, until, reason
        record_event(
            session,
            "sequence_paused",
            campaign_id=enrollment.campaign_id,
            contact_id=contact_id,
            data={"until": until.isoformat(), "reason": reason},
        )
    return len(enrollments)


def cancel_pending(session: Session, contact_id: int, reason: str) -> int:
    """Unsent answers, meeting emails and scheduled touches to a contact who must not hear from us again."""
    unsent = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.contact_id == contact_id,
            OutboxMessage.audience == Audience.prospect,
            OutboxMessage.state.in_([*UNSENT]),
        )
    )
    cancelled = outbox.cancel(session, unsent, reason)
    for touch in session.scalars(
        select(NurtureTouch).where(NurtureTouch.contact_id == contact_id, NurtureTouch.state == "scheduled")
    ):
        touch.state = "cancelled"
        cancelled += 1
    if cancelled:
        record_event(session, "responses_cancelled", contact_id=contact_id, data={"count": cancelled, "reason": reason})
    return cancelled


def _referral(session: Session, reply: Reply, analysis: ReplyAnalysis, contact: Contact | None) -> str:
    referral = analysis.referral
    if referral is None:
        analysis.flag(Flag.needs_review)
        return "referral without a usable name: for a person"
    row = ReferredContact(
        reply_id=reply.id,
        referred_by=contact.id if contact else None,
        name=referral.name,
        email=referral.email,
        title=referral.title,
    )
    session.add(row)
    if referral.email and is_suppressed(session, referral.email):
        row.state = "suppressed"
        return f"referred {referral.name}: address suppressed, not created"
    if referral.email and session.scalar(select(Contact.id).where(Contact.email == referral.email)) is None:
        domain = referral.email.rsplit("@", 1)[1]
        account, _ = find_or_add(session, Account, "domain", {"domain": domain, "name": domain})
        first, _, last = referral.name.partition(" ")
        person = {"account_id": account.id, "email": referral.email, "first_name": first, "last_name": last or None,
                  "title": referral.title, "timezone": contact.timezone if contact else None}  # fmt: skip
        row.contact_id = find_or_add(session, Contact, "email", person)[0].id
    return f"referred {referral.name} ({referral.email or 'no email'}): pending review, not enrolled"


def act(session: Session, reply: Reply, analysis: ReplyAnalysis, policy: QualificationSpec, now: datetime) -> Plan:
    plan = Plan()
    contact = session.get(Contact, reply.contact_id) if reply.contact_id else None
    intent = analysis.intent
    # Suppression first: nothing about the reply (an injection included) can come before it.
    if intent is Intent.unsubscribe:
        held = Flag.opt_out_in_doubt in analysis.flags
        for opted_out in sorted({reply.from_address, contact.email if contact else ""} - {""}):
            if suppress(session, opted_out, HELD if held else "unsubscribe", source=f"reply {reply.id}"):
                plan.actions.append(
                    f"held {opted_out}: a possible opt-out, nothing is sent until a person decides"
                    if held
                    else f"suppressed {opted_out}"
                )
    if intent is Intent.bounce:
        address = analysis.bounced_address or (contact.email if contact else None)
        if address and Flag.needs_review not in analysis.flags:
            suppress(session, address, "bounce", source=f"reply {reply.id}")
            plan.actions.append(f"marked {address} bad")
        elif contact is not None:
            pause(session, contact.id, now + TRANSIENT_BOUNCE_PAUSE, "delivery failed, maybe temporarily")
            plan.actions.append("paused: a temporary or policy failure, for a person to check")
    if contact is None:
        plan.actions.append("no contact matched: for a person")
        if intent is Intent.referral:
            plan.actions.append(_referral(session, reply, analysis, None))
        return plan
    if intent is Intent.out_of_office:
        back = analysis.return_date or (now.date() + timedelta(days=policy.replies.out_of_office_pause_days))
        paused = pause(session, contact.id, datetime.combine(back, datetime.min.time()), "out of office")
        plan.actions.append(f"paused until {back}" + ("" if paused else " (nothing active)"))
        return plan
    if intent is not Intent.bounce:
        stopped = stop_sequences(session, [contact.id], f"replied: {intent}")
        plan.actions.append(f"stopped {stopped} sequence(s)" if stopped else "no sequence running")
        qualification.note_reply(session, contact)
    if intent in (Intent.unsubscribe, Intent.bounce) and Flag.needs_review not in analysis.flags:
        cancel_pending(session, contact.id, str(intent))
    if intent is Intent.referral or (intent is Intent.unsubscribe and analysis.referral):
        plan.actions.append(_referral(session, reply, analysis, contact))
    elif intent is Intent.not_now:
        due = analysis.nurture_date or (now.date() + NURTURE_WITHOUT_DATE)
        session.add(
            NurtureTouch(
                contact_id=contact.id,
                campaign_id=reply.campaign_id,
                reply_id=reply.id,
                due_on=due,
                reason=analysis.summary[:255] or "not now",
            )
        )
        plan.actions.append(f"nurture touch on {due}" + ("" if analysis.nurture_date else " (no date given)"))
    elif intent in ANSWERED:
        plan.response = "answer"
    elif intent in MEETINGS and Flag.needs_review in analysis.flags:
        # Booking, moving or freeing a meeting writes to the AE's calendar and hands the lead over: not
        # on a reading the agent is unsure of. A person's reading (`sdr replies decide`) books it; the
        # AE who owns the lead hears meanwhile that the meeting may change.
        plan.actions.append(f"{intent} read without certainty: nothing booked or moved until a person reads it")
        if intent in (Intent.reschedule, Intent.cancel):
            unsettled(session, contact.id, reply.id, "move" if intent is Intent.reschedule else "cancel")
    elif intent in MEETINGS:
        plan.response = "meeting"
    if intent not in (Intent.unsubscribe, Intent.bounce, Intent.not_interested):
        _maybe_qualify(session, contact, policy, now.date(), plan)
    return plan


def route_meeting(
    ws: Workspace, reply_id: int, analysis: ReplyAnalysis, their_id: str | None, now: datetime
) -> int | None:
    """Meeting requests, reschedules and cancellations go to booking: real slots offered, an answer
    read into a slot and booked on the AE's calendar, a meeting moved or freed. A booked meeting is
    handed to the AE with the checklist note (in the AE's invitation too), closing the loop.

    Without AEs in the campaign file (no `meetings:` section), a drafted reply offering times, for
    review. Returns the id of a drafted reply (booking's own messages are in `sdr meetings`).
    """
    with ws.store.transaction() as session:
        reply = session.get_one(Reply, reply_id)
        contact_id, text, received = reply.contact_id, reply.text, reply.received_at
        campaign = session.get(Campaign, reply.campaign_id) if reply.campaign_id else None
        spec = CampaignSpec.model_validate(campaign.spec) if campaign else None
    if contact_id is None or spec is None or spec.meetings is None:
        return responses.draft(
            ws, reply_id, "answer" if analysis.intent is Intent.cancel else "offer_times", analysis, their_id
        )
    outcome = handle_meeting_request(
        ws,
        contact_id,
        text,
        received.replace(tzinfo=UTC),
        now=now.replace(tzinfo=UTC),
        handoff_note=handoff_note(ws, contact_id, "a meeting requested by the prospect"),
    )
    if outcome.event is not None:
        when = outcome.event.when
        if outcome.kind == "booked":
            hand_off(ws, contact_id, f"meeting booked: {when}")
        elif outcome.kind == "rescheduled":
            meeting_changed(ws, contact_id, f"meeting moved by the prospect to {when}")
        elif outcome.kind == "cancelled":
            meeting_changed(ws, contact_id, f"the prospect cancelled the meeting of {when}: rebook, recycle or close")
    return None


def _maybe_qualify(session: Session, contact: Contact, policy: QualificationSpec, today: date, plan: Plan) -> None:
    if LeadStage(contact.stage) != LeadStage.replied:
        return
    check = qualification.check_sql(policy.sql, qualification.lead_facts(session, contact.id), contact.title, today)
    if check.meets:
        qualification.move(session, contact, LeadStage.qualified, "meets the SQL definition: " + ", ".join(check.met))
        plan.actions.append("qualified (" + ", ".join(check.met) + ")")
