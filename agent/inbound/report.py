"""The inbound desk at a glance: every lead, its route and first answer, and speed-to-lead (p50/p95)."""

from __future__ import annotations

import math
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agent.inbound.outcome import answer_state, via_of
from agent.inbound.tables import AnswerState, LeadRecord
from agent.store.tables import OutboxMessage
from agent.workspace import Workspace


class LeadRow(BaseModel):
    id: int
    received_at: datetime
    name: str
    email: str
    company: str | None
    source: str
    route: str | None
    reason: str
    answer: str
    via: str | None
    speed_to_lead_seconds: float | None
    needs_review: bool
    duplicate_of: int | None


class SpeedToLead(BaseModel):
    """Seconds from the form to the first answer: over every answer sent or queued, and over those sent."""

    leads: int
    answered: int
    p50_seconds: float | None
    p95_seconds: float | None
    sent: int
    sent_p50_seconds: float | None
    sent_p95_seconds: float | None
    by_route: dict[str, int]


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile: a value that actually occurred."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(share * len(ordered)) - 1)], 3)


def list_leads(
    ws: Workspace, *, route: str | None = None, needs_review: bool = False, limit: int | None = None
) -> list[LeadRow]:
    query = select(LeadRecord).order_by(LeadRecord.id.desc())
    if route:
        query = query.where(LeadRecord.route == route)
    if needs_review:
        query = query.where(LeadRecord.needs_review.is_(True))
    with ws.store.transaction() as session:
        rows = session.scalars(query.limit(limit) if limit else query).all()
        return [_row(session, r) for r in rows]


def _row(session: Session, r: LeadRecord) -> LeadRow:
    message = session.get(OutboxMessage, r.answer_id) if r.answer_id else None
    return LeadRow(
        id=r.id, received_at=r.received_at, name=r.name, email=r.email, company=r.company, source=r.source,
        route=r.route, reason=r.disposition_reason or "; ".join(r.reasons), answer=answer_state(r, message),
        via=via_of(message) if message else None, speed_to_lead_seconds=r.speed_to_lead_seconds,
        needs_review=r.needs_review, duplicate_of=r.duplicate_of,
    )  # fmt: skip


def speed_to_lead(ws: Workspace) -> SpeedToLead:
    with ws.store.transaction() as session:
        timed = session.execute(
            select(LeadRecord.speed_to_lead_seconds, OutboxMessage.state)
            .outerjoin(OutboxMessage, OutboxMessage.id == LeadRecord.answer_id)
            .where(LeadRecord.speed_to_lead_seconds.is_not(None))
        ).all()
        routes = dict(session.execute(select(LeadRecord.route, func.count()).group_by(LeadRecord.route)).all())
        total = session.scalar(select(func.count()).select_from(LeadRecord)) or 0
    answered = [s for s, _ in timed if s is not None]
    sent = [s for s, state in timed if s is not None and state == AnswerState.sent]
    return SpeedToLead(
        leads=total,
        answered=len(answered),
        p50_seconds=percentile(answered, 0.5),
        p95_seconds=percentile(answered, 0.95),
        sent=len(sent),
        sent_p50_seconds=percentile(sent, 0.5),
        sent_p95_seconds=percentile(sent, 0.95),
        by_route={str(k or "unrouted"): v for k, v in routes.items()},
    )
