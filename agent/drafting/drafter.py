"""Draft a contact's sequence, check every step, and put it where the review policy says.

The model writes when the campaign allows it and the model can write; a step that still fails
its checks after the allowed rewrites falls back to the campaign's template, and a step that
fails there too is flagged for a human and never sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from agent import outbox
from agent.campaign import CampaignSpec, Channel
from agent.campaign.mailboxes import mailbox_for
from agent.drafting.calls import call_snippets, provenance
from agent.drafting.checks import CheckResult, StepDraft, passed, run_checks
from agent.drafting.compliance import compose_body, unsubscribe_url
from agent.drafting.context import DraftContext
from agent.drafting.proof import used_proof
from agent.drafting.templates import TemplateProblem, render_step
from agent.drafting.writer import write_sequence
from agent.errors import ModelError
from agent.prompts import load_prompt
from agent.research.researcher import latest_brief
from agent.states import Origin
from agent.store.db import record_event
from agent.store.tables import Enrollment, OutboxMessage
from agent.workspace import Workspace


@dataclass
class Candidate:
    draft: StepDraft
    checks: list[CheckResult]
    made_by: str
    prompt_version: str | None = None
    snippets: list[dict[str, Any]] = field(default_factory=list)  # past calls it was given / drew on


def composed_text(ws: Workspace, ctx: DraftContext, draft: StepDraft) -> str:
    """The text as it will go out: an email's body carries the compliance footer."""
    if draft.channel is not Channel.email:
        return draft.body
    link = unsubscribe_url(ctx.spec.sender, ctx.contact.email, ctx.spec.name, ws.unsubscribe_secret)
    return compose_body(draft.body, ctx.spec.sender, link)


def _said(draft: StepDraft) -> str:
    return f"{draft.subject or ''}\n{draft.body}"


def _checked(ws: Workspace, ctx: DraftContext, draft: StepDraft, made_by: str, version: str | None = None) -> Candidate:
    return Candidate(draft, run_checks(draft, ctx, composed_text(ws, ctx, draft)), made_by, version)


def _template(ws: Workspace, ctx: DraftContext, step_number: int) -> Candidate:
    try:
        draft, quoted = render_step(ctx, step_number)
        candidate = _checked(ws, ctx, draft, "template")
        candidate.snippets = provenance(ctx.snippets, quoted) + used_proof(ctx.spec, ctx.proof, _said(draft))
        return candidate
    except TemplateProblem as exc:
        step = ctx.spec.sequence[step_number - 1]
        empty = StepDraft(step_number=step_number, channel=step.channel, subject=step.subject, body="")
        return Candidate(empty, [CheckResult(check="template", ok=False, detail=str(exc))], "template")


def uses_model(ws: Workspace, spec: CampaignSpec) -> bool:
    mode = spec.drafting.mode
    return mode == "model" or (mode == "auto" and ws.llm.handle.capable_writer)


def write_candidates(
    ws: Workspace, ctx: DraftContext, subject: dict[str, int | None], attempts: list[list[Candidate]] | None = None
) -> list[Candidate]:
    """One candidate per step, the best this contact can get. `attempts`, if given, receives every
    model attempt's candidates (evals score the model's first answer, before any rewrite)."""
    steps = range(1, len(ctx.spec.sequence) + 1)
    if not uses_model(ws, ctx.spec):
        return [_template(ws, ctx, n) for n in steps]
    best: dict[int, Candidate] = {}
    feedback: list[str] = []
    version = load_prompt("draft_sequence").version_tag
    for _ in range(ctx.spec.drafting.max_attempts):
        try:
            written, drew_on = write_sequence(ws.llm, ctx, feedback, subject)
        except ModelError as exc:
            feedback = [f"the previous answer failed: {exc}"]
            continue
        attempt = [_checked(ws, ctx, draft, f"model:{ws.llm.name}", version) for draft in written]
        for candidate in attempt:
            candidate.snippets = provenance(ctx.snippets, drew_on) + used_proof(
                ctx.spec, ctx.proof, _said(candidate.draft)
            )
        if attempts is not None:
            attempts.append(attempt)
        for candidate in attempt:
            draft = candidate.draft
            if draft.step_number not in best or passed(candidate.checks):
                best[draft.step_number] = candidate
        failing = [c for c in best.values() if not passed(c.checks)]
        if len(best) == len(ctx.spec.sequence) and not failing:
            break
        feedback = [f"step {c.draft.step_number}: {r.check}: {r.detail}" for c in failing for r in c.checks if not r.ok]
    out = []
    for n in steps:
        best_written = best.get(n)
        if best_written is not None and passed(best_written.checks):
            out.append(best_written)
            continue
        fallback = _template(ws, ctx, n)
        out.append(fallback if best_written is None or passed(fallback.checks) else best_written)
    return out


def _approved_by(candidate: Candidate, spec: CampaignSpec, priority: float) -> str | None:
    """The policy that lets a step go without a person, if the campaign states one."""
    review = spec.review
    auto = review.policy == "auto_above_score" and priority >= (review.auto_approve_min_priority or 101)
    return "policy:auto_above_score" if auto and passed(candidate.checks) else None


def store_candidates(
    session: Session, enrollment: Enrollment, spec: CampaignSpec, candidates: list[Candidate]
) -> list[OutboxMessage]:
    """Queue the sequence's steps: each awaits a person, or is approved by the campaign's policy."""
    contact = enrollment.contact
    box = mailbox_for(spec.sender.all_mailboxes(), contact.id)  # the whole thread goes out from one mailbox
    sender = (box.name or spec.sender.name, box.email)
    steps = []
    for candidate in candidates:
        d = candidate.draft
        steps.append(
            outbox.queue(
                session,
                outbox.Envelope(sender, (contact.full_name, contact.email), channel=d.channel.value),
                outbox.Origins(
                    Origin.sequence_step,
                    "step",
                    campaign_id=enrollment.campaign_id,
                    contact_id=contact.id,
                    enrollment_id=enrollment.id,
                    step_number=d.step_number,
                ),
                outbox.Content(
                    d.subject,
                    d.body,
                    claims=[c.model_dump() for c in d.claims],
                    checks=[c.model_dump() for c in candidate.checks],
                    snippets=candidate.snippets,
                    made_by=candidate.made_by,
                    prompt_version=candidate.prompt_version,
                ),
                approved_by=_approved_by(candidate, spec, enrollment.priority),
                priority=enrollment.priority,
            )
        )
    record_event(
        session,
        "drafted",
        campaign_id=enrollment.campaign_id,
        contact_id=enrollment.contact_id,
        data={
            "steps": len(steps),
            "states": [s.state for s in steps],
            "made_by": sorted({s.made_by for s in steps}),
        },
    )
    return steps


def context_for(ws: Workspace, enrollment_id: int, spec: CampaignSpec, today: date) -> tuple[DraftContext, Enrollment]:
    with ws.store.transaction() as session:
        enrollment = session.get_one(Enrollment, enrollment_id)
        contact = enrollment.contact
        account = contact.account
        session.expunge_all()
    brief = latest_brief(ws, account.id)
    ctx = DraftContext.build(spec, account, contact, brief, today)
    ctx.snippets = call_snippets(ws, ctx)
    return ctx, enrollment


def draft_enrollment(ws: Workspace, enrollment_id: int, spec: CampaignSpec, today: date) -> list[OutboxMessage]:
    ctx, enrollment = context_for(ws, enrollment_id, spec, today)
    subject: dict[str, int | None] = {
        "campaign_id": enrollment.campaign_id,
        "account_id": ctx.account.id,
        "contact_id": ctx.contact.id,
    }
    candidates = write_candidates(ws, ctx, subject)
    with ws.store.transaction() as session:
        enrollment = session.get_one(Enrollment, enrollment_id)
        if enrollment.steps:  # another process drafted it meanwhile
            return list(enrollment.steps)
        return store_candidates(session, enrollment, spec, candidates)
