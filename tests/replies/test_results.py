"""`sdr status` reports what a campaign achieved: replies, meetings, handoffs the AEs accepted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from agent.replies.handoff import close
from agent.replies.tables import Disposition, Handoff
from agent.status import campaign_status
from tests.replies.conftest import receive

DANA, LEE, KIM = "dana@acme-freight.example", "lee@acme-freight.example", "kim@acme-freight.example"


def test_results_count_contacts_replies_meetings_and_accepted_handoffs(make_seeded):
    s = make_seeded(
        {"intent": "meeting_request", "summary": "Wednesday"},
        {"intent": "unsubscribe", "summary": "remove me"},
        emails=[DANA, LEE, KIM],
    )
    receive(s, DANA, "Wednesday at 2pm works. Send an invite.")
    receive(s, LEE, "Please take me off your list.")
    with s.ws.store.transaction() as session:
        (handoff_id,) = session.scalars(select(Handoff.id)).all()
    close(s.ws, handoff_id, Disposition.opportunity_created)

    (campaign,) = campaign_status(s.ws, now=datetime(2026, 11, 25, 12, 0)).campaigns  # before the meeting
    results = campaign.results
    assert (results.contacted, results.replied, results.positive, results.opted_out) == (3, 2, 1, 1)
    assert results.reply_rate == round(2 / 3, 3)
    assert (results.meetings_booked, results.meetings_held, results.no_shows, results.show_rate) == (1, 0, 0, None)
    assert (results.handoffs, results.handoffs_accepted, results.handoffs_open, results.acceptance_rate) == (
        1,
        1,
        0,
        1.0,
    )
    (campaign,) = campaign_status(s.ws, now=datetime(2026, 11, 27, 12, 0)).campaigns  # after it
    assert (campaign.results.meetings_held, campaign.results.show_rate) == (1, 1.0)
