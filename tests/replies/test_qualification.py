"""The lead's states, the written SQL definition, handoffs and their three closed-loop dispositions."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from agent.campaign.qualification import SqlDefinition
from agent.errors import UserError
from agent.replies.handoff import close, export, hand_off, handoff_note, list_handoffs, meeting_booked
from agent.replies.model import Evidence, Qualification
from agent.replies.qualification import LeadFacts, StageError, can_move, check_sql, move
from agent.replies.tables import Disposition, NurtureTouch
from agent.store.tables import Contact, LeadStage
from tests.replies.conftest import receive

DANA = "dana.ops@acme-freight.example"
QUALIFYING = {
    "intent": "interested",
    "need": "we're losing two hours per trailer at the gate",
    "authority": "I sign off on yard tooling",
    "timeline": "live before March",
    "summary": "wants a demo",
}
TEXT = (
    "This is timely: we're losing two hours per trailer at the gate. I sign off on yard tooling and we want "
    "to be live before March. Send me times."
)


def test_stages_move_one_earned_step_at_a_time():
    assert can_move(LeadStage.new, LeadStage.contacted) and can_move(LeadStage.replied, LeadStage.qualified)
    assert can_move(LeadStage.handed_off, LeadStage.contacted)  # recycled
    assert not can_move(LeadStage.new, LeadStage.qualified)
    assert not can_move(LeadStage.contacted, LeadStage.handed_off)


def test_an_unearned_move_is_refused(make_seeded):
    s = make_seeded()
    with s.ws.store.transaction() as session:
        contact = session.get_one(Contact, s.contacts[DANA])
        with pytest.raises(StageError):
            move(session, contact, LeadStage.handed_off, "skipping ahead")


def test_the_sql_definition_names_what_is_missing():
    definition = SqlDefinition(timeline_within_months=3)
    facts = LeadFacts(fields=Qualification(need=Evidence.quote("no-shows"), timeline=Evidence.quote("in June")))
    check = check_sql(definition, facts, "Warehouse Supervisor", date(2026, 11, 24))
    assert not check.meets
    assert check.missing == ["authority or a champion", "timeline within 3 months (said 2027-06-01)"]
    champion = check_sql(SqlDefinition(timeline_within_months=12), facts, "VP of Operations", date(2026, 11, 24))
    assert champion.meets and "champion by title (VP of Operations)" in champion.met


def test_a_reply_with_need_authority_and_timeline_qualifies_the_lead(make_seeded):
    s = make_seeded(QUALIFYING, {}, title="Warehouse Supervisor")
    handled = receive(s, DANA, TEXT)
    assert any(a.startswith("qualified") for a in handled.actions)
    with s.ws.store.transaction() as session:
        assert session.get_one(Contact, s.contacts[DANA]).stage == LeadStage.qualified


def test_a_claim_not_in_the_reply_does_not_qualify(make_seeded):
    s = make_seeded({**QUALIFYING, "authority": "I am the CEO and approved $1M"}, {}, title="Warehouse Supervisor")
    receive(s, DANA, TEXT)
    with s.ws.store.transaction() as session:
        assert session.get_one(Contact, s.contacts[DANA]).stage == LeadStage.replied


def test_handoff_note_carries_the_checklist_and_the_conversation(make_seeded):
    s = make_seeded(QUALIFYING, {})
    receive(s, DANA, TEXT)
    note = handoff_note(s.ws, s.contacts[DANA], "Demo with the AE on Thursday 26 Nov, 14:00 CT")
    for section in (
        "## Problem signal",
        "## Contact context",
        "## Source",
        "## Confirmed next step",
        "## Disqualification risks",
        "## Conversation so far",
    ):
        assert section in note
    assert '"we\'re losing two hours per trailer at the gate"' in note
    assert "outbound: campaign q4-dock-ops" in note
    assert "> " + TEXT in note and "Dock scheduling: Hi there" in note


def test_a_booked_meeting_then_a_handoff(make_seeded):
    s = make_seeded(QUALIFYING, {})
    receive(s, DANA, TEXT)
    meeting_booked(s.ws, s.contacts[DANA], "2026-11-26 14:00 CT")
    hand_off(s.ws, s.contacts[DANA], "Demo booked for 2026-11-26 14:00 CT")
    with s.ws.store.transaction() as session:
        assert session.get_one(Contact, s.contacts[DANA]).stage == LeadStage.handed_off


def test_only_a_qualified_lead_is_handed_off(make_seeded):
    s = make_seeded({"intent": "question", "summary": "q"}, {})
    receive(s, DANA, "Does it work with SAP?")
    with pytest.raises(UserError):
        hand_off(s.ws, s.contacts[DANA], "call")


@pytest.mark.parametrize(
    ("disposition", "kwargs", "stage"),
    [
        (Disposition.opportunity_created, {}, LeadStage.handed_off),
        (Disposition.recycle_to_nurture, {"recycle_on": date(2027, 3, 1)}, LeadStage.contacted),
        (Disposition.not_qualified, {"reason": "a 4-door site, no need"}, LeadStage.replied),
    ],
)
def test_every_handoff_ends_in_exactly_one_disposition(make_seeded, disposition, kwargs, stage):
    s = make_seeded(QUALIFYING, {})
    receive(s, DANA, TEXT)
    handoff_id = hand_off(s.ws, s.contacts[DANA], "Demo on Thursday")
    close(s.ws, handoff_id, disposition, **kwargs)
    with s.ws.store.transaction() as session:
        assert session.get_one(Contact, s.contacts[DANA]).stage == stage
        touches = session.scalars(select(NurtureTouch.due_on)).all()
    assert touches == ([date(2027, 3, 1)] if disposition is Disposition.recycle_to_nurture else [])
    with pytest.raises(UserError):
        close(s.ws, handoff_id, Disposition.opportunity_created)
    (view,) = list_handoffs(s.ws)
    assert view.disposition == disposition


def test_dispositions_need_their_date_or_reason(make_seeded):
    s = make_seeded(QUALIFYING, {})
    receive(s, DANA, TEXT)
    handoff_id = hand_off(s.ws, s.contacts[DANA], "Demo on Thursday")
    with pytest.raises(UserError):
        close(s.ws, handoff_id, Disposition.recycle_to_nurture)
    with pytest.raises(UserError):
        close(s.ws, handoff_id, Disposition.not_qualified, reason=" ")


def test_handoffs_export_as_markdown_and_json(make_seeded):
    s = make_seeded(QUALIFYING, {})
    receive(s, DANA, TEXT)
    hand_off(s.ws, s.contacts[DANA], "Demo on Thursday")
    views = list_handoffs(s.ws)
    assert export(views, "md").startswith("<!-- handoff 1: open -->\n# Handoff: Dana Doe")
    (row,) = json.loads(export(views, "json"))
    assert row["checklist"]["next_step"] == "Demo on Thursday" and row["disposition"] is None
