"""When a step may go out: business days after the previous one, inside the sending window
in the prospect's own time zone, never on a public holiday where the prospect is."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from agent.campaign import WEEKDAYS, Sending
from agent.clock import as_utc, in_zone
from agent.public_holidays import NO_HOLIDAYS, PublicHolidays, public_holidays
from agent.store.tables import Contact

# Long enough to cross any run of holidays and weekends (Christmas to New Year, Golden Week).
_SEARCH_DAYS = 31


def prospect_holidays(contact: Contact, sending: Sending) -> PublicHolidays:
    """The public holidays of the prospect's country and region (their account's, else their time
    zone's); none when the campaign does not observe them."""
    if not sending.observe_public_holidays:
        return NO_HOLIDAYS
    account = contact.account
    return public_holidays(
        account.country if account else None,
        account.region if account else None,
        timezone=contact.timezone or sending.default_timezone,
    )


def _sending_day(day: date, sending: Sending, days_off: PublicHolidays) -> bool:
    return WEEKDAYS[day.weekday()] in sending.days and days_off.on(day) is None


def add_business_days(
    start_utc: datetime, days: int, tz: ZoneInfo, sending: Sending, days_off: PublicHolidays = NO_HOLIDAYS
) -> datetime:
    """`days` sending days after `start_utc`, at the same local time of day; a public holiday in
    `days_off` is not a sending day."""
    local = in_zone(start_utc, tz)
    while days > 0:
        local += timedelta(days=1)
        if _sending_day(local.date(), sending, days_off):
            days -= 1
    # Re-attach the zone so a daylight-saving change keeps the wall-clock time.
    return as_utc(local.replace(tzinfo=None).replace(tzinfo=tz))


def in_window(now_utc: datetime, tz: ZoneInfo, sending: Sending, days_off: PublicHolidays = NO_HOLIDAYS) -> bool:
    local = in_zone(now_utc, tz)
    return _sending_day(local.date(), sending, days_off) and sending.window_start <= local.time() < sending.window_end


def next_window_start(
    after_utc: datetime, tz: ZoneInfo, sending: Sending, days_off: PublicHolidays = NO_HOLIDAYS
) -> datetime:
    """The first moment at or after `after_utc` inside the window."""
    if in_window(after_utc, tz, sending, days_off):
        return after_utc
    local = in_zone(after_utc, tz)
    for offset in range(_SEARCH_DAYS):
        day = (local + timedelta(days=offset)).date()
        if not _sending_day(day, sending, days_off):
            continue
        start = datetime.combine(day, sending.window_start, tzinfo=tz)
        if start.astimezone(UTC).replace(tzinfo=None) >= after_utc:
            return as_utc(start)
        if offset == 0 and local.time() < sending.window_start:
            return as_utc(start)
    raise ValueError("a sending window with no days")


def next_business_morning(now_utc: datetime, sending: Sending) -> datetime:
    """Now if the campaign's window is open, else an hour after it next opens (an hour in, so
    prospects a time zone or two west of the campaign's are inside their own windows too); the
    holidays are those of the campaign's own time zone's country."""
    tz = ZoneInfo(sending.default_timezone)
    days_off = (
        public_holidays(None, timezone=sending.default_timezone) if sending.observe_public_holidays else NO_HOLIDAYS
    )
    if in_window(now_utc, tz, sending, days_off):
        return now_utc
    return next_window_start(now_utc, tz, sending, days_off) + timedelta(hours=1)
