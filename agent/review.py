"""Review: people approve, edit, reject or regenerate drafts; every decision is kept.

Nothing reaches `approved` without passing the checks: an edit re-runs them, and a draft that
fails them is flagged until it is fixed. Approval is the only door to sending.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agent.campaign import CampaignSpec
from agent.clock import utcnow
from agent.drafting.checks import Claim, StepDraft, passed, run_checks
from agent.drafting.drafter import composed_text, context_for, write_candidates
from agent.errors import NotFound, UserError
from agent.research.researcher import latest_brief
from agent.store.db import record_event
from agent.store.tables import Campaign, Contact, Draft, DraftState, Enrollment, Review
from agent.workspace import Workspace


class DraftView(BaseModel):
    """A draft as a reviewer (or a script, with --json) sees it."""

    id: int
    campaign: str
    contact: str
    contact_email: str
    title: str | None
    account: str
    priority: float
    step: int
    channel: str
    state: str
    subject: str | None
    body: str
    made_by: str
    version: int
    claims: list[dict[str, Any]]
    sources: list[dict[str, Any]]
    call_snippets: list[dict[str, Any]]  # what past calls suggested; `drew_on` marks those the draft used
    failed_checks: list[str]


def _view(ws: Workspace, draft: Draft, briefs: dict[int, Any]) -> DraftView:
    enrollment = draft.enrollment
    contact = enrollment.contact
    brief = briefs.get(contact.account_id)
    if contact.account_id not in briefs:
        brief = briefs[contact.account_id] = latest_brief(ws, contact.account_id)
    sources = []
    for claim in draft.claims:
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
    return DraftView(
        id=draft.id,
        campaign=enrollment.campaign.name,
        contact=contact.full_name,
        contact_email=contact.email,
        title=contact.title,
        account=contact.account.name,
        priority=enrollment.priority,
        step=draft.step_number,
        channel=draft.channel,
        state=draft.state,
        subject=draft.subject,
        body=draft.body,
        made_by=draft.made_by,
        version=draft.version,
        claims=draft.claims,
        sources=sources,
        call_snippets=draft.snippets,
        failed_checks=[f"{c['check']}: {c['detail']}" for c in draft.checks if not c["ok"]],
    )


def list_drafts(
    ws: Workspace,
    *,
    campaign: str | None = None,
    states: list[DraftState] | None = None,
    min_priority: float | None = None,
    limit: int | None = None,
) -> list[DraftView]:
    with ws.store.transaction() as session:
        query = (
            select(Draft)
            .join(Enrollment)
            .join(Campaign)
            .order_by(Enrollment.priority.desc(), Enrollment.id, Draft.step_number)
        )
        if campaign:
            query = query.where(Campaign.name == campaign)
        if states:
            query = query.where(Draft.state.in_([s.value for s in states]))
        if min_priority is not None:
            query = query.where(Enrollment.priority >= min_priority)
        if limit:
            query = query.limit(limit)
        briefs: dict[int, Any] = {}
        return [_view(ws, d, briefs) for d in session.scalars(query).all()]


def waiting_elsewhere(ws: Workspace) -> dict[str, int]:
    """What else awaits a person's approval, in the queues beside this one."""
    from agent.meetings.tables import MeetingMessage
    from agent.replies.tables import Response

    with ws.store.transaction() as session:
        counts = {
            "reply answers (sdr replies responses)": session.scalar(
                select(func.count()).select_from(Response).where(Response.state == "pending_review")
            ),
            "meeting emails (sdr meetings messages)": session.scalar(
                select(func.count()).select_from(MeetingMessage).where(MeetingMessage.state == "pending_review")
            ),
        }
    return {queue: n for queue, n in counts.items() if n}


def _get(session: Session, draft_id: int) -> Draft:
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise NotFound(f"no draft {draft_id}")
    return draft


def _snapshot(draft: Draft) -> dict[str, Any]:
    return {"subject": draft.subject, "body": draft.body, "state": draft.state, "version": draft.version}


def _decide(
    session: Session,
    draft: Draft,
    action: str,
    reviewer: str,
    reason: str | None = None,
    before: dict[str, Any] | None = None,
) -> None:
    session.add(
        Review(
            draft_id=draft.id,
            action=action,
            reviewer=reviewer,
            reason=reason,
            before=before,
            after=_snapshot(draft),
        )
    )
    record_event(
        session,
        f"draft_{action}",
        campaign_id=draft.enrollment.campaign_id,
        contact_id=draft.enrollment.contact_id,
        draft_id=draft.id,
        data={"reviewer": reviewer},
    )


def approve(ws: Workspace, draft_ids: list[int], reviewer: str) -> list[int]:
    """Approve drafts awaiting review; refuses (changing nothing) if any cannot be approved."""
    with ws.store.transaction() as session:
        drafts = [_get(session, i) for i in draft_ids]
        for draft in drafts:
            if draft.state != DraftState.pending_review:
                raise UserError(f"draft {draft.id} is {draft.state}, not pending_review: nothing approved")
        for draft in drafts:
            before = _snapshot(draft)
            draft.state = DraftState.approved
            _decide(session, draft, "approve", reviewer, before=before)
        return [d.id for d in drafts]


def bulk_approve(ws: Workspace, *, campaign: str, reviewer: str, min_priority: float | None = None) -> list[int]:
    views = list_drafts(ws, campaign=campaign, states=[DraftState.pending_review], min_priority=min_priority)
    return approve(ws, [v.id for v in views], reviewer) if views else []


def reject(ws: Workspace, draft_id: int, reason: str, reviewer: str) -> None:
    if not reason.strip():
        raise UserError("a rejection needs a reason (it teaches the next draft)")
    with ws.store.transaction() as session:
        draft = _get(session, draft_id)
        if draft.state in (DraftState.sent, DraftState.cancelled):
            raise UserError(f"draft {draft_id} is {draft.state}; it can no longer be rejected")
        before = _snapshot(draft)
        draft.state = DraftState.rejected
        _decide(session, draft, "reject", reviewer, reason, before)


def _spec(draft: Draft) -> CampaignSpec:
    return CampaignSpec.model_validate(draft.enrollment.campaign.spec)


def edit(ws: Workspace, draft_id: int, *, body: str, subject: str | None, reviewer: str) -> list[str]:
    """Replace the text; the checks run again. Returns the failures (empty: awaiting approval)."""
    with ws.store.transaction() as session:
        draft = _get(session, draft_id)
        if draft.state in (DraftState.sent, DraftState.cancelled):
            raise UserError(f"draft {draft_id} is {draft.state}; it can no longer be edited")
        spec, enrollment_id = _spec(draft), draft.enrollment_id
        claims = draft.claims
    ctx, _ = context_for(ws, enrollment_id, spec, utcnow().date())
    step = StepDraft(
        step_number=draft.step_number,
        channel=spec.sequence[draft.step_number - 1].channel,
        subject=subject,
        body=body,
        claims=[Claim(**c) for c in claims],
    )
    results = run_checks(step, ctx, composed_text(ws, ctx, step))
    with ws.store.transaction() as session:
        draft = _get(session, draft_id)
        before = _snapshot(draft)
        draft.subject, draft.body, draft.version = subject, body, draft.version + 1
        draft.checks = [r.model_dump() for r in results]
        draft.state = DraftState.pending_review if passed(results) else DraftState.flagged
        _decide(session, draft, "edit", reviewer, before=before)
    return [f"{r.check}: {r.detail}" for r in results if not r.ok]


def regenerate(ws: Workspace, draft_id: int, reviewer: str, today: date | None = None) -> Draft:
    """Write this step again (the model where it writes, else the template) and re-check it."""
    with ws.store.transaction() as session:
        draft = _get(session, draft_id)
        if draft.state in (DraftState.sent, DraftState.cancelled):
            raise UserError(f"draft {draft_id} is {draft.state}; it can no longer be regenerated")
        spec, enrollment_id, step_number = _spec(draft), draft.enrollment_id, draft.step_number
        campaign_id, contact_id = draft.enrollment.campaign_id, draft.enrollment.contact_id
    ctx, _ = context_for(ws, enrollment_id, spec, today or utcnow().date())
    candidate = write_candidates(
        ws, ctx, {"campaign_id": campaign_id, "account_id": ctx.account.id, "contact_id": contact_id}
    )[step_number - 1]
    with ws.store.transaction() as session:
        draft = _get(session, draft_id)
        before = _snapshot(draft)
        d = candidate.draft
        draft.subject, draft.body, draft.claims = d.subject, d.body, [c.model_dump() for c in d.claims]
        draft.made_by, draft.prompt_version = candidate.made_by, candidate.prompt_version
        draft.checks = [c.model_dump() for c in candidate.checks]
        draft.version += 1
        draft.state = DraftState.pending_review if passed(candidate.checks) else DraftState.flagged
        _decide(session, draft, "regenerate", reviewer, before=before)
        return draft


def history(ws: Workspace, draft_id: int) -> list[dict[str, Any]]:
    with ws.store.transaction() as session:
        _get(session, draft_id)
        rows = session.scalars(select(Review).where(Review.draft_id == draft_id).order_by(Review.id)).all()
        return [{"action": r.action, "reviewer": r.reviewer, "reason": r.reason, "at": r.at.isoformat()} for r in rows]


__all__ = [
    "Contact",
    "DraftView",
    "approve",
    "bulk_approve",
    "edit",
    "history",
    "list_drafts",
    "regenerate",
    "reject",
]
