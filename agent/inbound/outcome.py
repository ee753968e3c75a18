"""What the desk did with a lead, as callers see it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from agent.drafting.checks import CheckResult
from agent.inbound.tables import AnswerState, AnswerVia, LeadRecord, Route


class LeadAnswer(BaseModel):
    """What the desk did with one lead."""

    lead_id: int
    email: str
    route: Route | None
    reasons: list[str]
    disposition: str | None = None
    disposition_reason: str | None = None
    answer: AnswerState
    via: AnswerVia | None = None
    answer_ref: int | None = None
    subject: str | None = None
    body: str | None = None
    slots: list[datetime] = []
    checks: list[CheckResult] = []
    speed_to_lead_seconds: float | None = None
    needs_review: bool = False
    duplicate_of: int | None = None
    fit: float | None = None
    priority: float | None = None
    persona: str | None = None
    intent: str | None = None
    flags: list[str] = []
    error: str | None = None


def note(answer: LeadAnswer) -> tuple[str, str]:
    subject = f"Inbound lead #{answer.lead_id} ({answer.email}): {answer.route}"
    speed = f", {answer.speed_to_lead_seconds:.1f} s after the form" if answer.speed_to_lead_seconds else ""
    lines = [
        f"Lead #{answer.lead_id}: {answer.email}",
        f"Route: {answer.route} ({'; '.join(answer.reasons)})",
        f"First answer: {answer.answer}{speed}",
        *(
            [f"Needs a person: {answer.error or 'see `sdr inbound list --needs-review`'}"]
            if answer.needs_review
            else []
        ),
        "",
        "See `sdr inbound list` for every lead and its speed-to-lead.",
    ]
    return subject, "\n".join(lines)


def summary_of(row: LeadRecord) -> LeadAnswer:
    return LeadAnswer(
        lead_id=row.id, email=row.email, route=Route(row.route) if row.route else None, reasons=list(row.reasons),
        disposition=row.disposition, disposition_reason=row.disposition_reason, answer=AnswerState(row.answer_state),
        via=AnswerVia(row.answer_via) if row.answer_via else None, answer_ref=row.answer_ref,
        subject=row.answer_subject, body=row.answer_body,
        checks=[CheckResult.model_validate(c) for c in row.checks],
        speed_to_lead_seconds=row.speed_to_lead_seconds, needs_review=row.needs_review,
        duplicate_of=row.duplicate_of, fit=row.fit, priority=row.priority, persona=row.persona, intent=row.intent,
        flags=list(row.flags), error=row.error,
    )  # fmt: skip
