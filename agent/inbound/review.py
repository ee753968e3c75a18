"""A person approves or rejects a queued first answer, whichever path holds it, and an approved one goes out.

The answer is approved where it lives (a meeting message, a reply response, the desk's letter),
so each path's own sender sends it, once, and not to a suppressed address. The lead's row then
says what happened to it.
"""

from __future__ import annotations

from sqlalchemy import select

from agent.clock import utcnow
from agent.errors import NotFound, UserError
from agent.inbound.delivery import send_letter
from agent.inbound.tables import AnswerState, AnswerVia, LeadRecord
from agent.store.db import record_event
from agent.workspace import Workspace


def _queued(ws: Workspace, lead_ids: list[int]) -> list[tuple[int, str, int | None]]:
    """(lead, via, ref) for each lead, refusing (changing nothing) if any has no answer awaiting review."""
    with ws.store.transaction() as session:
        rows = []
        for lead_id in lead_ids:
            row = session.get(LeadRecord, lead_id)
            if row is None:
                raise NotFound(f"no inbound lead {lead_id}")
            if row.answer_state != AnswerState.pending_review or row.answer_via is None:
                raise UserError(
                    f"lead {lead_id}'s first answer is {row.answer_state}, not pending_review: nothing changed"
                )
            rows.append((row.id, row.answer_via, row.answer_ref))
        return rows


def _settle(ws: Workspace, lead_id: int, state: AnswerState, reviewer: str, reason: str | None = None) -> None:
    with ws.store.transaction() as session:
        row = session.get_one(LeadRecord, lead_id)
        row.answer_state, row.reviewer = state, reviewer
        if state is AnswerState.sent:
            row.sent_at = row.sent_at or utcnow()
        row.needs_review = False
        record_event(
            session,
            "inbound_answer_reviewed",
            campaign_id=row.campaign_id,
            contact_id=row.contact_id,
            data={"lead": lead_id, "state": state, "reviewer": reviewer, "reason": reason},
        )


def approve(ws: Workspace, lead_ids: list[int], reviewer: str) -> dict[int, AnswerState]:
    """Approve and send; returns the state each answer ended in."""
    from agent.meetings import outbox
    from agent.meetings.tables import MeetingMessage
    from agent.replies import responses
    from agent.replies.tables import Response

    done: dict[int, AnswerState] = {}
    for lead_id, via, ref in _queued(ws, lead_ids):
        if via == AnswerVia.letter:
            with ws.store.transaction() as session:
                row = session.get_one(LeadRecord, lead_id)
                row.answer_state, row.reviewer = AnswerState.approved, reviewer
            done[lead_id] = send_letter(ws, lead_id, utcnow())
        elif via == AnswerVia.meeting and ref is not None:
            outbox.review(ws, [ref], approve=True, reviewer=reviewer)
            outbox.deliver(ws, [ref])
            with ws.store.transaction() as session:
                state = session.get_one(MeetingMessage, ref).state
            done[lead_id] = AnswerState.of(state)
        elif ref is not None:
            responses.decide(ws, ref, approve=True, reviewer=reviewer)
            responses.send_responses(ws)
            with ws.store.transaction() as session:
                state = session.scalar(select(Response.state).where(Response.id == ref))
            done[lead_id] = AnswerState.of(str(state))
        _settle(ws, lead_id, done[lead_id], reviewer)
    return done


def reject(ws: Workspace, lead_ids: list[int], reviewer: str, reason: str) -> None:
    from agent.meetings import outbox
    from agent.replies import responses

    if not reason.strip():
        raise UserError("a rejection needs a reason")
    for lead_id, via, ref in _queued(ws, lead_ids):
        if via == AnswerVia.meeting and ref is not None:
            outbox.review(ws, [ref], approve=False, reviewer=reviewer, reason=reason)
        elif via == AnswerVia.response and ref is not None:
            responses.decide(ws, ref, approve=False, reviewer=reviewer)
        _settle(ws, lead_id, AnswerState.rejected, reviewer, reason)
