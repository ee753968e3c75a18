"""The campaign's inbound policy, the checks before anything goes out, review, and the invariants:
nothing to a suppressed address, one answer per lead, the same form twice at once answered once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select

from agent.errors import UserError
from agent.inbound.answer import receive_lead
from agent.inbound.tables import AnswerState, AnswerVia, LeadRecord, Route
from agent.review import approve, reject
from agent.sending.sender import send_due
from agent.states import OutboxState
from agent.store.tables import OutboxMessage
from agent.suppression import suppress
from tests.helpers import campaign_variant
from tests.inbound.conftest import CAMPAIGN, Desk, build_desk

STUDENT = {
    "email": "tom@state.example.edu",
    "name": "Tom Reyes",
    "company": "State University",
    "title": None,
    "source": "contact form",
    "message": "I'm a student writing my thesis on dock scheduling.",
}
PARTIAL = {
    "email": "sam.lee@reno-freight.example",
    "name": "Sam Lee",
    "title": "Operations Analyst",
    "message": "Can we see a demo?",
}


def variant(tmp_path: Path, *replacements: tuple[str, str]) -> Desk:
    return build_desk(tmp_path, campaign_variant(tmp_path, *replacements))


def test_send_without_review_all_sends_polite_declines_too(tmp_path: Path) -> None:
    desk = variant(tmp_path, ("send_without_review: fits", "send_without_review: all"))
    answer = desk.answer(**STUDENT)
    assert answer.answer is AnswerState.sent
    [mail] = desk.outbox(to=STUDENT["email"])
    assert "Lumen Dock, Inc." in mail.get_content() and mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert desk.answer(**PARTIAL).answer is AnswerState.pending_review  # a partial fit always waits for a person


def test_send_without_review_never_queues_even_a_fits_answer(tmp_path: Path) -> None:
    desk = variant(tmp_path, ("send_without_review: fits", "send_without_review: never"))
    answer = desk.answer(message="Demo please.")
    assert answer.route is Route.meeting and answer.answer is AnswerState.pending_review
    assert not desk.outbox(to=answer.email)
    with desk.ws.store.transaction() as session:
        queued = session.get_one(OutboxMessage, answer.answer_id)
        assert queued.state == "pending_review" and queued.lead_id == answer.lead_id
        assert "Lumen Dock, Inc." not in queued.body  # the send path adds the compliance footer


def test_an_answer_that_fails_the_checks_is_queued_never_sent(tmp_path: Path) -> None:
    desk = variant(
        tmp_path,
        ("        Thanks for your interest in working with us.", "        Act now: our [CAREERS LINK] is here!!"),
        ("send_without_review: fits", "send_without_review: all"),
    )
    answer = desk.answer(
        email="lee.w@gmail.com",
        name="Lee Wong",
        company=None,
        title=None,
        source="contact form",
        message="I'm looking for a job. Are you hiring?",
    )
    failed = {c.check for c in answer.checks if not c.ok}
    assert {"placeholders", "spam"} <= failed
    assert answer.answer is AnswerState.flagged and answer.needs_review and not desk.outbox(to=answer.email)


def test_a_template_with_an_unknown_variable_is_refused_when_the_file_is_read(tmp_path: Path) -> None:
    from agent.campaign import load_campaign
    from agent.errors import InputError

    path = campaign_variant(tmp_path, ("Every open role is listed", "{{ lead.favourite_colour }} Every open role"))
    with pytest.raises(InputError, match=r"inbound.*templates.job_seeker.body.*favourite_colour"):
        load_campaign(path)


def test_nothing_goes_to_an_address_suppressed_while_its_answer_waited(desk: Desk) -> None:
    answer = desk.answer(**STUDENT)
    with desk.ws.store.transaction() as session:
        suppress(session, STUDENT["email"], "unsubscribe", source="test")
    assert answer.answer_id is not None
    with pytest.raises(UserError, match="blocked, not pending_review"):
        approve(desk.ws, [answer.answer_id], "rita")
    send_due(desk.ws, steps=False)
    assert not desk.outbox(to=STUDENT["email"])


def test_a_person_approves_or_rejects_a_queued_answer_whichever_path_holds_it(desk: Desk) -> None:
    student = desk.answer(**STUDENT)
    partial = desk.answer(**PARTIAL)
    assert (student.via, partial.via) == (AnswerVia.letter, AnswerVia.response)
    answers = [a.answer_id for a in (student, partial) if a.answer_id is not None]
    assert len(answers) == 2 and approve(desk.ws, answers, "rita") == answers
    assert sorted(send_due(desk.ws, steps=False).sent) == sorted(answers)
    assert len(desk.outbox(to=STUDENT["email"])) == 1 and len(desk.outbox(to=PARTIAL["email"])) == 1
    with pytest.raises(UserError, match="not pending_review"):
        approve(desk.ws, answers[:1], "rita")  # sent once, never twice
    assert not send_due(desk.ws, steps=False).sent


def test_a_rejected_answer_is_never_sent(tmp_path: Path) -> None:
    desk = variant(tmp_path, ("send_without_review: fits", "send_without_review: never"))
    answer = desk.answer(message="Demo please.")
    assert answer.answer_id is not None
    with pytest.raises(UserError, match="needs a reason"):
        reject(desk.ws, answer.answer_id, " ", "rita")
    reject(desk.ws, answer.answer_id, "AE on leave: call them instead", "rita")
    with desk.ws.store.transaction() as session:
        assert session.get_one(OutboxMessage, answer.answer_id).state == OutboxState.rejected
    send_due(desk.ws, steps=False)
    assert not desk.outbox(to=answer.email)


def test_the_same_form_posted_twice_at_the_same_moment_is_recorded_once_as_first(desk: Desk) -> None:
    lead = desk.lead(message="Demo please.")
    with ThreadPoolExecutor(max_workers=4) as pool:
        received = list(pool.map(lambda _: receive_lead(desk.ws, lead, CAMPAIGN), range(4)))
    assert sorted(r.duplicate_of is None for r in received) == [False, False, False, True]
    with desk.ws.store.transaction() as session:
        firsts = session.scalars(select(LeadRecord.id).where(LeadRecord.duplicate_of.is_(None))).all()
        assert len(firsts) == 1


def test_the_people_who_follow_inbound_leads_are_told_once(desk: Desk) -> None:
    answer = desk.answer(message="Demo please.")
    [note] = desk.outbox(to="inbound@lumendock.example")
    assert f"#{answer.lead_id}" in str(note["Subject"]) and "meeting" in str(note["Subject"])
    assert "First answer: sent" in note.get_content()


@pytest.mark.parametrize(
    "fields",
    [
        {"message": "Demo please."},
        {"source": "contact form", "message": "Do you integrate with SAP EWM?"},
        STUDENT,
    ],
    ids=["meeting", "response", "letter"],
)
def test_a_lead_whose_worker_died_is_answered_on_restart_but_never_twice(tmp_path: Path, fields: dict) -> None:
    from datetime import timedelta

    from agent.clock import utcnow
    from agent.inbound.answer import answer_received, unanswered

    desk = variant(tmp_path, ("send_without_review: fits", "send_without_review: all"))
    first = desk.answer(**fields)
    assert first.answer is AnswerState.sent
    with desk.ws.store.transaction() as session:  # as if a worker elsewhere died after sending, before recording it
        row = session.get_one(LeadRecord, first.lead_id)
        row.state, row.claimed_by = "answering", "another-machine:4242:1.00"
        row.claimed_at = utcnow() - timedelta(minutes=15)
    assert unanswered(desk.ws) == [first.lead_id]
    again = answer_received(desk.ws, first.lead_id, reader=desk.reader)
    assert again.answer is AnswerState.sent and again.route == first.route
    assert len(desk.outbox(to=first.email)) == 1
    assert unanswered(desk.ws) == []


def test_an_answer_left_waiting_by_a_dead_worker_is_kept_not_doubled(tmp_path: Path) -> None:
    from datetime import timedelta

    from agent.clock import utcnow
    from agent.inbound.answer import answer_received

    desk = variant(tmp_path, ("send_without_review: fits", "send_without_review: never"))
    first = desk.answer(message="Demo please.")
    with desk.ws.store.transaction() as session:
        row = session.get_one(LeadRecord, first.lead_id)
        row.state, row.claimed_at = "received", utcnow() - timedelta(minutes=15)
    again = answer_received(desk.ws, first.lead_id, reader=desk.reader)
    assert again.answer_id == first.answer_id and again.answer is AnswerState.pending_review
    with desk.ws.store.transaction() as session:
        to_lead = select(OutboxMessage.state).where(OutboxMessage.to_address == first.email)
        assert session.scalars(to_lead).all() == [OutboxState.pending_review]
