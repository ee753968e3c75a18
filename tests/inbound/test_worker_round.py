"""The worker's round over waiting leads: each lead on its own, so one that fails goes to a person
with its error while the others are answered; and work waits while the server answers requests."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from sqlalchemy import event, select

from agent.e5 import E5
from agent.inbound.answer import claim_lead, claim_leads, message_of, receive_lead
from agent.inbound.tables import LeadRecord
from agent.replies.classify import ReplyReader
from agent.replies.handling import reader_for
from agent.replies.ingest import Inbound
from agent.replies.model import ReplyAnalysis
from agent.states import Audience
from agent.store.tables import Event, OutboxMessage
from agent.worker import Worker
from tests.inbound.conftest import CAMPAIGN, Desk


@dataclass
class BreaksOn(ReplyReader):
    """The desk's reader, except that a message with `words` in it breaks it (a bug, a full disk)."""

    words: str = "BREAK"

    def read(self, reply: Inbound, **kwargs: Any) -> ReplyAnalysis:
        if self.words in reply.visible:
            raise RuntimeError("the reader broke on this one")
        return super().read(reply, **kwargs)


def _receive(desk: Desk, name: str, message: str) -> int:
    lead = desk.lead(name=name, email=f"{name.lower()}@reno-freight.example", message=message)
    return receive_lead(desk.ws, lead, CAMPAIGN, now=lead.received_at).lead_id


def test_a_lead_that_breaks_goes_to_a_person_and_the_others_are_answered(desk: Desk) -> None:
    ids = [
        _receive(desk, "Avery", "Can we see a demo next week?"),
        _receive(desk, "Blake", "BREAK Can we see a demo?"),
        _receive(desk, "Casey", "Could we get a demo?"),
    ]
    reader = BreaksOn(classifier=None, llm=desk.ws.llm, trust_model_intent=True)
    done = Worker(desk.ws, reader=reader, steps=False).round()
    assert done.leads == ids
    with desk.ws.store.transaction() as session:
        rows = {row.id: row for row in session.scalars(select(LeadRecord).where(LeadRecord.id.in_(ids)))}
    broken = rows[ids[1]]
    assert broken.state == "routed" and broken.needs_review and broken.answer_id is None
    assert broken.error == "RuntimeError: the reader broke on this one"
    for lead_id in (ids[0], ids[2]):
        assert rows[lead_id].state == "routed" and rows[lead_id].answer_id is not None and rows[lead_id].error is None
    assert Worker(desk.ws, reader=reader, steps=False).round().leads == []  # nothing is tried again, nothing stuck


@dataclass
class CannotReadAhead(ReplyReader):
    """The desk's reader, except that reading ahead breaks (a model that cannot load on that thread)."""

    def read_ahead(self, reply: Inbound) -> None:
        raise RuntimeError("reading ahead broke")


def test_leads_are_answered_when_reading_ahead_breaks(desk: Desk) -> None:
    # The worker has claimed them before it reads ahead: a failure there must not leave them claimed.
    ids = [_receive(desk, name, "Can we see a demo next week?") for name in ("Avery", "Blake", "Casey")]
    reader = CannotReadAhead(classifier=None, llm=desk.ws.llm, trust_model_intent=True)
    assert Worker(desk.ws, reader=reader, steps=False).round().leads == ids
    with desk.ws.store.transaction() as session:
        rows = session.scalars(select(LeadRecord).where(LeadRecord.id.in_(ids))).all()
    assert all(row.state == "routed" and row.answer_id and row.error is None for row in rows)


def test_the_worker_pauses_before_each_lead(desk: Desk) -> None:
    ids = [_receive(desk, name, "Can we see a demo?") for name in ("Avery", "Blake")]
    answered_at_pause: list[int] = []

    def pause() -> None:  # where the server's worker waits while requests are in flight
        with desk.ws.store.transaction() as session:
            to_leads = OutboxMessage.lead_id.is_not(None), OutboxMessage.audience == Audience.prospect
            answers = session.scalars(select(OutboxMessage.id).where(*to_leads)).all()
        answered_at_pause.append(len(answers))

    assert Worker(desk.ws, reader=desk.reader, steps=False, pause=pause).round().leads == ids
    assert answered_at_pause[:3] == [0, 1, 2]  # before the first lead, the second, and the next claim


def test_every_waiting_lead_is_answered_before_any_is_closed(desk: Desk) -> None:
    # In a burst the last lead waits for the others' answers only, not for their records (route,
    # score, reading) and notes.
    ids = [_receive(desk, name, "Can we see a demo next week?") for name in ("Avery", "Blake", "Casey")]
    Worker(desk.ws, reader=desk.reader, steps=False).round()
    with desk.ws.store.transaction() as session:
        kinds = [(e.kind, e.data["lead"]) for e in session.scalars(select(Event).order_by(Event.id))
                 if e.kind in ("inbound_answer_written", "inbound_lead_routed", "inbound_lead_answered")]  # fmt: skip
        rows = session.scalars(select(LeadRecord).where(LeadRecord.id.in_(ids))).all()
    closed = [(kind, i) for i in ids for kind in ("inbound_lead_routed", "inbound_lead_answered")]
    assert kinds == [("inbound_answer_written", i) for i in ids] + closed
    assert [(row.intent, row.fit is not None) for row in rows] == [("interested", True)] * 3  # kept when closed
    assert all(row.state == "routed" and row.answer_id and row.speed_to_lead_seconds is not None for row in rows)


def test_the_next_leads_messages_are_read_ahead_on_the_spare_core_once_each(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In a burst a lead's message is embedded (7-8 ms of its 30) while the worker answers the one before.
    reader = reader_for(desk.ws)  # the product's reader: the classifier decides what the rules leave
    assert reader.classifier is not None
    model = reader.classifier.embeddings.model()
    reads: list[tuple[str, str]] = []

    def query(text: str) -> np.ndarray:
        reads.append((threading.current_thread().name, text))
        return E5.query(model, text)

    monkeypatch.setattr(model, "query", query)
    messages = ["Could we see a demo next week?", "What would 40 trucks cost?", "Happy with our vendor for now."]
    ids = [_receive(desk, name, m) for name, m in zip(("Avery", "Blake", "Casey"), messages, strict=True)]
    ids += [_receive(desk, "Drew", "Another worker has this one.")]
    assert claim_lead(desk.ws, ids[-1]) == ids[-1]  # as another worker would: it is never read here
    assert Worker(desk.ws, reader=reader, steps=False).round().leads == ids[:-1]
    assert len(reads) == len(messages) == len({text for _, text in reads})  # each message read once
    assert all(thread.startswith("e5-ahead") for thread, _ in reads)
    with desk.ws.store.transaction() as session:
        intents = session.scalars(select(LeadRecord.intent).where(LeadRecord.id.in_(ids[:-1])).order_by(LeadRecord.id))
        assert list(intents) == [str(reader.read(message_of(desk.lead(message=m))).intent) for m in messages]


def test_a_claim_finds_the_waiting_leads_by_their_own_index(desk: Desk) -> None:
    # Without it the look walked every lead ever answered first: 13.9 ms a claim with 100,000 (bench/claims.py).
    _receive(desk, "Avery", "Can we see a demo?")
    statements: list[tuple[str, Any]] = []
    event.listen(
        desk.ws.store.engine, "before_cursor_execute", lambda _c, _k, sql, params, *_: statements.append((sql, params))
    )
    assert claim_leads(desk.ws)
    [(sql, params)] = [(q, p) for q, p in statements if q.startswith("UPDATE inbound_leads")]
    with desk.ws.store.transaction() as session:
        plan = " ".join(str(row) for row in session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params))
    assert "ix_inbound_leads_state" in plan, plan
