"""Calendars the agent books into: an `.ics` file per AE by default, CalDAV by configuration."""

from tools.calendar import caldav, ics  # noqa: F401  (the built-in backends register themselves)
from tools.calendar.base import (
    BACKENDS,
    Busy,
    Calendar,
    CalendarConfig,
    CalendarError,
    CalendarEvent,
    EventChanged,
    Now,
    SlotTaken,
    backend,
)


def open_calendar(config: CalendarConfig, *, now: Now) -> Calendar:
    if config.backend not in BACKENDS:
        raise CalendarError(f"unknown calendar backend {config.backend!r} (known: {', '.join(sorted(BACKENDS))})")
    return BACKENDS[config.backend](config, now)


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
