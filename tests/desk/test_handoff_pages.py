"""The AE's page: only the handoffs routed to them, with the checklist and the conversation; their
verdict closes the loop exactly as `sdr handoffs close` does; their upcoming meetings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from starlette.applications import Starlette

from agent.clock import utcnow
from agent.meetings.tables import Meeting, MeetingStatus
from agent.replies.handoff import hand_off, list_handoffs
from agent.replies.model import Intent, ReplyAnalysis
from agent.replies.tables import NurtureTouch, Reply
from agent.states import LeadStage
from agent.store.tables import Contact
from agent.workspace import Workspace
from tests.desk.conftest import AE_EMAIL, signed_in

OTHER_AE = "priya.nair@lumendock.example"


def book_and_hand_off(ws: Workspace, contact: Contact, ae_email: str, reply_text: str = "Yes, let's talk.") -> int:
    """The scene: the contact replied, a meeting is on the AE's calendar, and the lead was handed off."""
    starts = utcnow() + timedelta(days=2)
    with ws.store.transaction() as session:
        row = session.get_one(Contact, contact.id)
        row.stage = LeadStage.meeting_booked
        session.add(
            Reply(
                contact_id=row.id,
                matched_by="address",
                from_address=row.email,
                text=reply_text,
                received_at=utcnow() - timedelta(hours=1),
                intent="meeting_request",
                decided_by="rule",
                confidence=0.9,
                analysis=ReplyAnalysis(intent=Intent.meeting_request, confidence=0.9, decided_by="rule").model_dump(
                    mode="json"
                ),
            )
        )
        session.add(
            Meeting(
                contact_id=row.id,
                uid=f"m-{row.id}@test",
                ae_name=ae_email.split("@")[0],
                ae_email=ae_email,
                ae_timezone="America/New_York",
                prospect_timezone="America/Chicago",
                calendar="test.ics",
                starts_at=starts,
                ends_at=starts + timedelta(minutes=30),
                status=MeetingStatus.booked,
            )
        )
    return hand_off(ws, contact.id, f"meeting {starts:%Y-%m-%d %H:%M} UTC")


@pytest.fixture
def handoffs(desk_ws: Workspace) -> tuple[int, int]:
    with desk_ws.store.transaction() as session:
        first, second = session.scalars(select(Contact).order_by(Contact.id).limit(2)).all()
        session.expunge_all()
    mine = book_and_hand_off(desk_ws, first, AE_EMAIL, reply_text="<b>Yes</b> <script>alert(1)</script> Tuesday")
    return mine, book_and_hand_off(desk_ws, second, OTHER_AE)


def test_an_ae_sees_only_the_handoffs_routed_to_them_with_the_checklist_and_conversation(
    app: Starlette, desk_ws: Workspace, handoffs: tuple[int, int]
) -> None:
    mine, theirs = handoffs
    page = signed_in(app, "sofia").get("/desk/handoffs").text
    assert f"#{mine} " in page and f"#{theirs} " not in page
    assert "Problem signal" in page and "Disqualification risks" in page and "Confirmed next step" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "Your upcoming meetings" in page and "America/Chicago" in page and page.count("<tr><td>") == 1
    admin = signed_in(app, "ada").get("/desk/handoffs").text
    assert f"#{mine} " in admin and f"#{theirs} " in admin


def test_the_ae_closes_the_loop_as_sdr_handoffs_close_does(
    app: Starlette, desk_ws: Workspace, handoffs: tuple[int, int]
) -> None:
    mine, theirs = handoffs
    sofia = signed_in(app, "sofia")
    sofia.get("/desk/handoffs")
    sofia.post(f"/desk/handoffs/{mine}/close", {"disposition": "not_qualified", "reason": ""})
    assert "not qualified needs the reason" in sofia.get("/desk/handoffs").text
    sofia.post(f"/desk/handoffs/{theirs}/close", {"disposition": "opportunity_created"})
    assert "is not routed to you" in sofia.get("/desk/handoffs").text
    sofia.post(f"/desk/handoffs/{mine}/close", {"disposition": "recycle_to_nurture", "recycle_on": "next spring"})
    assert "needs the date" in sofia.get("/desk/handoffs").text
    on = (utcnow() + timedelta(days=90)).date()
    sofia.post(
        f"/desk/handoffs/{mine}/close",
        {"disposition": "recycle_to_nurture", "recycle_on": on.isoformat(), "reason": "budget next year"},
    )
    closed = {v.id: v for v in list_handoffs(desk_ws)}
    assert closed[mine].disposition == "recycle_to_nurture" and closed[mine].recycle_on == on
    assert closed[theirs].disposition is None
    with desk_ws.store.transaction() as session:
        touch = session.scalar(select(NurtureTouch))
        assert touch is not None and touch.due_on == on and "budget next year" in touch.reason
    sofia.post(f"/desk/handoffs/{mine}/close", {"disposition": "opportunity_created"})
    assert "is closed already" in sofia.get("/desk/handoffs").text


def test_a_reviewer_cannot_see_or_close_handoffs(app: Starlette, handoffs: tuple[int, int]) -> None:
    sam = signed_in(app, "sam")
    sam.get("/desk/queue")
    assert sam.client.get("/desk/handoffs").status_code == 403
    assert sam.post(f"/desk/handoffs/{handoffs[0]}/close", {"disposition": "opportunity_created"}).status_code == 403
