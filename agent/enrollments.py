"""Stopping a sequence: any reply, bounce or opt-out ends automatic follow-ups to that person."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from agent.states import UNSENT, OutboxState
from agent.store.db import record_event
from agent.store.tables import Enrollment, EnrollmentState, OutboxMessage


def stop_sequences(session: Session, contact_ids: list[int], reason: str) -> int:
    """Stop the contacts' active or paused sequences and cancel their unsent steps."""
    enrollments = session.scalars(
        select(Enrollment).where(
            Enrollment.contact_id.in_(contact_ids),
            Enrollment.state.in_([EnrollmentState.active, EnrollmentState.paused]),
        )
    ).all()
    for enrollment in enrollments:
        stop_sequence(session, enrollment, reason)
    return len(enrollments)


def stop_sequence(session: Session, enrollment: Enrollment, reason: str) -> None:
    """Stop one sequence and cancel its unsent steps."""
    enrollment.state, enrollment.stop_reason = EnrollmentState.stopped, reason
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.enrollment_id == enrollment.id, OutboxMessage.state.in_([*UNSENT]))
        .values(state=OutboxState.cancelled)
        .execution_options(synchronize_session="fetch")
    )
    record_event(
        session,
        "sequence_stopped",
        campaign_id=enrollment.campaign_id,
        contact_id=enrollment.contact_id,
        data={"reason": reason},
    )
