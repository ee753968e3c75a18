"""Both calendar backends, the same contract: free/busy, create, move, cancel, and no double booking."""

from __future__ import annotations

import multiprocessing
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar as ICalendar
from icalendar import Event as IEvent

from agent import clock
from tests.calendar.conftest import Radicale
from tests.calendar.racer import book
from tools.calendar import Busy, Calendar, CalendarConfig, CalendarError, CalendarEvent, SlotTaken, open_calendar

CHICAGO = ZoneInfo("America/Chicago")
TUESDAY_10 = datetime(2026, 12, 8, 10, 0, tzinfo=CHICAGO)


def event(uid: str, start: datetime, minutes: int = 30) -> CalendarEvent:
    return CalendarEvent(
        uid, start, start + timedelta(minutes=minutes), "Intro call", "maya@lumendock.example",
        ("pat@prospect.example", "priya@lumendock.example"), description="handoff", tz="America/Chicago",
    )  # fmt: skip


def no_overlap(start: datetime, minutes: int = 30) -> Any:
    end = start + timedelta(minutes=minutes)
    return lambda busy: "taken" if any(b.start < end and b.end > start for b in busy) else None


def day(start: datetime) -> tuple[datetime, datetime]:
    return start - timedelta(hours=12), start + timedelta(hours=12)


def config_for(kind: str, tmp_path: Path, radicale: Radicale | None) -> CalendarConfig:
    if kind == "ics":
        return CalendarConfig("ics", path=tmp_path / "calendars" / "priya.ics", options={"tz": "America/Chicago"})
    assert radicale is not None
    return CalendarConfig(
        "caldav", url=radicale.new_calendar(), username=radicale.username, password=radicale.password,
        options={"tz": "America/Chicago"},
    )  # fmt: skip


@pytest.fixture(params=["ics", "caldav"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> CalendarConfig:
    server = request.getfixturevalue("radicale") if request.param == "caldav" else None
    return config_for(request.param, tmp_path, server)


def test_create_move_cancel_round_trip(backend: CalendarConfig) -> None:
    calendar = open_calendar(backend, now=clock.now)
    calendar.create(event("m1@sdr", TUESDAY_10), day(TUESDAY_10), no_overlap(TUESDAY_10))
    busy = calendar.busy(TUESDAY_10 - timedelta(hours=1), TUESDAY_10 + timedelta(hours=1))
    assert [(b.start, b.end, b.uid) for b in busy] == [(TUESDAY_10, TUESDAY_10 + timedelta(minutes=30), "m1@sdr")]

    later = TUESDAY_10 + timedelta(hours=3)
    moved = calendar.move("m1@sdr", later, later + timedelta(minutes=30), day(later), no_overlap(later))
    assert moved.sequence == 1 and moved.start == later
    stored = calendar.get("m1@sdr")
    assert stored is not None and stored.start == later and stored.sequence == 1 and stored.tz == "America/Chicago"

    cancelled = calendar.cancel("m1@sdr")
    assert cancelled.status == "CANCELLED" and cancelled.sequence == 2
    assert calendar.get("m1@sdr") is None
    assert calendar.busy(TUESDAY_10 - timedelta(days=1), TUESDAY_10 + timedelta(days=1)) == []


def test_a_busy_slot_is_refused_at_the_moment_of_writing(backend: CalendarConfig) -> None:
    calendar = open_calendar(backend, now=clock.now)
    calendar.create(event("first@sdr", TUESDAY_10), day(TUESDAY_10), no_overlap(TUESDAY_10))
    overlapping = TUESDAY_10 + timedelta(minutes=15)
    with pytest.raises(SlotTaken):
        calendar.create(event("second@sdr", overlapping), day(overlapping), no_overlap(overlapping))
    assert calendar.get("second@sdr") is None


def test_a_move_ignores_its_own_block_but_not_others(backend: CalendarConfig) -> None:
    calendar = open_calendar(backend, now=clock.now)
    calendar.create(event("a@sdr", TUESDAY_10), day(TUESDAY_10), no_overlap(TUESDAY_10))
    blocker = TUESDAY_10 + timedelta(hours=2)
    calendar.create(event("b@sdr", blocker), day(blocker), no_overlap(blocker))
    half_later = TUESDAY_10 + timedelta(minutes=15)
    calendar.move("a@sdr", half_later, half_later + timedelta(minutes=30), day(half_later), no_overlap(half_later))
    with pytest.raises(SlotTaken):
        calendar.move("a@sdr", blocker, blocker + timedelta(minutes=30), day(blocker), no_overlap(blocker))
    stored = calendar.get("a@sdr")
    assert stored is not None and stored.start == half_later


def test_recurring_and_all_day_events_are_busy_and_transparent_ones_are_not(backend: CalendarConfig) -> None:
    calendar = open_calendar(backend, now=clock.now)
    if backend.backend == "ics":
        assert backend.path is not None
        backend.path.parent.mkdir(parents=True, exist_ok=True)
        cal = ICalendar()
        cal.add("prodid", "-//test//EN")
        cal.add("version", "2.0")
        standup = IEvent()
        standup.add("uid", "standup")
        standup.add("dtstart", datetime(2026, 11, 2, 9, 0, tzinfo=CHICAGO))
        standup.add("dtend", datetime(2026, 11, 2, 9, 15, tzinfo=CHICAGO))
        standup.add("rrule", {"freq": "weekly", "byday": ["MO", "TU", "WE", "TH", "FR"]})
        cal.add_component(standup)
        offsite = IEvent()
        offsite.add("uid", "offsite")
        offsite.add("dtstart", datetime(2026, 12, 9).date())
        offsite.add("dtend", datetime(2026, 12, 10).date())
        cal.add_component(offsite)
        free = IEvent()
        free.add("uid", "reminder")
        free.add("dtstart", datetime(2026, 12, 8, 13, 0, tzinfo=CHICAGO))
        free.add("dtend", datetime(2026, 12, 8, 14, 0, tzinfo=CHICAGO))
        free.add("transp", "TRANSPARENT")
        cal.add_component(free)
        cal.add_missing_timezones()
        backend.path.write_bytes(cal.to_ical())
    else:
        import caldav

        client = caldav.DAVClient(url=backend.url, username=backend.username, password=backend.password)
        collection = client.calendar(url=backend.url)
        collection.save_event(
            dtstart=datetime(2026, 11, 2, 9, 0, tzinfo=CHICAGO), dtend=datetime(2026, 11, 2, 9, 15, tzinfo=CHICAGO),
            uid="standup", summary="stand-up", rrule={"FREQ": "WEEKLY", "BYDAY": ["MO", "TU", "WE", "TH", "FR"]},
        )  # fmt: skip
        collection.save_event(
            dtstart=datetime(2026, 12, 9).date(), dtend=datetime(2026, 12, 10).date(), uid="offsite", summary="offsite"
        )
        collection.save_event(
            dtstart=datetime(2026, 12, 8, 13, 0, tzinfo=CHICAGO), dtend=datetime(2026, 12, 8, 14, 0, tzinfo=CHICAGO),
            uid="reminder", summary="reminder", transp="TRANSPARENT",
        )  # fmt: skip
    busy = calendar.busy(datetime(2026, 12, 8, tzinfo=CHICAGO), datetime(2026, 12, 10, tzinfo=CHICAGO))
    assert [(b.uid, b.start.astimezone(CHICAGO).strftime("%a %H:%M")) for b in busy] == [
        ("standup", "Tue 09:00"),
        ("offsite", "Wed 00:00"),
        ("standup", "Wed 09:00"),
    ]


def test_two_threads_booking_the_same_slot_book_it_once(backend: CalendarConfig) -> None:
    calendars: list[Calendar] = [open_calendar(backend, now=clock.now), open_calendar(backend, now=clock.now)]
    for round_number in range(3):
        start = TUESDAY_10 + timedelta(days=round_number)
        barrier = threading.Barrier(2)
        results: dict[str, str] = {}

        def race(
            calendar: Calendar,
            uid: str,
            start: datetime = start,
            barrier: threading.Barrier = barrier,
            results: dict[str, str] = results,
        ) -> None:
            barrier.wait(timeout=30)
            try:
                calendar.create(event(uid, start), day(start), no_overlap(start))
                results[uid] = "booked"
            except SlotTaken:
                results[uid] = "taken"

        threads = [threading.Thread(target=race, args=(calendars[n], f"r{round_number}-{n}@sdr")) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(results.values()) == ["booked", "taken"], results
        busy = calendars[0].busy(start - timedelta(hours=1), start + timedelta(hours=1))
        assert len(busy) == 1 and results[busy[0].uid or ""] == "booked"


def test_two_processes_booking_the_same_slot_book_it_once(backend: CalendarConfig) -> None:
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    config = {k: (str(v) if isinstance(v, Path) else v) for k, v in backend.__dict__.items()}
    processes = [
        context.Process(target=book, args=(config, TUESDAY_10.isoformat(), f"p{n}@sdr", barrier, results))
        for n in range(2)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0
    outcomes = dict(results.get(timeout=10) for _ in processes)
    assert sorted(outcomes.values()) == ["booked", "taken"], outcomes
    busy = open_calendar(backend, now=clock.now).busy(TUESDAY_10 - timedelta(hours=1), TUESDAY_10 + timedelta(hours=1))
    assert len(busy) == 1 and outcomes[busy[0].uid or ""] == "booked"


def test_a_uid_is_never_overwritten(backend: CalendarConfig) -> None:
    calendar = open_calendar(backend, now=clock.now)
    calendar.create(event("same@sdr", TUESDAY_10), day(TUESDAY_10), no_overlap(TUESDAY_10))
    elsewhere = TUESDAY_10 + timedelta(days=2)
    with pytest.raises(CalendarError):
        calendar.create(event("same@sdr", elsewhere), day(elsewhere), no_overlap(elsewhere))
    stored = calendar.get("same@sdr")
    assert stored is not None and stored.start == TUESDAY_10


def test_caldav_an_event_written_by_a_person_meanwhile_wins(radicale: Radicale) -> None:
    """A person adds a meeting without the agent's lock: the agent's after-write check yields to it."""
    import caldav

    from tools.calendar.caldav import CalDavCalendar

    url = radicale.new_calendar()
    calendar = CalDavCalendar(url, radicale.username, radicale.password, "America/Chicago", now=clock.now)
    person = caldav.DAVClient(url=url, username=radicale.username, password=radicale.password).calendar(url=url)
    calls = []

    def fits(busy: list[Busy]) -> str | None:
        calls.append(len(busy))
        if len(calls) == 1:  # between the agent's check and its write, the AE books the same time
            person.save_event(dtstart=TUESDAY_10, dtend=TUESDAY_10 + timedelta(minutes=60), uid="by-hand", summary="x")
            return None
        return no_overlap(TUESDAY_10)(busy)

    with pytest.raises(SlotTaken):
        calendar.create(event("agent@sdr", TUESDAY_10), day(TUESDAY_10), fits)
    assert calendar.get("agent@sdr") is None
    assert [b.uid for b in calendar.busy(TUESDAY_10, TUESDAY_10 + timedelta(hours=1))] == ["by-hand"]


def test_caldav_a_stale_lock_from_a_crashed_writer_expires(radicale: Radicale) -> None:
    from tools.calendar import caldav as backend_module

    url = radicale.new_calendar()
    calendar = backend_module.CalDavCalendar(
        url, radicale.username, radicale.password, "America/Chicago", now=clock.now
    )
    expired = backend_module._lock_body(clock.now() - timedelta(hours=1), clock.now() - timedelta(minutes=1))
    assert calendar._put(url + backend_module.LOCK_NAME, expired, {"If-None-Match": "*"}) is not None
    calendar.create(event("after-crash@sdr", TUESDAY_10), day(TUESDAY_10), no_overlap(TUESDAY_10))
    assert calendar.get("after-crash@sdr") is not None
    assert calendar._get(url + backend_module.LOCK_NAME) is None  # released after the write


def test_an_ics_calendar_changed_by_hand_is_read_again(tmp_path: Path) -> None:
    """Busy blocks are kept per file between requests; an event a person adds shows at once."""
    config = config_for("ics", tmp_path, None)
    calendar = open_calendar(config, now=clock.now)
    calendar.create(event("m1@sdr", TUESDAY_10), day(TUESDAY_10), no_overlap(TUESDAY_10))
    window = (TUESDAY_10 - timedelta(days=1), TUESDAY_10 + timedelta(days=1))
    assert [b.uid for b in calendar.busy(*window)] == ["m1@sdr"]
    assert [b.uid for b in calendar.busy(window[0] + timedelta(hours=1), window[1])] == ["m1@sdr"]

    assert config.path is not None
    edited = ICalendar.from_ical(config.path.read_bytes())
    lunch = IEvent()
    lunch.add("uid", "lunch@person")
    lunch.add("dtstart", TUESDAY_10 + timedelta(hours=2))
    lunch.add("dtend", TUESDAY_10 + timedelta(hours=3))
    edited.add_component(lunch)
    config.path.write_bytes(edited.to_ical())  # in place, as an editor may write it

    assert [b.uid for b in open_calendar(config, now=clock.now).busy(*window)] == ["m1@sdr", "lunch@person"]
    assert calendar.busy(TUESDAY_10 + timedelta(hours=1), TUESDAY_10 + timedelta(hours=2, minutes=30)) == [
        Busy(TUESDAY_10 + timedelta(hours=2), TUESDAY_10 + timedelta(hours=3), "lunch@person")
    ]
