"""A campaign at a glance: what it achieved (replies, meetings, handoffs the AEs accepted), its
outbox by origin and state, and what the model cost."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select

from agent.clock import utcnow
from agent.meetings.tables import Meeting, MeetingStatus
from agent.replies.model import Intent
from agent.replies.tables import Disposition, Handoff, Reply
from agent.sending import health
from agent.states import Origin, OutboxState
from agent.store.tables import (
    Account,
    Brief,
    Campaign,
    Contact,
    Enrollment,
    LlmCall,
    OutboxMessage,
    Suppression,
)
from agent.suppression import HELD
from agent.workspace import Workspace


class ModelUsage(BaseModel):
    calls: int
    failed_calls: int
    tokens_in: int
    tokens_out: int
    model_seconds: float
    by_task: dict[str, dict[str, Any]]
    endpoint_problem: str | None = None  # the model endpoint could not serve, and has not since


FAILED = ("invalid", "error", "unusable")


class Results(BaseModel):
    """The outcomes sales development is judged on; activity counts are for coaching, not the goal."""

    contacted: int  # contacts sent at least one step
    replied: int  # contacts who answered (bounces and out-of-office notes are not answers)
    reply_rate: float | None
    positive: int  # contacts who showed interest, asked, or asked to meet
    opted_out: int
    bounced: int
    meetings_booked: int  # on an AE's calendar (held, upcoming, or missed)
    meetings_held: int
    no_shows: int
    show_rate: float | None  # held / (held + no-shows)
    handoffs: int
    handoffs_accepted: int  # the AE created an opportunity
    handoffs_open: int
    acceptance_rate: float | None  # accepted / closed


class CampaignStatus(BaseModel):
    campaign: str
    results: Results
    enrolled: int
    enrollments: dict[str, int]
    outbox: dict[str, dict[str, int]]  # origin -> state -> messages
    model: ModelUsage
    per_lead: dict[str, float]
    paused: dict[str, str] = {}  # mailbox (or "campaign") -> why a circuit breaker stopped it


class WorkspaceStatus(BaseModel):
    accounts: int
    accounts_researched: int
    contacts: int
    suppressed: int
    held: int = 0  # addresses held as possible opt-outs until a person decides (`sdr replies decide`)
    chat_model: str  # provider:model, or "none"
    campaigns: list[CampaignStatus]


def _group(session: Any, column: Any, *where: Any) -> dict[str, int]:
    rows = session.execute(select(column, func.count()).where(*where).group_by(column)).all()
    return {str(key): count for key, count in rows}


def _usage(session: Any, campaign_id: int | None) -> ModelUsage:
    where = [LlmCall.campaign_id == campaign_id] if campaign_id is not None else []
    rows = session.execute(
        select(
            LlmCall.task,
            func.count(),
            func.sum(LlmCall.tokens_in),
            func.sum(LlmCall.tokens_out),
            func.sum(LlmCall.latency_ms),
        )
        .where(*where)
        .group_by(LlmCall.task)
    ).all()
    by_task = {
        task: {"calls": n, "tokens_in": ti or 0, "tokens_out": to or 0, "seconds": round((ms or 0) / 1000, 2)}
        for task, n, ti, to, ms in rows
    }
    failed = session.scalar(select(func.count()).select_from(LlmCall).where(*where, LlmCall.outcome.in_(FAILED))) or 0
    return ModelUsage(
        calls=sum(t["calls"] for t in by_task.values()),
        failed_calls=failed,
        tokens_in=sum(t["tokens_in"] for t in by_task.values()),
        tokens_out=sum(t["tokens_out"] for t in by_task.values()),
        model_seconds=round(sum(t["seconds"] for t in by_task.values()), 2),
        by_task=by_task,
        endpoint_problem=_endpoint_problem(session),
    )


def _endpoint_problem(session: Any) -> str | None:
    """The last time a model endpoint could not serve a task at all, unless that model has answered
    since. Workspace-wide: an endpoint fails every campaign alike."""
    unusable = session.scalars(select(LlmCall).where(LlmCall.outcome == "unusable").order_by(LlmCall.id.desc())).first()
    if unusable is None:
        return None
    answered_since = session.scalar(
        select(func.count())
        .select_from(LlmCall)
        .where(LlmCall.id > unusable.id, LlmCall.model == unusable.model, LlmCall.outcome.in_(("ok", "repaired")))
    )
    return None if answered_since else f"{unusable.at:%Y-%m-%d %H:%M} UTC: {unusable.error}"


POSITIVE = {Intent.interested, Intent.question, Intent.meeting_request}
NOT_ANSWERS = {Intent.bounce, Intent.out_of_office}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def _results(session: Any, campaign_id: int, now: datetime) -> Results:
    contacted = session.scalar(
        select(func.count(func.distinct(OutboxMessage.contact_id))).where(
            OutboxMessage.campaign_id == campaign_id,
            OutboxMessage.origin == Origin.sequence_step,
            OutboxMessage.state == OutboxState.sent,
        )
    )

    def contacts_replying(intents: set[Intent], *, exclude: bool = False) -> int:
        chosen = Reply.intent.not_in(intents) if exclude else Reply.intent.in_(intents)
        return session.scalar(
            select(func.count(func.distinct(Reply.contact_id))).where(Reply.campaign_id == campaign_id, chosen)
        )

    meetings = _group(session, Meeting.status, Meeting.campaign_id == campaign_id)
    held = session.scalar(
        select(func.count()).where(
            Meeting.campaign_id == campaign_id, Meeting.status == MeetingStatus.booked, Meeting.ends_at < now
        )
    )
    no_shows = meetings.get(MeetingStatus.no_show, 0)
    handoffs = _group(session, func.coalesce(Handoff.disposition, "open"), Handoff.campaign_id == campaign_id)
    accepted = handoffs.get(Disposition.opportunity_created, 0)
    replied = contacts_replying(NOT_ANSWERS, exclude=True)
    return Results(
        contacted=contacted,
        replied=replied,
        reply_rate=_rate(replied, contacted),
        positive=contacts_replying(POSITIVE),
        opted_out=contacts_replying({Intent.unsubscribe}),
        bounced=contacts_replying({Intent.bounce}),
        meetings_booked=meetings.get(MeetingStatus.booked, 0) + no_shows,
        meetings_held=held,
        no_shows=no_shows,
        show_rate=_rate(held, held + no_shows),
        handoffs=sum(handoffs.values()),
        handoffs_accepted=accepted,
        handoffs_open=handoffs.get("open", 0),
        acceptance_rate=_rate(accepted, sum(handoffs.values()) - handoffs.get("open", 0)),
    )


def campaign_status(ws: Workspace, name: str | None = None, now: datetime | None = None) -> WorkspaceStatus:
    """`now` (naive UTC, default the clock) decides which booked meetings were held."""
    now = now or utcnow()
    with ws.store.transaction() as session:
        campaigns = session.scalars(
            select(Campaign).where(Campaign.name == name) if name else select(Campaign).order_by(Campaign.id)
        ).all()
        out = []
        for campaign in campaigns:
            enrollments = _group(session, Enrollment.state, Enrollment.campaign_id == campaign.id)
            enrolled = sum(enrollments.values())
            by_origin: dict[str, dict[str, int]] = {}
            for origin, state, count in session.execute(
                select(OutboxMessage.origin, OutboxMessage.state, func.count())
                .where(OutboxMessage.campaign_id == campaign.id)
                .group_by(OutboxMessage.origin, OutboxMessage.state)
            ):
                by_origin.setdefault(str(origin), {})[str(state)] = count
            # Research is per account and shared by campaigns; charge it to this campaign's leads too.
            usage = _usage(session, campaign.id)
            research = _usage(session, None).by_task
            for task in ("account_summary", "research_brief"):
                if task in research:
                    usage.by_task[task] = research[task]
            usage.calls = sum(t["calls"] for t in usage.by_task.values())
            usage.tokens_in = sum(t["tokens_in"] for t in usage.by_task.values())
            usage.tokens_out = sum(t["tokens_out"] for t in usage.by_task.values())
            usage.model_seconds = round(sum(t["seconds"] for t in usage.by_task.values()), 2)
            per_lead = {}
            if enrolled:
                per_lead = {
                    "llm_calls": round(usage.calls / enrolled, 2),
                    "tokens": round((usage.tokens_in + usage.tokens_out) / enrolled, 1),
                    "model_seconds": round(usage.model_seconds / enrolled, 2),
                }
            out.append(
                CampaignStatus(
                    campaign=campaign.name,
                    results=_results(session, campaign.id, now),
                    enrolled=enrolled,
                    enrollments=enrollments,
                    outbox=by_origin,
                    model=usage,
                    per_lead=per_lead,
                    paused={box or "campaign": p.reason for box, p in health.pauses(session, campaign.id).items()},
                )
            )
        return WorkspaceStatus(
            accounts=session.scalar(select(func.count()).select_from(Account)) or 0,
            accounts_researched=session.scalar(select(func.count(func.distinct(Brief.account_id)))) or 0,
            contacts=session.scalar(select(func.count()).select_from(Contact)) or 0,
            suppressed=session.scalar(select(func.count()).where(Suppression.reason != HELD)) or 0,
            held=session.scalar(select(func.count()).where(Suppression.reason == HELD)) or 0,
            chat_model=ws.settings.model_spec,
            campaigns=out,
        )
