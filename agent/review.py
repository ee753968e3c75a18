"""The review desk: one queue of everything that awaits a person, each item beside its evidence.

Sequence steps show the facts their claims cite and the past calls behind them; answers to
replies show the reply and how it was read; meeting emails show the meeting and the AE; inbound
answers show the lead and its route. People approve, edit, reject or regenerate; a refused
message can be retried, an uncertain one resolved (`agent.sending.sender.resolve`). Every
decision is kept. Nothing reaches `approved` without passing its checks: an edit re-runs them,
and a message that fails them is flagged until it is fixed. Approval is the only door to sending.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import case, select
from sqlalchemy.orm import Session

from agent import outbox
from agent.campaign import CampaignSpec
from agent.clock import utcnow
from agent.drafting.checks import Claim, StepDraft, passed, run_checks
from agent.drafting.drafter import composed_text, context_for, write_candidates
from agent.errors import NotFound, UserError
from agent.inbound.tables import LeadRecord
from agent.meetings.tables import Meeting
from agent.replies.tables import Reply
from agent.research.brief import Brief
from agent.research.researcher import latest_brief
from agent.states import AWAITING_PERSON, Origin, OutboxState
from agent.store.tables import Campaign, OutboxMessage
from agent.workspace import Workspace

# Most urgent first: a lead waiting on a form, then people waiting on an answer, then cold steps.
URGENCY = {
    Origin.inbound_answer: 0,
    Origin.meeting_letter: 1,
    Origin.reply_answer: 2,
    Origin.notification: 3,
    Origin.sequence_step: 4,
}


class ReviewItem(BaseModel):
    """A message as a reviewer (or a script, with --json) sees it, with its evidence."""

    id: int
    origin: str
    kind: str
    audience: str
    campaign: str | None
    contact: str  # who it goes to
    contact_email: str
    title: str | None
    account: str | None
    priority: float
    step: int | None
    channel: str
    state: str
    subject: str | None
    body: str
    made_by: str
    version: int
    created_at: datetime
    claims: list[dict[str, Any]]
    sources: list[dict[str, Any]]  # the facts its claims cite
    call_snippets: list[dict[str, Any]]  # what past calls suggested; `drew_on` marks those it used
    failed_checks: list[str]
    reply: dict[str, Any] | None = None  # the reply it answers, and how it was read
    meeting: dict[str, Any] | None = None  # the meeting it is about: when, with which AE, on which calendar
    lead: dict[str, Any] | None = None  # the inbound lead it answers: its route, reasons, speed-to-lead clock
    error: str | None = None  # why a delivery failed or is uncertain


def _sources(row: OutboxMessage, brief: Brief | None) -> list[dict[str, Any]]:
    sources = []
    for claim in row.claims:
        fact = brief.fact(claim["fact_id"]) if brief else None
        if fact is not None:
            sources.append(
                {
                    "fact_id": fact.id,
                    "source": fact.source_title,
                    "kind": fact.source_kind,
                    "published_on": str(fact.published_on or ""),
                    "text": fact.text,
                }
            )
    return sources


def _reply(session: Session, reply_id: int | None) -> dict[str, Any] | None:
    reply = session.get(Reply, reply_id) if reply_id else None
    if reply is None:
        return None
    return {
        "id": reply.id,
        "from": reply.from_address,
        "received_at": reply.received_at.isoformat(),
        "text": reply.text,
        "intent": reply.intent,
        "decided_by": reply.decided_by,
        "confidence": reply.confidence,
        "needs_review": reply.needs_review,
        "fields": {k: v for k, v in reply.analysis.items() if k not in ("intent", "flags") and v},
        "flags": reply.analysis.get("flags", []),
    }


def _meeting(session: Session, meeting_id: int | None) -> dict[str, Any] | None:
    meeting = session.get(Meeting, meeting_id) if meeting_id else None
    if meeting is None:
        return None
    return {
        "id": meeting.id,
        "starts_at": meeting.starts_at.isoformat() + "Z",
        "ends_at": meeting.ends_at.isoformat() + "Z",
        "status": meeting.status,
        "ae": f"{meeting.ae_name} <{meeting.ae_email}>",
        "ae_timezone": meeting.ae_timezone,
        "prospect_timezone": meeting.prospect_timezone,
        "calendar": meeting.calendar,
    }


def _lead(session: Session, lead_id: int | None, now: datetime) -> dict[str, Any] | None:
    lead = session.get(LeadRecord, lead_id) if lead_id else None
    if lead is None:
        return None
    return {
        "id": lead.id,
        "name": lead.name,
        "company": lead.company,
        "source": lead.source,
        "route": lead.route,
        "reasons": lead.reasons,
        "received_at": lead.received_at.isoformat() + "Z",
        "waiting_seconds": round((now - lead.received_at).total_seconds()),
        "message": lead.lead.get("message", ""),
    }


def _item(session: Session, ws: Workspace, row: OutboxMessage, briefs: dict[int, Brief | None]) -> ReviewItem:
    contact = row.contact
    account_id = contact.account_id if contact else None
    if account_id is not None and account_id not in briefs:
        briefs[account_id] = latest_brief(ws, account_id)
    brief = briefs.get(account_id) if account_id is not None else None
    campaign = session.get(Campaign, row.campaign_id) if row.campaign_id else None
    return ReviewItem(
        id=row.id,
        origin=row.origin,
        kind=row.kind,
        audience=row.audience,
        campaign=campaign.name if campaign else None,
        contact=row.to_name,
        contact_email=row.to_address,
        title=contact.title if contact else None,
        account=contact.account.name if contact else None,
        priority=row.priority,
        step=row.step_number,
        channel=row.channel,
        state=row.state,
        subject=row.subject,
        body=row.body,
        made_by=row.made_by,
        version=row.version,
        created_at=row.created_at,
        claims=row.claims,
        sources=_sources(row, brief),
        call_snippets=row.snippets,
        failed_checks=[f"{c['check']}: {c['detail']}" for c in row.checks if not c["ok"]],
        reply=_reply(session, row.reply_id),
        meeting=_meeting(session, row.meeting_id),
        lead=_lead(session, row.lead_id, utcnow()),
        error=row.error,
    )


def queue_order() -> tuple[Any, ...]:
    """Most urgent first: by origin (`URGENCY`), then priority, then the sequence's own order."""
    urgency = case(URGENCY, value=OutboxMessage.origin, else_=9)
    by_priority = OutboxMessage.priority.desc()
    return urgency, by_priority, OutboxMessage.enrollment_id, OutboxMessage.step_number, OutboxMessage.id


def list_items(
    ws: Workspace,
    *,
    campaign: str | None = None,
    states: list[OutboxState] | None = None,
    origins: list[Origin] | None = None,
    min_priority: float | None = None,
    ids: list[int] | None = None,
    limit: int | None = None,
) -> list[ReviewItem]:
    """Messages, most urgent first (an inbound lead before an answer before a cold step; then by
    priority); by default everything that awaits a person."""
    query = select(OutboxMessage).order_by(*queue_order())
    if campaign:
        query = query.where(OutboxMessage.campaign_id.in_(select(Campaign.id).where(Campaign.name == campaign)))
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(ids))
    elif states is None:
        states = list(AWAITING_PERSON)
    if states:
        query = query.where(OutboxMessage.state.in_([s.value for s in states]))
    if origins:
        query = query.where(OutboxMessage.origin.in_([o.value for o in origins]))
    if min_priority is not None:
        query = query.where(OutboxMessage.priority >= min_priority)
    if limit:
        query = query.limit(limit)
    with ws.store.transaction() as session:
        briefs: dict[int, Brief | None] = {}
        return [_item(session, ws, row, briefs) for row in session.scalars(query).all()]


def item(ws: Workspace, outbox_id: int) -> ReviewItem:
    found = list_items(ws, ids=[outbox_id], states=[])
    if not found:
        raise NotFound(f"no message {outbox_id} in the outbox")
    return found[0]


def approve(ws: Workspace, outbox_ids: list[int], reviewer: str) -> list[int]:
    """Approve messages awaiting review; refuses (changing nothing) if any cannot be approved."""
    with ws.store.transaction() as session:
        return outbox.approve(session, outbox_ids, reviewer)


def bulk_approve(
    ws: Workspace,
    *,
    campaign: str,
    reviewer: str,
    min_priority: float | None = None,
    origins: list[Origin] | None = None,
) -> list[int]:
    items = list_items(
        ws, campaign=campaign, states=[OutboxState.pending_review], origins=origins, min_priority=min_priority
    )
    return approve(ws, [i.id for i in items], reviewer) if items else []


def reject(ws: Workspace, outbox_id: int, reason: str, reviewer: str) -> None:
    with ws.store.transaction() as session:
        outbox.reject(session, outbox_id, reason, reviewer)


def retry(ws: Workspace, outbox_id: int, reviewer: str) -> None:
    with ws.store.transaction() as session:
        outbox.retry(session, outbox_id, reviewer)


EDITABLE = (OutboxState.pending_review, OutboxState.flagged, OutboxState.approved)


def _step_checks(ws: Workspace, row: OutboxMessage, subject: str | None, body: str) -> list[dict[str, Any]]:
    """The drafting checks on a sequence step's new text, as it would go out."""
    assert row.enrollment is not None and row.step_number is not None
    spec = CampaignSpec.model_validate(row.enrollment.campaign.spec)
    ctx, _ = context_for(ws, row.enrollment.id, spec, utcnow().date())
    step = StepDraft(
        step_number=row.step_number,
        channel=spec.sequence[row.step_number - 1].channel,
        subject=subject,
        body=body,
        claims=[Claim(**c) for c in row.claims],
    )
    return [r.model_dump() for r in run_checks(step, ctx, composed_text(ws, ctx, step))]


def edit(ws: Workspace, outbox_id: int, *, body: str, subject: str | None, reviewer: str) -> list[str]:
    """Replace the text; a sequence step's checks run again. Returns the failures (empty: it awaits
    approval; otherwise it is flagged and cannot be approved until fixed)."""
    with ws.store.transaction() as session:
        row = outbox.get(session, outbox_id)
        if row.state not in EDITABLE:
            raise UserError(f"message {outbox_id} is {row.state}; it can no longer be edited")
        seen_version = row.version
        checks = _step_checks(ws, row, subject, body) if row.origin == Origin.sequence_step else []
    with ws.store.transaction() as session:
        row = outbox.get(session, outbox_id)
        if row.version != seen_version:
            raise outbox.Conflict(f"message {outbox_id} was changed by someone else meanwhile: your edit was not saved")
        before = outbox.snapshot(row)
        row.subject, row.body, row.version, row.checks = subject, body, row.version + 1, checks
        to = OutboxState.pending_review if all(c["ok"] for c in checks) else OutboxState.flagged
        outbox.decide(session, row, to, "edit", reviewer, before=before)
    return [f"{c['check']}: {c['detail']}" for c in checks if not c["ok"]]


def regenerate(ws: Workspace, outbox_id: int, reviewer: str, today: date | None = None) -> OutboxMessage:
    """Write a sequence step again (the model where it writes, else the template) and re-check it."""
    with ws.store.transaction() as session:
        row = outbox.get(session, outbox_id)
        if row.origin != Origin.sequence_step or row.enrollment is None or row.step_number is None:
            raise UserError(f"message {outbox_id} is a {row.origin.replace('_', ' ')}: edit it instead")
        if row.state not in EDITABLE:
            raise UserError(f"message {outbox_id} is {row.state}; it can no longer be regenerated")
        spec = CampaignSpec.model_validate(row.enrollment.campaign.spec)
        enrollment_id, step_number, campaign_id, contact_id = (
            row.enrollment.id,
            row.step_number,
            row.campaign_id,
            row.contact_id,
        )
    ctx, _ = context_for(ws, enrollment_id, spec, today or utcnow().date())
    candidate = write_candidates(
        ws, ctx, {"campaign_id": campaign_id, "account_id": ctx.account.id, "contact_id": contact_id}
    )[step_number - 1]
    with ws.store.transaction() as session:
        row = outbox.get(session, outbox_id)
        before = outbox.snapshot(row)
        d = candidate.draft
        row.subject, row.body, row.claims = d.subject, d.body, [c.model_dump() for c in d.claims]
        row.made_by, row.prompt_version = candidate.made_by, candidate.prompt_version
        row.checks = [c.model_dump() for c in candidate.checks]
        row.version += 1
        to = OutboxState.pending_review if passed(candidate.checks) else OutboxState.flagged
        outbox.decide(session, row, to, "regenerate", reviewer, before=before)
        return row


def history(ws: Workspace, outbox_id: int) -> list[dict[str, Any]]:
    with ws.store.transaction() as session:
        return outbox.history(session, outbox_id)
