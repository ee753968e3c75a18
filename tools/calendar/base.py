"""What a calendar is to the agent: free/busy, and create, move or cancel one event, safely.

Every write re-checks the calendar at the moment of writing (`fits` is called on the busy
blocks as they are then, under the backend's concurrency control) so that two writers can never
book the same free time twice: one wins, the other gets `SlotTaken` and offers new times.
A new backend is one module registered with `@backend`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from icalendar import Calendar as ICalendar
from icalendar import Event as IEvent

from tools.errors import ToolError

PRODID = "-//sdr-agent//meetings//EN"
MARK = "X-SDR-AGENT"  # on events this agent wrote


class CalendarError(ToolError):
    """A calendar could not be read or written."""


class SlotTaken(CalendarError):
    """The time was free when offered but is not at the moment of writing."""


class EventChanged(CalendarError):
    """The event changed on the calendar since it was read (an ETag mismatch)."""


@dataclass(frozen=True)
class Busy:
    start: datetime  # aware
    end: datetime
    uid: str | None = None
    summary: str = ""


@dataclass(frozen=True)
class CalendarEvent:
    """One event on an AE's calendar, as this agent writes it; times are aware."""

    uid: str
    start: datetime
    end: datetime
    summary: str
    organizer: str  # an email address
    attendees: tuple[str, ...]
    description: str = ""
    tz: str = "UTC"  # the zone DTSTART is written in (the AE's)
    sequence: int = 0
    status: str = "CONFIRMED"

    def moved(self, start: datetime, end: datetime) -> CalendarEvent:
        return replace(self, start=start, end=end, sequence=self.sequence + 1)


Fits = Callable[[list[Busy]], str | None]
"""Given the busy blocks in the window, None when the meeting fits, else why it does not."""


class Calendar(Protocol):
    name: str

    def busy(self, start: datetime, end: datetime) -> list[Busy]:
        """Busy blocks overlapping [start, end), recurring events expanded."""

    def get(self, uid: str) -> CalendarEvent | None: ...

    def create(self, meeting: CalendarEvent, window: tuple[datetime, datetime], fits: Fits) -> CalendarEvent:
        """Write the meeting if `fits` accepts the busy blocks in `window`; else raise SlotTaken."""

    def move(
        self, uid: str, start: datetime, end: datetime, window: tuple[datetime, datetime], fits: Fits
    ) -> CalendarEvent:
        """Move the event (SEQUENCE + 1) if `fits` accepts the other busy blocks in `window`."""

    def cancel(self, uid: str) -> CalendarEvent:
        """Remove the event from the calendar and return it as it was (SEQUENCE + 1)."""


@dataclass(frozen=True)
class CalendarConfig:
    backend: str  # "ics" or "caldav"
    path: Path | None = None
    url: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    options: dict[str, Any] = field(default_factory=dict)


Now = Callable[[], datetime]
"""The caller's clock: this moment, aware (a backend reads no other time)."""

Factory = Callable[[CalendarConfig, Now], Calendar]
BACKENDS: dict[str, Factory] = {}


def backend(name: str) -> Callable[[Factory], Factory]:
    def register(factory: Factory) -> Factory:
        BACKENDS[name] = factory
        return factory

    return register


# ---- iCalendar helpers shared by the backends ------------------------------------------------


def timed_vevent(meeting: CalendarEvent, status: str, stamp: datetime) -> IEvent:
    """The VEVENT's identity and time, in the meeting's own zone (TZID), with `status`: what a
    calendar entry and an invitation of the same meeting share. `stamp` is when it was written."""
    zone = ZoneInfo(meeting.tz)
    event = IEvent()
    event.add("uid", meeting.uid)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", meeting.start.astimezone(zone))
    event.add("dtend", meeting.end.astimezone(zone))
    event.add("summary", meeting.summary)
    event.add("sequence", meeting.sequence)
    event.add("status", status)
    event.add("transp", "OPAQUE")
    return event


def to_vevent(meeting: CalendarEvent, stamp: datetime) -> IEvent:
    event = timed_vevent(meeting, meeting.status, stamp)
    if meeting.description:
        event.add("description", meeting.description)
    event.add("organizer", f"mailto:{meeting.organizer}")
    for attendee in meeting.attendees:
        event.add("attendee", f"mailto:{attendee}")
    event.add(MARK, "1")
    return event


def from_vevent(event: Any, tz: str = "UTC") -> CalendarEvent:
    start, end = _aware(event.decoded("dtstart")), _aware(event.decoded("dtend"))
    tzid = event["dtstart"].params.get("TZID", tz)

    def address(value: Any) -> str:
        return str(value).removeprefix("mailto:").removeprefix("MAILTO:")

    attendees = event.get("attendee", [])
    attendees = attendees if isinstance(attendees, list) else [attendees]
    return CalendarEvent(
        uid=str(event["uid"]),
        start=start,
        end=end,
        summary=str(event.get("summary", "")),
        organizer=address(event.get("organizer", "")),
        attendees=tuple(address(a) for a in attendees),
        description=str(event.get("description", "")),
        tz=str(tzid),
        sequence=int(event.get("sequence", 0)),
        status=str(event.get("status", "CONFIRMED")),
    )


def _aware(value: Any, tz: str = "UTC") -> datetime:
    """Floating times and all-day dates are read in the calendar owner's zone."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=ZoneInfo(tz))
    return datetime(value.year, value.month, value.day, tzinfo=ZoneInfo(tz))


def busy_from(calendars: Iterable[ICalendar], start: datetime, end: datetime, tz: str = "UTC") -> list[Busy]:
    """Busy blocks in [start, end) from VCALENDAR objects: recurrences expanded, free and cancelled skipped."""
    import recurring_ical_events

    blocks = []
    for cal in calendars:
        for event in recurring_ical_events.of(cal).between(start - timedelta(days=1), end + timedelta(days=1)):
            if str(event.get("transp", "OPAQUE")).upper() == "TRANSPARENT":
                continue
            if str(event.get("status", "")).upper() == "CANCELLED":
                continue
            begin = _aware(event.decoded("dtstart"), tz)
            if "dtend" in event:
                finish = _aware(event.decoded("dtend"), tz)
            elif "duration" in event:
                finish = begin + event.decoded("duration")
            else:  # RFC 5545: a date lasts the day, a date-time takes no time
                finish = begin + (
                    timedelta(days=1) if not isinstance(event.decoded("dtstart"), datetime) else timedelta()
                )
            if begin < end and finish > start:
                blocks.append(Busy(begin, finish, str(event.get("uid", "")) or None, str(event.get("summary", ""))))
    return sorted(blocks, key=lambda b: b.start)
