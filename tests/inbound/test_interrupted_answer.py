"""A worker that dies while answering a lead (its answer written, checked and released in one
transaction, or not at all, then sent): the next worker finishes that answer as the first would have
(checked, approved by the policy, sent), and never writes a second.

Found by the kill tests (`tests/server/test_durable.py`), where it showed once in a while: the next
worker found the answer already written and stopped there, so an answer the policy lets go at once
waited for a reviewer, unchecked, and the lead was counted as answered. Here the death is placed
at each step of each path, so every interleaving is tried on every run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select, update

from agent.claims import claimant
from agent.inbound import paths
from agent.inbound.answer import receive_lead
from agent.inbound.tables import LeadRecord
from agent.states import Audience, OutboxState
from agent.store.tables import OutboxMessage
from agent.worker import Worker
from tests.inbound.conftest import CAMPAIGN, Desk


class Died(BaseException):
    """The worker's process ends here (SIGKILL): nothing after this point runs, no handler sees it."""


def _dies_before(real: Callable[..., Any]) -> Callable[..., Any]:
    calls: list[int] = []

    def step(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise Died
        return real(*args, **kwargs)

    return step


def _dies_after(real: Callable[..., Any]) -> Callable[..., Any]:
    calls: list[int] = []

    def step(*args: Any, **kwargs: Any) -> Any:
        done = real(*args, **kwargs)
        calls.append(1)
        if len(calls) == 1:
            raise Died
        return done

    return step


LEADS = {  # path -> (the lead's fields, what the answer is once released, whether it goes at once)
    "meeting": ({"message": "Can we see a demo next week?"}, OutboxState.sent),
    "response": (
        {"source": "contact form", "message": "Do you integrate with SAP EWM? We run it in two DCs."},
        OutboxState.sent,
    ),
    "letter": (
        {
            "email": "dina@smilepoint-dental.example",
            "name": "Dina Shah",
            "company": "SmilePoint Dental",
            "title": "Director of Operations",
            "message": "Can we get a demo?",
        },
        OutboxState.pending_review,  # outside the ICP: the default policy lets only fits go at once
    ),
}
DEATHS = [  # (path, step of `agent.inbound.paths`, where in it the worker dies)
    ("meeting", "handle_meeting_request", _dies_after),  # the letter queued, not yet written or checked
    ("meeting", "_approve", _dies_before),  # written, not yet checked or approved: undone with them
    ("meeting", "_send", _dies_before),  # released, not yet sent
    ("response", "_reply_row", _dies_after),  # the lead's words kept, no answer queued
    ("response", "_queue_answer", _dies_after),  # queued and released (checked before), not committed: undone
    ("response", "_send", _dies_before),  # released, not yet sent
    ("letter", "_approve", _dies_before),
    ("letter", "_send", _dies_before),
]


@pytest.mark.parametrize(("path", "step", "death"), DEATHS, ids=[f"{p}-{s}" for p, s, _ in DEATHS])
def test_the_next_worker_finishes_the_answer_the_dead_one_wrote(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, path: str, step: str, death: Callable[..., Any]
) -> None:
    desk.readings["SAP EWM"] = "question"
    fields, released = LEADS[path]
    lead = desk.lead(**fields)
    lead_id = receive_lead(desk.ws, lead, CAMPAIGN, now=lead.received_at).lead_id
    monkeypatch.setattr(paths, step, death(getattr(paths, step)))
    with pytest.raises(Died):
        Worker(desk.ws, reader=desk.reader, steps=False).round()
    with desk.ws.store.transaction() as session:  # the claim names a process that is gone now
        gone = claimant().rsplit(":", 1)[0] + ":1.00"
        session.execute(update(LeadRecord).where(LeadRecord.id == lead_id).values(claimed_by=gone))

    assert Worker(desk.ws, reader=desk.reader, steps=False).round().leads == [lead_id]

    with desk.ws.store.transaction() as session:
        row = session.get_one(LeadRecord, lead_id)
        answers = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.contact_id == row.contact_id, OutboxMessage.audience == Audience.prospect
            )
        ).all()
        assert [a.id for a in answers] == [row.answer_id]  # one answer: the one the dead worker wrote
        [answer] = answers
        assert answer.state == released and answer.checks and all(c["ok"] for c in answer.checks), (
            answer.made_by,
            answer.body,
            answer.checks,
        )
        assert row.state == "routed" and row.error is None
    assert len(desk.outbox(to=lead.email)) == (1 if released == OutboxState.sent else 0)
