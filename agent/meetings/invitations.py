"""Calendar invitations (RFC 5545 / iTIP RFC 5546); `agent.sending.compose` puts them in emails (RFC 6047).

A booking sends METHOD:REQUEST to the prospect and the AE, a move sends it again with SEQUENCE
raised, a cancellation sends METHOD:CANCEL. DTSTART carries the AE's TZID and the VTIMEZONE is
included, so every calendar program shows the right local time on both sides of a DST change.
The AE's copy carries the handoff note; the prospect's never does.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from icalendar import Calendar as ICalendar
from icalendar import vCalAddress, vText

from agent import clock
from tools.calendar.base import PRODID, CalendarEvent, timed_vevent

Method = Literal["REQUEST", "CANCEL"]


def _address(email: str, name: str, role: str | None = None) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = vText(name)
    if role:
        address.params["ROLE"] = vText(role)
        address.params["PARTSTAT"] = vText("NEEDS-ACTION")
        address.params["RSVP"] = vText("TRUE")
    return address


def invitation(
    event: CalendarEvent,
    method: Method,
    *,
    organizer: tuple[str, str],
    attendees: list[tuple[str, str]],
    description: str,
    location: str | None = None,
) -> str:
    """The iCalendar text of an invitation: `organizer` and `attendees` are (name, email)."""
    vevent = timed_vevent(event, "CANCELLED" if method == "CANCEL" else "CONFIRMED", clock.now())
    if description:
        vevent.add("description", description)
    if location:
        vevent.add("location", location)
    vevent.add("organizer", _address(organizer[1], organizer[0]))
    for name, email in attendees:
        vevent.add("attendee", _address(email, name, "REQ-PARTICIPANT"), encode=False)
    cal = ICalendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", method)
    cal.add_component(vevent)
    # Only the transitions around the meeting: a VTIMEZONE for 1970-2038 is 60 lines of noise.
    cal.add_missing_timezones(date(event.start.year - 1, 1, 1), date(event.start.year + 2, 1, 1))
    return cal.to_ical().decode()
