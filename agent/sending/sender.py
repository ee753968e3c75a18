"""`sdr send`: deliver due, approved steps, each at most once, even across crashes.

The protocol, per message:
1. claim: in one transaction, re-check everything (approved, sequence active, address not
   suppressed, checks pass) and insert the message row with status `claimed`; the unique
   draft id means a second sender (or a second run) cannot claim it again;
2. deliver through the channel's transport;
3. mark it sent.
A crash between 1 and 3 leaves a `claimed` row. The next run asks the transport: delivered
(mark sent), certainly not delivered (release the claim: it goes out in this run), or cannot
tell (SMTP: mark `uncertain` for a person to resolve; never resend on a guess).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agent.campaign import CampaignSpec
from agent.clock import utcnow, zone
from agent.drafting.checks import Claim, StepDraft, passed, run_checks
from agent.drafting.drafter import composed_text, context_for
from agent.errors import DeliveryError, NotFound, TransportUnavailable, UserError
from agent.sending.compose import compose, new_message_id
from agent.sending.schedule import add_business_days, in_window, next_window_start
from agent.store.db import record_event
from agent.store.tables import (
    Campaign,
    Contact,
    Draft,
    DraftState,
    Enrollment,
    EnrollmentState,
    LeadStage,
    Message,
    MessageStatus,
)
from agent.suppression import is_suppressed
from agent.workspace import Workspace
from tools.mail import Outgoing
from tools.mail.smtp import UncertainDelivery

DONE = (DraftState.sent, DraftState.rejected, DraftState.cancelled)


@dataclass
class SendSummary:
    sent: list[int] = field(default_factory=list)  # draft ids
    recovered: int = 0
    uncertain: list[int] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    unavailable: str | None = None  # the transport could not be reached: the rest waits for the next round
    waiting: dict[str, int] = field(default_factory=dict)  # reason -> drafts
    next_due: datetime | None = None

    def wait(self, reason: str, when: datetime | None = None) -> None:
        self.waiting[reason] = self.waiting.get(reason, 0) + 1
        if when is not None and (self.next_due is None or when < self.next_due):
            self.next_due = when


def _mark_sent(session: Session, message: Message, sent_at: datetime) -> None:
    message.status, message.sent_at, message.error = MessageStatus.sent, sent_at, None
    draft = message.draft
    draft.state = DraftState.sent
    enrollment = draft.enrollment
    contact = enrollment.contact
    if contact.stage == LeadStage.new:
        contact.stage = LeadStage.contacted
    if all(d.state in DONE for d in enrollment.drafts):
        enrollment.state = EnrollmentState.completed
    record_event(
        session,
        "sent",
        campaign_id=enrollment.campaign_id,
        contact_id=contact.id,
        draft_id=draft.id,
        data={"message_id": message.message_id, "channel": message.channel, "transport": message.transport},
    )


def recover(ws: Workspace, summary: SendSummary) -> None:
    """Settle the claims a crashed run left behind."""
    with ws.store.transaction() as session:
        for message in session.scalars(select(Message).where(Message.status == MessageStatus.claimed)).all():
            delivered = ws.transports[message.channel].confirm(message.message_id)
            if delivered is True:
                _mark_sent(session, message, message.claimed_at)
                summary.recovered += 1
            elif delivered is False:
                record_event(
                    session,
                    "send_claim_released",
                    draft_id=message.draft_id,
                    data={"message_id": message.message_id},
                )
                session.delete(message)
            else:
                message.status = MessageStatus.uncertain
                record_event(
                    session,
                    "send_uncertain",
                    draft_id=message.draft_id,
                    data={"message_id": message.message_id, "resolve": "sdr send resolve"},
                )
                summary.uncertain.append(message.draft_id)


def _tz(contact: Contact, spec: CampaignSpec) -> ZoneInfo:
    return zone(contact.timezone or spec.sending.default_timezone)


def _due_at(enrollment: Enrollment, draft: Draft, spec: CampaignSpec) -> datetime | None:
    """None: an earlier step still blocks this one."""
    last_sent: Draft | None = None
    for earlier in enrollment.drafts:
        if earlier.step_number >= draft.step_number:
            break
        if earlier.state not in DONE:
            return None
        if earlier.state == DraftState.sent:
            last_sent = earlier
    if last_sent is None or last_sent.message is None or last_sent.message.sent_at is None:
        return enrollment.created_at
    delay = sum(
        spec.sequence[n - 1].delay_business_days for n in range(last_sent.step_number + 1, draft.step_number + 1)
    )
    return add_business_days(last_sent.message.sent_at, delay, _tz(enrollment.contact, spec), spec.sending)


def _sent_today(session: Session, mailbox: str, now: datetime) -> int:
    since = now - timedelta(hours=24)
    return (
        session.scalar(
            select(func.count(Message.id)).where(
                Message.mailbox == mailbox,
                Message.channel == "email",
                Message.claimed_at >= since,
                Message.status.in_([MessageStatus.sent, MessageStatus.claimed, MessageStatus.uncertain]),
            )
        )
        or 0
    )


def plan(ws: Workspace, now: datetime, summary: SendSummary, campaign: str | None = None) -> list[int]:
    """Draft ids that may go out now, highest priority first; the rest counted by reason."""
    out = []
    with ws.store.transaction() as session:
        query = (
            select(Enrollment)
            .join(Campaign)
            .where(Enrollment.state.in_([EnrollmentState.active, EnrollmentState.paused]))
            .order_by(Enrollment.priority.desc(), Enrollment.id)
        )
        if campaign:
            query = query.where(Campaign.name == campaign)
        specs: dict[int, CampaignSpec] = {}
        for enrollment in session.scalars(query).all():
            if enrollment.state == EnrollmentState.paused and (enrollment.paused_until or now) > now:
                summary.wait("paused", enrollment.paused_until)
                continue
            spec = specs.setdefault(enrollment.campaign_id, CampaignSpec.model_validate(enrollment.campaign.spec))
            draft = next((d for d in enrollment.drafts if d.state not in DONE), None)
            if draft is None:
                continue
            if draft.state != DraftState.approved:
                summary.wait(f"step {draft.step_number} {draft.state}")
                continue
            due = _due_at(enrollment, draft, spec)
            if due is None:
                continue
            tz = _tz(enrollment.contact, spec)
            start = next_window_start(max(due, now), tz, spec.sending)
            if due > now or not in_window(now, tz, spec.sending):
                summary.wait("not due yet" if due > now else "outside the sending window", start)
                continue
            out.append(draft.id)
    return out


def claim(ws: Workspace, draft_id: int, now: datetime) -> tuple[Outgoing, int] | str:
    """Claim a draft for sending (step 1 of the protocol), or say why not."""
    with ws.store.transaction() as session:
        draft = session.get_one(Draft, draft_id)
        enrollment = draft.enrollment
        contact = enrollment.contact
        spec = CampaignSpec.model_validate(enrollment.campaign.spec)
        if draft.message is not None and draft.message.status == MessageStatus.failed:
            session.delete(draft.message)  # re-approved after a refused delivery: try again
            session.flush()
            session.refresh(draft)
        if draft.state != DraftState.approved or draft.message is not None:
            return "already claimed or no longer approved"
        if enrollment.state not in (EnrollmentState.active, EnrollmentState.paused):
            return f"sequence {enrollment.state}"
        if is_suppressed(session, contact.email):
            return "suppressed"
        if draft.channel == "email" and _sent_today(session, spec.sender.email, now) >= spec.sender.daily_cap:
            return f"daily cap of {spec.sender.daily_cap} reached for {spec.sender.email}"
        thread = [
            d.message.message_id
            for d in enrollment.drafts
            if d.step_number < draft.step_number
            and d.channel == "email"
            and d.message is not None
            and d.message.status == MessageStatus.sent
        ]
        enrollment_id, step = (
            enrollment.id,
            StepDraft(
                step_number=draft.step_number,
                channel=spec.sequence[draft.step_number - 1].channel,
                subject=draft.subject,
                body=draft.body,
                claims=[Claim(**c) for c in draft.claims],
            ),
        )
    # The checks again, on the text exactly as it will go out (outside the write transaction).
    ctx, _ = context_for(ws, enrollment_id, spec, now.date())
    results = run_checks(step, ctx, composed_text(ws, ctx, step))
    if not passed(results):
        with ws.store.transaction() as session:
            draft = session.get_one(Draft, draft_id)
            draft.state, draft.checks = DraftState.flagged, [r.model_dump() for r in results]
            record_event(
                session,
                "send_blocked",
                draft_id=draft_id,
                data={"failed": [r.check for r in results if not r.ok]},
            )
        return "failed its checks at send time; flagged"
    try:
        with ws.store.transaction() as session:
            draft = session.get_one(Draft, draft_id)
            if draft.state != DraftState.approved or draft.message is not None or is_suppressed(session, contact.email):
                return "changed while being checked"
            if draft.enrollment.state not in (EnrollmentState.active, EnrollmentState.paused):
                return f"sequence {draft.enrollment.state}"
            draft.enrollment.state = EnrollmentState.active
            message_id = new_message_id(draft, spec)
            outgoing = compose(
                draft,
                contact,
                spec,
                message_id,
                ws.settings.unsubscribe_secret.get_secret_value(),
                thread,
                now,
            )
            transport = ws.transports[draft.channel]
            message = Message(
                draft_id=draft.id,
                channel=draft.channel,
                transport=transport.name,
                mailbox=spec.sender.email,
                to_address=contact.email,
                message_id=message_id,
                status=MessageStatus.claimed,
                claimed_at=now,
            )
            session.add(message)
            session.flush()
            return outgoing, message.id
    except IntegrityError:
        return "claimed by another sender"


def _release(ws: Workspace, message_id: int, why: str) -> None:
    """Nothing was handed over: drop the claim, so the approved draft goes out on a later round."""
    with ws.store.transaction() as session:
        message = session.get_one(Message, message_id)
        record_event(session, "send_deferred", draft_id=message.draft_id, data={"error": why})
        session.delete(message)


def _finish(ws: Workspace, message_id: int, now: datetime, error: DeliveryError | None) -> None:
    with ws.store.transaction() as session:
        message = session.get_one(Message, message_id)
        if error is None:
            _mark_sent(session, message, now)
        elif isinstance(error, UncertainDelivery):
            message.status, message.error = MessageStatus.uncertain, str(error)
            record_event(session, "send_uncertain", draft_id=message.draft_id, data={"error": str(error)})
        else:
            message.status, message.error = MessageStatus.failed, str(error)
            message.draft.state = DraftState.flagged
            record_event(session, "send_failed", draft_id=message.draft_id, data={"error": str(error)})


def send_due(
    ws: Workspace, *, now: datetime | None = None, campaign: str | None = None, limit: int | None = None
) -> SendSummary:
    now = now or utcnow()
    summary = SendSummary()
    recover(ws, summary)
    for draft_id in plan(ws, now, summary, campaign)[:limit]:
        claimed = claim(ws, draft_id, now)
        if isinstance(claimed, str):
            summary.wait(claimed)
            continue
        outgoing, message_id = claimed
        try:
            ws.transports[outgoing.channel].deliver(outgoing)
        except TransportUnavailable as exc:
            _release(ws, message_id, str(exc))
            summary.unavailable = str(exc)
            break  # every other message would meet the same closed door
        except DeliveryError as exc:
            _finish(ws, message_id, now, exc)
            (
                summary.uncertain.append(draft_id)
                if isinstance(exc, UncertainDelivery)
                else summary.failed.append(f"draft {draft_id}: {exc}")
            )
            continue
        _finish(ws, message_id, now, None)
        summary.sent.append(draft_id)
    return summary


def resolve(ws: Workspace, draft_id: int, *, delivered: bool, who: str) -> None:
    """A person settles an uncertain delivery: it went out (mark sent) or it did not (release it)."""
    with ws.store.transaction() as session:
        message = session.scalar(select(Message).where(Message.draft_id == draft_id))
        if message is None:
            raise NotFound(f"no message for draft {draft_id}")
        if message.status != MessageStatus.uncertain:
            raise UserError(f"draft {draft_id}'s message is {message.status}, not uncertain")
        record_event(session, "send_resolved", draft_id=draft_id, data={"delivered": delivered, "by": who})
        if delivered:
            _mark_sent(session, message, message.claimed_at)
        else:
            session.delete(message)
