"""The one send path: every approved message that is due goes out once, whatever put it in the outbox.

The protocol, the same for every origin:
1. claim: re-check what must hold at the moment of writing (the address is not suppressed; for a
   sequence step, its sequence still runs, its checks pass on the text exactly as it will go out,
   and the mailbox's daily cap), then move approved -> sending in one conditional update: of two
   senders at once, exactly one wins the message;
2. deliver through the channel's transport;
3. settle: sent; a transport that cannot be reached hands nothing over, so the message goes back
   to approved and a later round sends it; a refusal is `failed`, for a person; a transport that
   cannot tell (SMTP after a dropped connection) leaves it `uncertain`, for `sdr send resolve`.
A crash between 1 and 3 leaves `sending`. The next round settles the claims whose sender is gone
by asking the transport: delivered (sent), certainly not (approved again), or cannot tell
(uncertain); never by sending again on a guess. A claim held by a live sender is left alone.

What is due: a sequence step once its delay in business days has passed, inside the prospect's
sending window, within the mailbox's daily cap (which every email from the mailbox counts
towards); anything else (answers to replies, meeting emails, inbound answers, notes to colleagues)
as soon as it is approved, at any hour: someone is waiting for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agent import outbox
from agent.campaign import CampaignSpec, stored_spec
from agent.claims import claimant, claimant_gone
from agent.clock import as_utc, utcnow, zone
from agent.drafting.checks import Claim, StepDraft, passed, run_checks
from agent.drafting.drafter import composed_text, context_for
from agent.enrollments import stop_sequence
from agent.errors import UserError
from agent.sending import health
from agent.sending.compose import compose, new_message_id
from agent.sending.recipients import first_touch_problem
from agent.sending.schedule import add_business_days, in_window, next_window_start, prospect_holidays
from agent.states import DELIVERED_OR_MAYBE, FINISHED, Origin, OutboxState
from agent.store.db import record_event
from agent.store.tables import Campaign, Contact, Enrollment, EnrollmentState, LeadStage, MailboxPause, OutboxMessage
from agent.suppression import is_suppressed
from agent.workspace import Workspace
from tools.mail import DeliveryError, Outgoing, TransportUnavailable, UncertainDelivery

# A sequence's later steps wait until every earlier one is settled one way or another.
STEP_DONE = (OutboxState.sent, OutboxState.rejected, OutboxState.cancelled, OutboxState.blocked)


@dataclass
class SendSummary:
    sent: list[int] = field(default_factory=list)  # outbox ids
    recovered: int = 0
    uncertain: list[int] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    unavailable: str | None = None  # the transport could not be reached: the rest waits for the next round
    waiting: dict[str, int] = field(default_factory=dict)  # reason -> messages
    next_due: datetime | None = None

    def wait(self, reason: str, when: datetime | None = None) -> None:
        self.waiting[reason] = self.waiting.get(reason, 0) + 1
        if when is not None and (self.next_due is None or when < self.next_due):
            self.next_due = when


def _spec(session: Session, campaign_id: int | None, specs: dict[int, CampaignSpec]) -> CampaignSpec | None:
    if campaign_id is None:
        return None
    if campaign_id not in specs:
        campaign = session.get_one(Campaign, campaign_id)
        specs[campaign_id] = stored_spec(campaign.spec, campaign.spec_hash)
    return specs[campaign_id]


def _mark_sent(session: Session, row: OutboxMessage, sent_at: datetime) -> None:
    outbox.move(session, row, OutboxState.sent, sent_at=sent_at, error=None)
    contact = row.contact
    if row.audience == "prospect" and contact is not None and contact.stage == LeadStage.new:
        contact.stage = LeadStage.contacted
    enrollment = row.enrollment
    if enrollment is not None and all(s.state in FINISHED for s in enrollment.steps):
        enrollment.state = EnrollmentState.completed
    record_event(
        session,
        "sent",
        campaign_id=row.campaign_id,
        contact_id=row.contact_id,
        outbox_id=row.id,
        data={"message_id": row.message_id, "origin": row.origin, "channel": row.channel, "transport": row.transport},
    )


def recover(ws: Workspace, summary: SendSummary, now: datetime) -> None:
    """Settle the claims a crashed sender left behind (never those of a sender still at work). Of
    senders restarted at once, each settles what the others have not settled first."""
    with ws.store.transaction() as session:
        stuck = session.scalars(select(OutboxMessage).where(OutboxMessage.state == OutboxState.sending)).all()
        for row in stuck:
            if not claimant_gone(row.claimed_by, row.claimed_at, now):
                continue
            try:
                _settle_abandoned(ws, session, row, summary, now)
            except outbox.Conflict:
                continue


def _settle_abandoned(ws: Workspace, session: Session, row: OutboxMessage, summary: SendSummary, now: datetime) -> None:
    delivered = ws.transports[row.channel].confirm(row.message_id or "")
    if delivered is True:
        _mark_sent(session, row, row.claimed_at or now)
        summary.recovered += 1
    elif delivered is False:
        outbox.move(session, row, OutboxState.approved, claimed_by=None)
        record_event(session, "send_claim_released", outbox_id=row.id, data={"message_id": row.message_id})
    else:
        outbox.move(session, row, OutboxState.uncertain, error="the sender stopped mid-delivery")
        record_event(
            session,
            "send_uncertain",
            outbox_id=row.id,
            data={"message_id": row.message_id, "resolve": "sdr send resolve"},
        )
        summary.uncertain.append(row.id)


def check_health(ws: Workspace, now: datetime) -> None:
    """Trip the circuit breakers of every campaign still sending."""
    with ws.store.transaction() as session:
        running = select(Enrollment.campaign_id).where(
            Enrollment.state.in_([EnrollmentState.active, EnrollmentState.paused])
        )
        for campaign in session.scalars(select(Campaign).where(Campaign.id.in_(running))):
            health.check(session, campaign.id, CampaignSpec.model_validate(campaign.spec), now)


def _tz(contact: Contact, spec: CampaignSpec) -> ZoneInfo:
    return zone(contact.timezone or spec.sending.default_timezone)


def _due_at(enrollment: Enrollment, step: OutboxMessage, spec: CampaignSpec) -> datetime | None:
    """When a sequence step falls due; None while an earlier step is not settled."""
    last_sent: OutboxMessage | None = None
    for earlier in enrollment.steps:
        if (earlier.step_number or 0) >= (step.step_number or 0):
            break
        if earlier.state not in STEP_DONE:
            return None
        if earlier.state == OutboxState.sent:
            last_sent = earlier
    if last_sent is None or last_sent.sent_at is None:
        return enrollment.created_at
    delay = sum(
        spec.sequence[n - 1].delay_business_days
        for n in range((last_sent.step_number or 0) + 1, (step.step_number or 0) + 1)
    )
    contact = enrollment.contact
    return add_business_days(
        last_sent.sent_at, delay, _tz(contact, spec), spec.sending, prospect_holidays(contact, spec.sending)
    )


def sent_from(session: Session, mailbox: str, now: datetime) -> int:
    """Emails from a mailbox in the rolling 24 hours before `now`, as mailbox providers count them."""
    return (
        session.scalar(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.from_address == mailbox,
                OutboxMessage.channel == "email",
                OutboxMessage.claimed_at >= now - timedelta(hours=24),
                OutboxMessage.state.in_([*DELIVERED_OR_MAYBE]),
            )
        )
        or 0
    )


def _plan_steps(session: Session, now: datetime, summary: SendSummary, campaign: str | None) -> list[int]:
    out = []
    query = (
        select(Enrollment)
        .join(Campaign)
        .where(Enrollment.state.in_([EnrollmentState.active, EnrollmentState.paused]))
        .order_by(Enrollment.priority.desc(), Enrollment.id)
    )
    if campaign:
        query = query.where(Campaign.name == campaign)
    specs: dict[int, CampaignSpec] = {}
    paused: dict[int, dict[str | None, MailboxPause]] = {}
    for enrollment in session.scalars(query).all():
        if enrollment.state == EnrollmentState.paused and (enrollment.paused_until or now) > now:
            summary.wait("paused", enrollment.paused_until)
            continue
        spec = _spec(session, enrollment.campaign_id, specs)
        assert spec is not None
        step = next((s for s in enrollment.steps if s.state not in STEP_DONE), None)
        if step is None:
            continue
        if step.state != OutboxState.approved:
            summary.wait(f"step {step.step_number} {step.state}")
            continue
        stopped = paused.setdefault(enrollment.campaign_id, health.pauses(session, enrollment.campaign_id))
        if (pause := stopped.get(None) or stopped.get(step.from_address)) is not None:
            summary.wait(f"{pause.mailbox or 'campaign ' + spec.name} paused: {pause.reason}")
            continue
        due = _due_at(enrollment, step, spec)
        if due is None:
            continue
        tz, days_off = _tz(enrollment.contact, spec), prospect_holidays(enrollment.contact, spec.sending)
        start = next_window_start(max(due, now), tz, spec.sending, days_off)
        if due > now or not in_window(now, tz, spec.sending, days_off):
            summary.wait("not due yet" if due > now else "outside the sending window", start)
            continue
        out.append(step.id)
    return out


def plan(
    ws: Workspace,
    now: datetime,
    summary: SendSummary,
    campaign: str | None = None,
    only: list[int] | None = None,
    steps: bool = True,
) -> list[int]:
    """Outbox ids that may go out now: answers and meeting emails first (someone is waiting for
    them), then sequence steps, highest priority first; the rest counted by reason."""
    answers, cold = _due(ws, now, summary, campaign, only, steps)
    return answers + cold


def _due(
    ws: Workspace, now: datetime, summary: SendSummary, campaign: str | None, only: list[int] | None, steps: bool
) -> tuple[list[int], list[int]]:
    """What `plan` says, as (answers and other messages someone waits for, sequence steps)."""
    with ws.store.transaction() as session:
        query = select(OutboxMessage.id).where(
            OutboxMessage.state == OutboxState.approved, OutboxMessage.origin != Origin.sequence_step
        )
        if campaign:
            query = query.where(OutboxMessage.campaign_id.in_(select(Campaign.id).where(Campaign.name == campaign)))
        answers = list(session.scalars(query.order_by(OutboxMessage.id)))
        cold = _plan_steps(session, now, summary, campaign) if steps and only is None else []
    if only is not None:
        wanted = set(only)
        answers = [i for i in answers if i in wanted]
    return answers, cold


def _check_step(ws: Workspace, row_id: int, now: datetime) -> str | None:
    """The drafting checks again, on the step exactly as it will go out (outside any write
    transaction: they may read the calls index). A failure flags the step for a person."""
    with ws.store.transaction() as session:
        row = session.get_one(OutboxMessage, row_id)
        enrollment = row.enrollment
        assert enrollment is not None
        spec = CampaignSpec.model_validate(enrollment.campaign.spec)
        step = StepDraft(
            step_number=row.step_number or 1,
            channel=spec.sequence[(row.step_number or 1) - 1].channel,
            subject=row.subject,
            body=row.body,
            claims=[Claim(**c) for c in row.claims],
        )
        enrollment_id = enrollment.id
    ctx, _ = context_for(ws, enrollment_id, spec, now.date())
    results = run_checks(step, ctx, composed_text(ws, ctx, step))
    if passed(results):
        return None
    with ws.store.transaction() as session:
        row = session.get_one(OutboxMessage, row_id)
        if row.state == OutboxState.approved:
            outbox.move(session, row, OutboxState.flagged, checks=[r.model_dump() for r in results])
            record_event(
                session, "send_blocked", outbox_id=row_id, data={"failed": [r.check for r in results if not r.ok]}
            )
    return "failed its checks at send time; flagged"


def _check_recipient(ws: Workspace, row_id: int) -> str | None:
    """The address checks of `recipients`, outside any write transaction (a DNS lookup may take
    seconds). A cold email to an address that fails them is blocked, and its sequence stopped."""
    with ws.store.transaction() as session:
        row = session.get_one(OutboxMessage, row_id)
        if row.channel != "email":
            return None
        address, spec = row.to_address, _spec(session, row.campaign_id, {})
    allow_role = spec is not None and spec.sending.send_to_role_addresses
    problem = first_touch_problem(address, send_to_role_addresses=allow_role, lookup_mx=ws.settings.allow_network)
    if problem is None:
        return None
    with ws.store.transaction() as session:
        row = session.get_one(OutboxMessage, row_id)
        if row.state == OutboxState.approved:
            outbox.move(session, row, OutboxState.blocked, error=problem)
            record_event(session, "send_blocked", outbox_id=row_id, data={"why": problem})
            if row.enrollment is not None:
                stop_sequence(session, row.enrollment, f"address: {problem}")
    return f"blocked: {problem}"


def _why_not(session: Session, row: OutboxMessage, spec: CampaignSpec | None, now: datetime) -> str | None:
    if row.state != OutboxState.approved:
        return "already claimed or no longer approved"
    if is_suppressed(session, row.to_address):
        outbox.move(session, row, OutboxState.blocked)
        record_event(session, "send_blocked", outbox_id=row.id, data={"why": "suppressed"})
        return "suppressed"
    if row.origin == Origin.sequence_step:
        assert spec is not None and row.enrollment is not None
        if row.enrollment.state not in (EnrollmentState.active, EnrollmentState.paused):
            return f"sequence {row.enrollment.state}"
        cap = health.cap_today(health.mailbox_of(spec, row.from_address), now.date())
        if row.channel == "email" and sent_from(session, row.from_address, now) >= cap:
            return f"daily cap of {cap} reached for {row.from_address}"
    return None


def claim(
    ws: Workspace, row_id: int, now: datetime, *, step: bool | None = None, specs: dict[int, CampaignSpec] | None = None
) -> Outgoing | str:
    """Step 1 of the protocol: the message as it will go out, claimed by this sender; or why not.
    A message someone moved meanwhile (another sender claimed, flagged or blocked it; a person
    decided it) is theirs: this sender leaves it, and keeps nothing of its attempt. `step`: whether
    it is a sequence step, when the caller knows (else read first); `specs`: the campaigns' specs
    this round has read."""
    try:
        if step is None:
            with ws.store.transaction() as session:
                step = session.get_one(OutboxMessage, row_id).origin == Origin.sequence_step
        if step and (why := _check_step(ws, row_id, now) or _check_recipient(ws, row_id)):
            return why
        return _claim(ws, row_id, now, {} if specs is None else specs)
    except outbox.Conflict:
        return "claimed or decided by someone else meanwhile"


def _claim(ws: Workspace, row_id: int, now: datetime, specs: dict[int, CampaignSpec]) -> Outgoing | str:
    with ws.store.transaction() as session:
        pick = select(OutboxMessage).where(OutboxMessage.id == row_id)
        if session.get_bind().dialect.name == "postgresql":  # another sender is claiming it: it is theirs
            pick = pick.with_for_update(skip_locked=True)
        row = session.scalars(pick).one_or_none()
        if row is None:
            return "claimed or decided by someone else meanwhile"
        spec = _spec(session, row.campaign_id, specs)
        if why := _why_not(session, row, spec, now):
            return why
        if row.enrollment is not None:
            row.enrollment.state = EnrollmentState.active
            row.thread = [  # a follow-up answers the emails before it
                s.message_id
                for s in row.enrollment.steps
                if (s.step_number or 0) < (row.step_number or 0) and s.channel == "email" and s.state == "sent"
            ]
        outbox.move(
            session,
            row,
            OutboxState.sending,
            message_id=row.message_id or new_message_id(row),
            transport=ws.transports[row.channel].name,
            claimed_at=now,
            claimed_by=claimant(),
            error=None,
        )
        return compose(row, spec, ws.unsubscribe_secret, now)


def _settle(ws: Workspace, row_id: int, now: datetime, error: DeliveryError | None) -> None:
    with ws.store.transaction() as session:
        row = session.get_one(OutboxMessage, row_id)
        if error is None:
            _mark_sent(session, row, now)
        elif isinstance(error, TransportUnavailable):  # nothing was handed over: a later round sends it
            outbox.move(session, row, OutboxState.approved, claimed_by=None, error=str(error))
            record_event(session, "send_deferred", outbox_id=row_id, data={"error": str(error)})
        elif isinstance(error, UncertainDelivery):
            outbox.move(session, row, OutboxState.uncertain, error=str(error))
            record_event(session, "send_uncertain", outbox_id=row_id, data={"error": str(error)})
        else:
            outbox.move(session, row, OutboxState.failed, error=str(error))
            record_event(session, "send_failed", outbox_id=row_id, data={"error": str(error)})


def send_due(
    ws: Workspace,
    *,
    now: datetime | None = None,
    campaign: str | None = None,
    limit: int | None = None,
    only: list[int] | None = None,
    steps: bool = True,
) -> SendSummary:
    """One round: settle what a crash left, then send what is due (`only`: of these ids; without
    `steps`: everything but sequence steps, as the server's worker does after each reply or lead)."""
    now = as_utc(now) if now else utcnow()
    summary = SendSummary()
    _ = ws.transports  # a transport that is not set up right stops the round before it starts
    recover(ws, summary, now)
    check_health(ws, now)
    answers, cold = _due(ws, now, summary, campaign, only, steps)
    steps_due, specs = set(cold), dict[int, CampaignSpec]()
    for row_id in (answers + cold)[:limit]:
        claimed = claim(ws, row_id, now, step=row_id in steps_due, specs=specs)
        if isinstance(claimed, str):
            summary.wait(claimed)
            continue
        try:
            ws.transports[claimed.channel].deliver(claimed)
        except TransportUnavailable as exc:
            _settle(ws, row_id, now, exc)
            summary.unavailable = str(exc)
            break  # every other message would meet the same closed door
        except DeliveryError as exc:
            _settle(ws, row_id, now, exc)
            if isinstance(exc, UncertainDelivery):
                summary.uncertain.append(row_id)
            else:
                summary.failed.append(f"message {row_id}: {exc}")
            continue
        _settle(ws, row_id, now, None)
        summary.sent.append(row_id)
    return summary


def resolve(ws: Workspace, outbox_id: int, *, delivered: bool, who: str) -> None:
    """A person settles an uncertain delivery: it went out (sent) or it did not (approved again:
    the next round sends it)."""
    with ws.store.transaction() as session:
        row = outbox.get(session, outbox_id)
        if row.state != OutboxState.uncertain:
            raise UserError(f"message {outbox_id} is {row.state}, not uncertain: nothing to resolve")
        record_event(session, "send_resolved", outbox_id=outbox_id, data={"delivered": delivered, "by": who})
        if delivered:
            _mark_sent(session, row, row.claimed_at or utcnow())
        else:
            outbox.decide(session, row, OutboxState.approved, "resolve_not_delivered", who)
