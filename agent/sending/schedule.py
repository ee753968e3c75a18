"""When a step may go out: business days after the previous one, inside the sending window
in the prospect's own time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from agent.campaign import WEEKDAYS, Sending
from agent.clock import as_utc, in_zone


def _workdays(sending: Sending) -> set[int]:
    return {WEEKDAYS.index(day) for day in sending.days}


def add_business_days(start_utc: datetime, days: int, tz: ZoneInfo, sending: Sending) -> datetime:
    """`days` sending days after `start_utc`, at the same local time of day."""
    local = in_zone(start_utc, tz)
    workdays = _workdays(sending)
    while days > 0:
        local += timedelta(days=1)
        if local.weekday() in workdays:
            days -= 1
    # Re-attach the zone so a daylight-saving change keeps the wall-clock time.
    return as_utc(local.replace(tzinfo=None).replace(tzinfo=tz))


def in_window(now_utc: datetime, tz: ZoneInfo, sending: Sending) -> bool:
    local = in_zone(now_utc, tz)
    return local.weekday() in _workdays(sending) and sending.window_start <= local.time() < sending.window_end


def next_window_start(after_utc: datetime, tz: ZoneInfo, sending: Sending) -> datetime:
    """The first moment at or after `after_utc` inside the window."""
    if in_window(after_utc, tz, sending):
        return after_utc
    local = in_zone(after_utc, tz)
    for offset in range(0, 15):
        day = (local + timedelta(days=offset)).date()
        start = datetime.combine(day, sending.window_start, tzinfo=tz)
        if day.weekday() in _workdays(sending) and start.astimezone(UTC).replace(tzinfo=None) >= after_utc:
            return as_utc(start)
        if offset == 0 and day.weekday() in _workdays(sending) and local.time() < sending.window_start:
            return as_utc(start)
    raise ValueError("a sending window with no days")


def next_business_morning(now_utc: datetime, sending: Sending) -> datetime:
    """Now if the campaign's window is open, else an hour after it next opens (an hour in, so
    prospects a time zone or two west of the campaign's are inside their own windows too)."""
    tz = ZoneInfo(sending.default_timezone)
    if in_window(now_utc, tz, sending):
        return now_utc
    return next_window_start(now_utc, tz, sending) + timedelta(hours=1)
