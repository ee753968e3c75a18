"""One inbound lead, end to end: record, research, score, read, route, answer, time it.

`answer_lead` is what `sdr inbound answer` runs per line; the server records the lead while the
form waits (`receive_lead`) and answers it right after (`answer_received`); a worker with several
waiting answers them all first (`answer_first`) and closes them after (`close`). Model calls (reading
the message, a capable model's answer) run outside every write transaction. Answering a lead
twice returns what was done the first time; a lead a crash left unanswered is found by
`unanswered` and answered on the next run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import ColumnElement, Update, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from agent import clock
from agent.campaign import CampaignSpec, stored_spec
from agent.campaign.inbound import InboundSpec
from agent.claims import claimant, claimant_gone
from agent.clock import Clock, RunningClock, as_utc, utcnow
from agent.drafting.checks import passed
from agent.enrollments import stop_sequences
from agent.errors import InputError
from agent.inbound import paths, screening
from agent.inbound.intake import Received, file_lead, receive
from agent.inbound.lead import InboundLead
from agent.inbound.notify import queue_notes
from agent.inbound.outcome import LeadAnswer, note, summary_of
from agent.inbound.routing import Decision, Facts, decide
from agent.inbound.tables import LeadRecord, Route
from agent.meetings.routing import route as route_to_ae
from agent.pipeline import campaign_named
from agent.replies import rules
from agent.replies.classify import ReplyReader
from agent.replies.handling import reader_for
from agent.replies.ingest import Inbound, from_fields
from agent.replies.model import Flag, Intent, ReplyAnalysis
from agent.research.brief import Brief
from agent.research.researcher import research_account
from agent.scoring import ScoreCard, keep_score, score
from agent.sending.sender import send_due
from agent.states import OutboxState
from agent.store.db import add_missing, record_event
from agent.store.tables import Account, Campaign, Contact, Enrollment, EnrollmentState, OutboxMessage
from agent.suppression import HELD, is_suppressed, suppress
from agent.workspace import Workspace

log = logging.getLogger(__name__)
# An inbound enrollment only ties the lead to the campaign (its AEs, its sender); it runs no
# sequence. Its priority stays below any auto-approval threshold, so that the meetings capability
# queues the offer and the desk's own policy and checks decide when it goes out.
INBOUND_ENROLLMENT_PRIORITY = 0.0
# The first answer counts for speed-to-lead once it is sent or waits only for its turn or a person.
ANSWERED = (OutboxState.sent, OutboxState.sending, OutboxState.approved, OutboxState.pending_review)
# A lead on these routes is answered (or declined) by the desk: its cold sequences stop first.
ANSWERED_ROUTES = (Route.meeting, Route.answer, Route.review, Route.not_qualified)
CLOCK_SKEW = timedelta(minutes=5)  # how far ahead of our clock a form's own clock may run
# A worker claims a few waiting leads at once and reads their messages ahead (`claim_leads`): enough to
# keep the reading thread ahead of the answers, few enough that another worker finds the rest.
CLAIM_AT_ONCE = 4
_readers: WeakKeyDictionary[Workspace, ReplyReader] = WeakKeyDictionary()


def reader_of(ws: Workspace) -> ReplyReader:
    """One reply reader per workspace: its classifier loads once."""
    if ws not in _readers:
        _readers[ws] = reader_for(ws)
    return _readers[ws]


def answer_lead(
    ws: Workspace, lead: InboundLead, campaign: str, *, now: datetime | None = None, reader: ReplyReader | None = None
) -> LeadAnswer:
    lead_clock = RunningClock(now or clock.now())
    received = receive_lead(ws, lead, campaign, now=lead_clock.start)
    return answer_received(ws, received.lead_id, reader=reader, lead_clock=lead_clock)


def receive_lead(
    ws: Workspace, lead: InboundLead, campaign: str, *, now: datetime | None = None, receipt: str | None = None
) -> Received:
    """Record the lead; one from the future (beyond a little clock skew) is refused, naming the field.
    `receipt`: the webhook request's key (see `agent.store.tables.keep_receipt`)."""
    with ws.store.transaction() as session:
        return keep_lead(session, lead, campaign, now=now, receipt=receipt)


def keep_lead(
    session: Session, lead: InboundLead, campaign: str, *, now: datetime | None = None, receipt: str | None = None
) -> Received:
    """As `receive_lead`, in the caller's transaction (the server keeps the leads that arrive at the
    same moment in one)."""
    if lead.received_at > (now or clock.now()) + CLOCK_SKEW:
        raise InputError(f"{lead.received_at.isoformat()} is in the future (by the agent's clock)",
                         field="received_at")  # fmt: skip
    campaign_id, spec = campaign_named(session, campaign)
    return receive(session, lead, campaign_id, (spec.inbound or InboundSpec()).duplicate_window_minutes, receipt)


def unanswered(ws: Workspace) -> list[int]:
    """Leads never answered: received only, or claimed by a worker that has stopped (its claim is
    released at once on this machine, after `agent.claims.LEASE` from another)."""
    now = utcnow()
    with ws.store.transaction() as session:
        for row in session.scalars(select(LeadRecord).where(LeadRecord.state == "answering")):
            if claimant_gone(row.claimed_by, row.claimed_at, now):
                row.state, row.claimed_by = "received", None
        query = select(LeadRecord.id).where(LeadRecord.state == "received").order_by(LeadRecord.id)
        return list(session.scalars(query))


def claim_lead(ws: Workspace, lead_id: int) -> int | None:
    """Claim this received lead for this worker: one conditional update, so of several workers
    exactly one answers it. None: another has it, or had it."""
    with ws.store.transaction() as session:
        return session.execute(_claim(LeadRecord.id == lead_id)).scalar()


def claim_leads(ws: Workspace, limit: int = CLAIM_AT_ONCE) -> list[tuple[int, dict[str, Any]]]:
    """Claim the next `limit` received leads (the oldest first) for this worker, with what each says
    (as stored); on PostgreSQL past the ones other workers hold (SKIP LOCKED). Empty: nothing left."""
    with ws.store.transaction() as session:
        pick = select(LeadRecord.id).where(LeadRecord.state == "received").order_by(LeadRecord.id).limit(limit)
        if session.get_bind().dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        claimed = session.execute(_claim(LeadRecord.id.in_(pick), LeadRecord.lead)).all()
    return [(row.id, row.lead) for row in sorted(claimed, key=lambda row: row.id)]


def _claim(target: ColumnElement[bool], *returned: InstrumentedAttribute[Any]) -> Update:
    return (
        update(LeadRecord)
        .where(target, LeadRecord.state == "received")
        .values(state="answering", claimed_at=utcnow(), claimed_by=claimant())
        .returning(LeadRecord.id, *returned)
        .execution_options(synchronize_session=False)
    )


def read_ahead(reader: ReplyReader, leads: list[dict[str, Any]]) -> None:
    """Start reading these claimed leads' messages (as stored) on a spare core, while this worker
    answers the ones before them (`ReplyReader.read_ahead`): by the time it reads one, its
    embedding is done."""
    for fields in leads:
        reader.read_ahead(message_of(InboundLead.model_validate(fields, strict=False)))


def answer_received(
    ws: Workspace, lead_id: int, *, reader: ReplyReader | None = None, lead_clock: Clock | None = None
) -> LeadAnswer:
    """Answer a recorded lead, unless another worker answers or answered it."""
    if claim_lead(ws, lead_id) is None:
        with ws.store.transaction() as session:
            return summary_of(session, session.get_one(LeadRecord, lead_id))
    return close(ws, answer_first(ws, lead_id, reader=reader, lead_clock=lead_clock))


@dataclass(frozen=True)
class People:
    """The lead's account and contact as filed, detached (made up, never stored, for a lead without
    them), when the lead was recorded, and its campaign: read once, in the transaction that files it."""

    account: Account
    contact: Contact
    since: datetime  # naive UTC
    campaign_id: int


@dataclass(frozen=True)
class Answered:
    """A claimed lead whose first answer is queued (or that needs none), its record still open until
    `close`: a worker answers every waiting lead first and closes them after (the answer is what the
    lead waits for; its route, score and reading are kept when it is closed). A worker that stops in
    between leaves them claimed: the next one answers them again, finds each answer already written,
    and closes them."""

    lead_id: int
    spec: CampaignSpec
    decision: Decision
    written: paths.Written | None
    error: str | None
    at: datetime  # when the answer was queued: the end of the lead's speed-to-lead
    lead_clock: Clock
    card: ScoreCard | None = None
    reading: ReplyAnalysis | None = None  # None: not read (a duplicate)


def answer_first(
    ws: Workspace,
    lead_id: int,
    *,
    reader: ReplyReader | None = None,
    lead_clock: Clock | None = None,
    send: bool = True,
) -> Answered:
    """File, research, score, read and route a lead this worker claimed, and queue its first answer.
    `send`: what may go out at once (the answer, the AE's invitation) goes now; without it, it waits
    approved in the outbox for the caller's next send (a worker answers every waiting lead first,
    then sends them all in one go)."""
    lead_clock = lead_clock or RunningClock(clock.now())
    with ws.store.transaction(durable=False) as session:
        row = session.get_one(LeadRecord, lead_id)
        lead = InboundLead.model_validate(row.lead, strict=False)
        filed = file_lead(session, row, lead)
        campaign = session.get_one(Campaign, row.campaign_id)
        spec = stored_spec(campaign.spec, campaign.spec_hash)
        duplicate_of = row.duplicate_of
        people = _people(session, row, lead, filed)
        suppressed = filed.suppressed if filed.suppressed is not None else is_suppressed(session, lead.email)
        first = session.get(LeadRecord, duplicate_of) if duplicate_of else None
        first_message = first.lead.get("message", "") if first else ""
    if duplicate_of is not None:
        new_words = bool(lead.message.strip()) and lead.message.strip() != first_message.strip()
        reasons = [f"lead #{duplicate_of} came from the same address minutes before: one answer only"]
        if new_words:
            reasons.append("this one says something new: for a person")
        duplicate = Decision(Route.duplicate, reasons, needs_review=new_words)
        return Answered(lead_id, spec, duplicate, None, None, lead_clock.now(), lead_clock)
    policy = spec.inbound or InboundSpec()
    card = _score(ws, people, spec, lead.received_at) if people.account.id is not None else None
    reading, facts = _read(reader or reader_of(ws), lead, spec, policy, card, people.contact.id, suppressed)
    decision = decide(facts)
    _before_answer(ws, lead_id, lead, decision, people)
    written, error = None, None
    if decision.template is not None:
        try:
            written = _answer(ws, lead_id, lead, spec, policy, decision, reading, lead_clock, facts, send, people)
        except Exception as exc:  # a lead is never lost to an error: it goes to a person
            log.exception("inbound lead %s: the first answer failed", lead_id)
            error = f"{type(exc).__name__}: {exc}"
    return Answered(lead_id, spec, decision, written, error, lead_clock.now(), lead_clock, card, reading)


def close_failed(ws: Workspace, lead_id: int, error: str) -> None:
    """A claimed lead whose answering failed goes to a person, with the error, instead of waiting
    under a claim that holds as long as this worker lives (or being tried again every round)."""
    with ws.store.transaction() as session:
        row = session.get_one(LeadRecord, lead_id)
        if row.state != "answering":
            return
        row.route = row.route or Route.review
        row.needs_review, row.error, row.state = True, error, "routed"
        record_event(session, "inbound_lead_closed", campaign_id=row.campaign_id, contact_id=row.contact_id,
                     data={"lead": lead_id, "route": row.route, "error": error})  # fmt: skip


# ---- steps ------------------------------------------------------------------------------------


def _score(ws: Workspace, people: People, spec: CampaignSpec, at: datetime) -> ScoreCard:
    """The lead's score card (`close` keeps it), from the account and contact as filed."""
    brief: Brief | None
    brief, _ = research_account(ws, people.account.id, account=people.account)
    return score(people.account, people.contact if people.contact.id is not None else None, brief, spec, at.date())


def _read(
    reader: ReplyReader, lead: InboundLead, spec: CampaignSpec, policy: InboundSpec,
    card: ScoreCard | None, contact_id: int | None, suppressed: bool,
) -> tuple[ReplyAnalysis, Facts]:  # fmt: skip
    inbound = message_of(lead)
    reader.ours = reader.ours or frozenset({spec.sender.email.lower()})
    reading = reader.read(inbound, timezone=lead.timezone, received_at=lead.received_at, ids={"contact_id": contact_id})
    fields = from_fields(text="\n".join(f for f in (lead.name, lead.company, lead.title) if f), mail=False)
    injected = rules.injection(fields) + (rules.injection(inbound) if Flag.injection_suspected in reading.flags else [])
    opt_out, in_doubt = None, False
    if reading.intent is Intent.unsubscribe:
        # A regulation asked about ("Are you GDPR compliant?") is no opt-out phrase: the rules know.
        if phrase := rules.opt_out(inbound.visible):
            opt_out = phrase
        else:
            in_doubt = True
    answers = screening.approved_answers(lead, policy)
    facts = Facts(
        screen=screening.screen(lead, policy),
        card=card,
        min_fit=spec.icp.min_fit,
        suppressed=suppressed,
        opt_out=opt_out,
        opt_out_in_doubt=in_doubt,
        injection=injected,
        talk=screening.wants_to_talk(lead, policy)
        or (f"wants to talk ({reading.intent})" if reading.intent in (Intent.meeting_request, Intent.interested)
            else None),
        question=screening.asks_question(lead) or reading.intent is Intent.question,
        answered_topics=[a.topic for a in answers],
        books_meetings=spec.meetings is not None,
    )  # fmt: skip
    return reading, facts


def message_of(lead: InboundLead) -> Inbound:
    """The lead's message as the reply reader reads it."""
    return from_fields(text=lead.message, subject=lead.source, sender=f"{lead.name} <{lead.email}>",
                       received_at=lead.received_at, mail=False)  # fmt: skip


def _before_answer(ws: Workspace, lead_id: int, lead: InboundLead, decision: Decision, people: People) -> None:
    """What must hold before the lead is answered: an opt-out or a hold blocks the address as a
    suppression does (stops sequences, queued mail); a lead answered or declined stops the contact's
    cold sequences (one voice: the desk's answer, not a cold follow-up) and is tied to the campaign
    (its AEs, its sender) by an enrollment that runs no sequence, unless enrolled. The rest of the
    record (route, score, reading) is kept when the lead is closed."""
    contact_id = people.contact.id
    stops = contact_id is not None and decision.route in ANSWERED_ROUTES
    if not (decision.suppress or decision.hold or stops):
        return
    with ws.store.transaction(durable=decision.suppress or decision.hold) as session:  # an opt-out is kept at once
        if decision.suppress or decision.hold:
            suppress(session, lead.email, HELD if decision.hold else "unsubscribe", source=f"inbound lead {lead_id}")
        if stops:
            reason = f"inbound lead {lead_id}: {decision.route}"
            stop_sequences(session, [contact_id], reason)
            enrollment = {"campaign_id": people.campaign_id, "contact_id": contact_id, "stop_reason": reason,
                          "state": EnrollmentState.stopped, "priority": INBOUND_ENROLLMENT_PRIORITY}  # fmt: skip
            add_missing(session, Enrollment, [enrollment], ("campaign_id", "contact_id"))


def _keep_reading(session: Session, row: LeadRecord, answered: Answered) -> None:
    """`close`'s part for a lead that was read: what it said, its score, why it was declined."""
    decision, card, reading = answered.decision, answered.card, answered.reading
    if reading is None:
        return
    row.intent, row.flags = str(reading.intent), [str(f) for f in reading.flags]
    if card is not None:
        row.fit, row.priority, row.persona = card.fit, card.priority, card.persona
        if row.account_id is not None:
            keep_score(session, row.campaign_id, row.account_id, row.contact_id, card)
    if decision.disposition_reason:
        row.disposition, row.disposition_reason = "not_qualified", decision.disposition_reason
    record_event(
        session,
        "inbound_lead_routed",
        campaign_id=row.campaign_id,
        account_id=row.account_id,
        contact_id=row.contact_id,
        data={"lead": row.id, "route": decision.route, "reasons": decision.reasons},
    )


def _people(session: Session, row: LeadRecord, lead: InboundLead, filed: Received) -> People:
    """The lead's `People`, in the transaction that filed it: the rows filed now, else read."""
    account = filed.account or (session.get(Account, row.account_id) if row.account_id else None)
    contact = filed.contact or (session.get(Contact, row.contact_id) if row.contact_id else None)
    for thing in (account, contact):
        if thing is not None:
            session.expunge(thing)
    domain = lead.email.rsplit("@", 1)[1]
    account = account or Account(name=lead.company or domain, domain=domain, technologies=[])
    contact = contact or Contact(email=lead.email, first_name=lead.first_name, last_name=lead.last_name,
                                 title=lead.title, timezone=lead.timezone)  # fmt: skip
    return People(account, contact, row.created_at, row.campaign_id)


def _variables(lead: InboundLead, spec: CampaignSpec, account: Account, reading: ReplyAnalysis,
               answers: list[Any], reason: str | None) -> dict[str, Any]:  # fmt: skip
    sender = spec.sender
    return {
        "lead": {"first_name": lead.first_name, "last_name": lead.last_name or "", "name": lead.name,
                 "email": lead.email, "company": lead.company or "", "title": lead.title or "", "source": lead.source},
        "account": {"name": account.name, "domain": account.domain},
        "sender": {"name": sender.name, "title": sender.title, "company": sender.company, "email": sender.email},
        "ae": None, "slots": [], "timezone": lead.timezone or spec.sending.default_timezone, "meeting": None,
        "named_time": None,
        "answers": [{"topic": a.topic, "answer": a.answer} for a in answers],
        "topics": [a.topic for a in answers],
        "value_proposition": spec.value_proposition.strip(), "proof_points": [p.text for p in spec.proof_points],
        "language": reading.language, "reason": reason or "",
    }  # fmt: skip


def _auto(policy: InboundSpec, route: Route) -> bool:
    if policy.send_without_review == "never" or route is Route.review:
        return False
    return policy.send_without_review == "all" or route in (Route.meeting, Route.answer)


def _answer(
    ws: Workspace, lead_id: int, lead: InboundLead, spec: CampaignSpec, policy: InboundSpec, decision: Decision,
    reading: ReplyAnalysis, lead_clock: Clock, facts: Facts, send: bool, people: People,
) -> paths.Written:  # fmt: skip
    assert decision.template is not None
    account, contact, since, campaign_id = people.account, people.contact, people.since, people.campaign_id
    answers = screening.approved_answers(lead, policy)
    head = paths.Letterhead(
        ws=ws, spec=spec, campaign_id=campaign_id, lead_id=lead_id, account=account, contact=contact,
        variables=_variables(lead, spec, account, reading, answers, decision.disposition_reason),
        terms=[a.answer for a in answers] + [lead.source], auto=_auto(policy, decision.route), now=lead_clock.now,
        since=since, send_now=send,
    )  # fmt: skip
    if decision.route is Route.meeting and contact.id is not None:
        card = f"fit {facts.card.fit:g}, persona {facts.card.persona}" if facts.card else "not scored"
        note = (
            f"Inbound {lead.source} from {lead.name}" + (f" ({lead.title})" if lead.title else "")
            + f" at {account.name}, {lead.received_at.isoformat()}; {card}.\nTheir words: {lead.message[:600]!r}"
        )  # fmt: skip
        text = screening.without_greeting(lead.message) or lead.source
        return paths.offer_meeting(head, text, lead.received_at, note)
    if decision.route in (Route.answer, Route.review) and contact.id is not None:
        with ws.store.transaction() as session:
            if spec.meetings is not None:  # who would take the call they are offered
                ae = route_to_ae(session, spec.meetings, session.get_one(Account, account.id)).executive
                head.variables["ae"] = {"name": ae.name, "minutes": ae.meeting_minutes}
                head.terms += [ae.name, f"{ae.name}'s", f"{ae.meeting_minutes}-minute"]
        model_may_write = (
            decision.route is Route.answer and not answers and ws.llm.handle.capable_writer
            and (spec.qualification is None or spec.qualification.replies.responses != "template")
        )  # fmt: skip
        return paths.answer_by_response(head, decision.template, campaign_id, reading_text(lead), lead.source,
                                        lead.received_at, reading, model_may_write)  # fmt: skip
    return paths.decline_by_letter(head, decision.template)


def reading_text(lead: InboundLead) -> str:
    return lead.message or f"({lead.source}, no message)"


def close(ws: Workspace, answered: Answered, send: bool = True) -> LeadAnswer:
    """Route the lead in its record, with its speed-to-lead, and tell the team when the campaign asks."""
    lead_id, decision, written, error = answered.lead_id, answered.decision, answered.written, answered.error
    with ws.store.transaction() as session:
        row = session.get_one(LeadRecord, lead_id)
        row.route, row.reasons = decision.route, decision.reasons
        row.needs_review = decision.needs_review or error is not None
        if written is not None:
            row.answer_id = written.answer_id
            message = session.get_one(OutboxMessage, written.answer_id)
            row.needs_review = row.needs_review or not passed(written.checks)
            if message.state in ANSWERED:
                row.answered_at = as_utc(answered.at)
                seconds = (answered.at - row.received_at.replace(tzinfo=UTC)).total_seconds()
                row.speed_to_lead_seconds = round(max(0.0, seconds), 3)  # a form's clock may run a little ahead
        elif error is not None:
            row.error = error
        _keep_reading(session, row, answered)
        row.state = "routed"
        answer = summary_of(session, row)
        answer.slots = written.slots if written else []
        record_event(
            session,
            "inbound_lead_answered" if written else "inbound_lead_closed",
            campaign_id=row.campaign_id,
            contact_id=row.contact_id,
            data={"lead": lead_id, "route": row.route, "answer": answer.answer,
                  "speed_to_lead_seconds": row.speed_to_lead_seconds, "error": error},
        )  # fmt: skip
        policy = answered.spec.inbound or InboundSpec()
        notes: list[int] = []
        if policy.notify.to and decision.route in policy.notify.routes:
            notes = queue_notes(session, row, answered.spec, policy.notify.to, *note(answer), answered.lead_clock.now())
    if notes and send:
        send_due(ws, now=as_utc(answered.lead_clock.now()), only=notes)
    return answer
