"""Booking through `handle_meeting_request`: the calendar, the invitations, the review policy, never twice."""

from __future__ import annotations

import email
import threading
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar as ICalendar
from sqlalchemy import select

from agent import clock
from agent.meetings.booking import Booker
from agent.meetings.requests import handle_meeting_request, recover_bookings
from agent.meetings.tables import Meeting, MeetingStatus
from agent.replies.tables import NurtureTouch
from agent.review import approve
from agent.sending.sender import send_due
from agent.settings import load_settings
from agent.states import Audience, Origin, OutboxState
from agent.store.tables import Contact, Event, LeadStage, OutboxMessage
from agent.suppression import suppress
from agent.workspace import Workspace
from tests.conftest import scripted
from tests.helpers import outbox_rows
from tests.meetings.conftest import MONDAY, Setup, campaign_spec, enroll
from tools.calendar import open_calendar
from tools.calendar.base import CalendarConfig

CHICAGO = ZoneInfo("America/Chicago")
DANA, SAM, OLIVIA = "dana@reno.example", "sam@harvest.example", "olivia@thames.example"
NOTE = "Problem signal: new Sparks cross-dock. Wants carrier self-booking. Risk: IT bandwidth in Q1."


def sent_emails(ws: Workspace) -> list[EmailMessage]:
    folder = ws.settings.outbox_dir
    paths = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns) if folder.exists() else []
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in paths]  # type: ignore[misc]


def calendar_part(message: EmailMessage) -> ICalendar:
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    return ICalendar.from_ical(part.get_payload(decode=True))


def meetings(ws: Workspace) -> list[Meeting]:
    with ws.store.transaction() as session:
        rows = list(session.scalars(select(Meeting).order_by(Meeting.id)))
        session.expunge_all()
        return rows


def prospect_messages(ws: Workspace) -> list[OutboxMessage]:
    return outbox_rows(ws, OutboxMessage.origin == Origin.meeting_letter, OutboxMessage.audience == Audience.prospect)


def deliver(ws: Workspace) -> list[int]:
    """A round of the one send path, as `sdr send` or the server's worker runs it."""
    return send_due(ws, steps=False).sent


def ask(setup: Setup, who: str, text: str, at: datetime = MONDAY, **kwargs: Any) -> Any:
    return handle_meeting_request(setup.ws, setup.contacts[who], text, at, now=at, **kwargs)


def test_a_named_time_is_booked_on_the_aes_calendar_and_both_sides_are_invited(booking: Setup) -> None:
    outcome = ask(booking, DANA, "Tuesday 10:30 PT works for me", handoff_note=NOTE)

    assert outcome.kind == "booked"
    start = datetime(2026, 12, 1, 12, 30, tzinfo=CHICAGO)  # 10:30 in Los Angeles
    assert outcome.event.start == start and outcome.event.ae_name == "Priya Nair"
    calendar = open_calendar(CalendarConfig("ics", path=booking.calendar_file(0)), now=clock.now)
    assert [(b.start, b.uid) for b in calendar.busy(start, start + timedelta(hours=1))] == [(start, outcome.event.uid)]
    stored = calendar.get(outcome.event.uid)
    assert stored is not None and NOTE in stored.description  # the AE's calendar carries the handoff note

    assert len(deliver(booking.ws)) == 1  # the AE's invitation goes on the next round; the prospect's waits
    (invite,) = sent_emails(booking.ws)
    assert invite["To"] == "Priya Nair <priya.nair@lumendock.example>"
    cal = calendar_part(invite)
    vevent = cal.walk("VEVENT")[0]
    assert str(cal["METHOD"]) == "REQUEST"
    assert vevent["DTSTART"].params["TZID"] == "America/Chicago" and vevent.decoded("DTSTART") == start
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["America/Chicago"]
    assert NOTE in str(vevent["DESCRIPTION"])
    attendees = sorted(str(a) for a in vevent["ATTENDEE"])
    assert attendees == ["mailto:dana@reno.example", "mailto:priya.nair@lumendock.example"]
    assert str(vevent["ORGANIZER"]) == "mailto:maya.lindgren@lumendock.example"
    assert any(p.get_filename() == "handoff-note.txt" for p in invite.walk())

    (confirmation,) = prospect_messages(booking.ws)
    assert confirmation.state == OutboxState.pending_review and outcome.message.state == "pending_review"
    assert "Tuesday 1 December, 10:30 AM PST" in confirmation.body
    assert confirmation.ics is not None and NOTE not in confirmation.ics  # internal notes stay internal
    with booking.ws.store.transaction() as session:
        assert session.get_one(Contact, booking.contacts[DANA]).stage == LeadStage.meeting_booked
        booked = session.scalar(select(Event).where(Event.kind == "meeting_booked"))
        assert booked is not None and "Nevada" not in booked.data["routing"]["reason"]
        assert booked.data["routing"]["rule"] == "territory"


def test_the_confirmation_goes_out_once_approved_and_only_once(booking: Setup) -> None:
    ask(booking, DANA, "Tuesday 10:30 PT works for me")
    (confirmation,) = prospect_messages(booking.ws)
    approve(booking.ws, [confirmation.id], "lead")
    assert confirmation.id in deliver(booking.ws)
    assert deliver(booking.ws) == []
    to_dana = [m for m in sent_emails(booking.ws) if "dana@reno.example" in m["To"]]
    assert len(to_dana) == 1
    cal = calendar_part(to_dana[0])
    assert cal.walk("VEVENT")[0]["DTSTART"].params["TZID"] == "America/Chicago"


def test_an_auto_approve_policy_lets_the_confirmation_go_without_review(ws: Workspace) -> None:
    spec = campaign_spec("auto_above_score")
    setup = Setup(ws, spec, enroll(ws, spec, priority=90))
    outcome = ask(setup, DANA, "Tuesday 10:30 PT works for me")
    assert outcome.message.state == "approved" and sent_emails(ws) == []  # booking itself sends nothing
    assert outcome.message.id in deliver(ws)
    assert sorted(m["To"].addresses[0].username for m in sent_emails(ws)) == ["dana", "priya.nair"]


def test_a_second_answer_moves_the_meeting_instead_of_booking_twice(booking: Setup) -> None:
    first = ask(booking, DANA, "Tuesday 10:30 PT works for me")
    second = ask(booking, DANA, "Actually, can we do Wednesday at 11 instead?", MONDAY + timedelta(hours=1))

    assert second.kind == "rescheduled" and second.event.uid == first.event.uid
    assert second.event.start == datetime(2026, 12, 2, 11, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert second.event.sequence == 1
    rows = meetings(booking.ws)
    assert [(r.status, r.sequence) for r in rows] == [(MeetingStatus.booked, 1)]
    calendar = open_calendar(CalendarConfig("ics", path=booking.calendar_file(0)), now=clock.now)
    assert len(calendar.busy(MONDAY, MONDAY + timedelta(days=7))) == 1
    deliver(booking.ws)
    update = next(m for m in sent_emails(booking.ws) if m["Subject"].startswith("Meeting moved"))
    assert int(calendar_part(update).walk("VEVENT")[0]["SEQUENCE"]) == 1


def test_a_cancellation_frees_the_calendar_and_tells_both_sides(booking: Setup) -> None:
    booked = ask(booking, DANA, "Tuesday 10:30 PT works for me")
    outcome = ask(booking, DANA, "Please cancel Tuesday's meeting, we went another way.", MONDAY + timedelta(hours=2))

    assert outcome.kind == "cancelled"
    assert [r.status for r in meetings(booking.ws)] == [MeetingStatus.cancelled]
    calendar = open_calendar(CalendarConfig("ics", path=booking.calendar_file(0)), now=clock.now)
    assert calendar.get(booked.event.uid) is None
    deliver(booking.ws)
    cancel = next(m for m in sent_emails(booking.ws) if m["Subject"].startswith("Meeting cancelled"))
    cal = calendar_part(cancel)
    assert str(cal["METHOD"]) == "CANCEL" and int(cal.walk("VEVENT")[0]["SEQUENCE"]) == 1
    assert prospect_messages(booking.ws)[-1].kind == "cancel"
    with booking.ws.store.transaction() as session:  # no meeting any more, still a qualified lead
        assert session.get_one(Contact, booking.contacts[DANA]).stage == LeadStage.qualified


def test_no_time_gets_real_slots_and_a_later_pick_by_position_books_it(booking: Setup) -> None:
    offered = ask(booking, SAM, "Sure - what times do you have?")
    assert offered.kind == "offered" and len(offered.slots) == 3
    assert len({s.astimezone(CHICAGO).date() for s in offered.slots}) == 3  # spread over days
    assert "your time" in offered.message.body and "EST" in offered.message.body  # Sam is in New York

    picked = ask(booking, SAM, "The second one works", MONDAY + timedelta(hours=1))
    assert picked.kind == "booked" and picked.event.start == offered.slots[1]


def test_an_ambiguous_answer_gets_a_question_not_a_booking(booking: Setup) -> None:
    outcome = ask(booking, SAM, "Monday or Tuesday at 10 works for me")
    assert outcome.kind == "clarify" and meetings(booking.ws) == []
    assert "did you mean" in outcome.message.body
    assert [s.astimezone(ZoneInfo("America/New_York")).strftime("%a %H:%M") for s in outcome.slots] == [
        "Mon 10:00",
        "Tue 10:00",
    ]


def test_routing_sends_european_accounts_to_the_london_ae(booking: Setup) -> None:
    outcome = ask(booking, OLIVIA, "Thursday at 2pm works")
    assert outcome.kind == "booked" and outcome.event.ae_name == "Hannah Okafor"
    assert outcome.event.start == datetime(2026, 12, 3, 14, 0, tzinfo=ZoneInfo("Europe/London"))


def test_a_suppressed_prospect_is_never_written_to(booking: Setup) -> None:
    with booking.ws.store.transaction() as session:
        suppress(session, DANA, "unsubscribe")
    outcome = ask(booking, DANA, "Tuesday 10:30 PT works for me")
    assert outcome.message.state == "blocked"
    review_ids = [m.id for m in prospect_messages(booking.ws)]
    with pytest.raises(Exception, match="not pending_review"):
        approve(booking.ws, review_ids, "lead")
    deliver(booking.ws)
    assert all("dana@reno.example" not in m["To"] for m in sent_emails(booking.ws))


def test_a_slot_taken_after_it_was_read_is_not_booked_and_new_times_are_offered(
    booking: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = datetime(2026, 12, 1, 12, 30, tzinfo=CHICAGO)
    calendar = open_calendar(
        CalendarConfig("ics", path=booking.calendar_file(0), options={"tz": "America/Chicago"}), now=clock.now
    )
    from tools.calendar.base import CalendarEvent

    taken = CalendarEvent(
        "by-hand", start, start + timedelta(hours=1), "Board prep", "priya.nair@lumendock.example", ()
    )
    calendar.create(taken, (start - timedelta(hours=12), start + timedelta(hours=12)), lambda busy: None)
    read_before: set[int] = set()
    real_read = Booker.busy

    def stale_first(booker: Booker) -> list:
        if id(booker) in read_before:
            return real_read(booker)
        read_before.add(id(booker))
        return []  # the decision reads the calendar before the AE's own event

    monkeypatch.setattr(Booker, "busy", stale_first)

    outcome = ask(booking, DANA, "Tuesday 10:30 PT works for me")
    assert outcome.kind == "offered" and start not in outcome.slots
    assert [r.status for r in meetings(booking.ws)] == [MeetingStatus.failed]
    assert len(calendar.busy(start, start + timedelta(hours=1))) == 1


def test_two_prospects_asking_for_the_same_slot_at_once_get_one_booking(booking: Setup, tmp_path: Any) -> None:
    """Threads, each with its own workspace on the same store and calendar file."""
    results: dict[str, Any] = {}
    barrier = threading.Barrier(2)
    # Opened here: migrating the store is not something two threads do at once.
    spaces = {
        who: Workspace(load_settings(workspace=booking.ws.settings.workspace), model=scripted()) for who in (DANA, SAM)
    }

    def race(who: str) -> None:
        barrier.wait(timeout=30)
        results[who] = handle_meeting_request(
            spaces[who], booking.contacts[who], "Tuesday at 2pm Central", MONDAY, now=MONDAY
        )

    threads = [threading.Thread(target=race, args=(who,)) for who in (DANA, SAM)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(r.kind for r in results.values()) == ["booked", "offered"]
    start = datetime(2026, 12, 1, 14, 0, tzinfo=CHICAGO)
    loser = next(r for r in results.values() if r.kind == "offered")
    assert start not in loser.slots
    calendar = open_calendar(CalendarConfig("ics", path=booking.calendar_file(0)), now=clock.now)
    assert len(calendar.busy(start, start + timedelta(minutes=30))) == 1


def test_a_claim_left_by_a_crash_is_settled_against_the_calendar(booking: Setup) -> None:
    booked = ask(booking, DANA, "Tuesday 10:30 PT works for me")
    with booking.ws.store.transaction() as session:
        row = session.get_one(Meeting, booked.event.meeting_id)
        row.status, row.created_at = MeetingStatus.booking, datetime(2026, 11, 30, 10, 0)
        orphan = Meeting(
            contact_id=booking.contacts[SAM], uid="never-written@sdr", ae_name="Priya Nair",
            ae_email="priya.nair@lumendock.example", ae_timezone="America/Chicago", prospect_timezone="UTC",
            calendar="ics", starts_at=datetime(2026, 12, 2, 15), ends_at=datetime(2026, 12, 2, 15, 30),
            status=MeetingStatus.booking, created_at=datetime(2026, 11, 30, 10, 0),
        )  # fmt: skip
        session.add(orphan)
    assert recover_bookings(booking.ws, MONDAY) == 2
    assert [r.status for r in meetings(booking.ws)] == [MeetingStatus.booked, MeetingStatus.failed]


def test_a_reply_read_late_is_checked_against_the_clock_not_the_reply(booking: Setup) -> None:
    """Written on Monday ("tomorrow at 2pm"), handled on Wednesday: the time has passed."""
    outcome = handle_meeting_request(
        booking.ws, booking.contacts[SAM], "tomorrow at 2pm", MONDAY, now=MONDAY + timedelta(days=2)
    )
    assert outcome.kind == "offered" and meetings(booking.ws) == []
    assert outcome.slots and all(s >= MONDAY + timedelta(days=3) for s in outcome.slots)  # 24 hours from Wednesday


def test_handoff_to_the_same_meeting_is_idempotent_across_requests(booking: Setup) -> None:
    ask(booking, DANA, "Tuesday 10:30 PT works for me")
    again = ask(booking, DANA, "Tuesday 10:30 PT works for me", MONDAY + timedelta(minutes=5))
    assert again.kind == "rescheduled" and again.event.start == datetime(2026, 12, 1, 12, 30, tzinfo=CHICAGO)
    assert len(meetings(booking.ws)) == 1


def test_meeting_times_are_stored_in_utc(booking: Setup) -> None:
    ask(booking, DANA, "Tuesday 10:30 PT works for me")
    (row,) = meetings(booking.ws)
    assert row.starts_at == datetime(2026, 12, 1, 18, 30) and row.starts_at.tzinfo is None
    assert row.starts_at.replace(tzinfo=UTC) == datetime(2026, 12, 1, 10, 30, tzinfo=ZoneInfo("America/Los_Angeles"))


def test_two_processes_asking_for_the_same_slot_get_one_booking(booking: Setup) -> None:
    import multiprocessing

    from tests.meetings.racer import request

    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    processes = [
        context.Process(
            target=request,
            args=(
                str(booking.ws.settings.workspace),
                booking.contacts[who],
                "Tuesday at 2pm Central",
                MONDAY.isoformat(),
                barrier,
                results,
            ),
        )
        for who in (DANA, SAM)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=180)
        assert process.exitcode == 0
    kinds = sorted(results.get(timeout=10)[1] for _ in processes)
    assert kinds == ["booked", "offered"]
    assert [r.status for r in meetings(booking.ws)].count(MeetingStatus.booked) == 1


def test_a_no_show_gets_one_new_offer_then_goes_back_to_nurture(booking: Setup) -> None:
    from agent.replies.no_show import mark_no_show

    first = ask(booking, DANA, "Tuesday 10:30 PT works for me")
    later = first.event.start + timedelta(minutes=20)
    rebook = mark_no_show(booking.ws, first.event.meeting_id, now=later)
    assert not isinstance(rebook, str) and rebook.kind == "offered" and len(rebook.slots) == 3

    second = ask(booking, DANA, "The first one", later + timedelta(hours=1))
    assert second.kind == "booked" and second.event.start == rebook.slots[0]
    missed = second.event.start + timedelta(minutes=20)
    result = mark_no_show(booking.ws, second.event.meeting_id, now=missed)
    assert isinstance(result, str) and result.startswith("no-show: back to nurture, follow up on ")
    assert [r.status for r in meetings(booking.ws)] == [MeetingStatus.no_show, MeetingStatus.no_show]
    with booking.ws.store.transaction() as session:  # the campaign's rule: 30 days, then nurture again
        (touch,) = session.scalars(select(NurtureTouch)).all()
        assert touch.contact_id == booking.contacts[DANA] and touch.due_on == (missed + timedelta(days=30)).date()
        assert session.get_one(Contact, booking.contacts[DANA]).stage == LeadStage.contacted
    with pytest.raises(Exception, match="not booked"):
        mark_no_show(booking.ws, second.event.meeting_id, now=second.event.start + timedelta(hours=1))
