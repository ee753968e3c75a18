"""What the desk did with a lead, as callers see it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy.orm import Session

from agent.drafting.checks import CheckResult
from agent.inbound.tables import AnswerState, AnswerVia, LeadRecord, Route
from agent.states import Origin
from agent.store.tables import OutboxMessage


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
    answer_id: int | None = None  # the first answer in the outbox
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


def via_of(message: OutboxMessage) -> AnswerVia:
    if message.origin == Origin.meeting_letter:
        return AnswerVia.meeting
    return AnswerVia(message.kind) if message.kind in AnswerVia.__members__ else AnswerVia.letter


def answer_state(row: LeadRecord, message: OutboxMessage | None) -> AnswerState:
    if message is not None:
        return AnswerState(message.state)
    return AnswerState.failed if row.error else AnswerState.none


def summary_of(session: Session, row: LeadRecord) -> LeadAnswer:
    message = session.get(OutboxMessage, row.answer_id) if row.answer_id else None
    return LeadAnswer(
        lead_id=row.id, email=row.email, route=Route(row.route) if row.route else None, reasons=list(row.reasons),
        disposition=row.disposition, disposition_reason=row.disposition_reason, answer=answer_state(row, message),
        via=via_of(message) if message else None, answer_id=row.answer_id,
        subject=message.subject if message else None, body=message.body if message else None,
        checks=[CheckResult.model_validate(c) for c in message.checks] if message else [],
        speed_to_lead_seconds=row.speed_to_lead_seconds, needs_review=row.needs_review,
        duplicate_of=row.duplicate_of, fit=row.fit, priority=row.priority, persona=row.persona, intent=row.intent,
        flags=list(row.flags), error=row.error,
    )  # fmt: skip
