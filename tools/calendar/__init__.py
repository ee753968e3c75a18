"""Calendars the agent books into: an `.ics` file per AE by default, CalDAV by configuration."""

from tools.calendar.base import (
    Busy,
    Calendar,
    CalendarConfig,
    CalendarError,
    CalendarEvent,
    EventChanged,
    SlotTaken,
    backend,
    open_calendar,
)

__all__ = [
    "Busy",
    "Calendar",
    "CalendarConfig",
    "CalendarError",
    "CalendarEvent",
    "EventChanged",
    "SlotTaken",
    "backend",
    "open_calendar",
]
