"""When an AE can take a meeting (rule B3 in evals/booking/README.md), and which slots to offer.

The AE's calendar is the truth: a start is bookable only when the whole meeting fits inside
working hours on one day that is not a public holiday where the AE works, keeps the buffer clear
on both sides of every busy block, respects the minimum notice, and the AE's day is below its cap
of busy blocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from agent.campaign.meetings import WEEKDAYS, AccountExecutive
from agent.public_holidays import NO_HOLIDAYS, PublicHolidays
from agent.timex import GRID, grid_starts
from tools.calendar.base import Busy


@dataclass(frozen=True)
class Rules:
    tz: str
    day_start: time
    day_end: time
    days: frozenset[int]  # 0 = Monday
    meeting: timedelta
    buffer: timedelta
    notice: timedelta
    daily_cap: int
    days_off: PublicHolidays = NO_HOLIDAYS

    @classmethod
    def of(cls, ae: AccountExecutive) -> Rules:
        hours = ae.working_hours
        return cls(
            tz=ae.timezone,
            day_start=hours.start,
            day_end=hours.end,
            days=frozenset(WEEKDAYS.index(d) for d in hours.days),
            meeting=timedelta(minutes=ae.meeting_minutes),
            buffer=timedelta(minutes=ae.buffer_minutes),
            notice=timedelta(hours=ae.min_notice_hours),
            daily_cap=ae.daily_cap,
            days_off=ae.holidays,
        )

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def day_window(self, day: date) -> tuple[datetime, datetime]:
        """The AE's whole local day, which the daily cap counts, widened by the buffer."""
        start = datetime.combine(day, time(0), tzinfo=self.zone)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.zone)
        return start - self.buffer, end + self.buffer

    def window_for(self, start: datetime) -> tuple[datetime, datetime]:
        return self.day_window(start.astimezone(self.zone).date())


def why_not(start: datetime, rules: Rules, busy: list[Busy], now: datetime) -> str | None:
    """None when `start` is bookable, else the first rule it breaks, in words."""
    end = start + rules.meeting
    local, local_end = start.astimezone(rules.zone), end.astimezone(rules.zone)
    if start < now + rules.notice:
        return "past" if start < now else f"less than {rules.notice.total_seconds() / 3600:g} hours' notice"
    if local.weekday() not in rules.days:
        return f"{local:%A} is not a working day"
    if holiday := rules.days_off.on(local.date()):
        return f"{local:%A %d %B} is a public holiday ({holiday})"
    if local.date() != local_end.date() or local.time() < rules.day_start or local_end.time() > rules.day_end:
        return (
            f"{local:%H:%M}-{local_end:%H:%M} is outside working hours ({rules.day_start:%H:%M}-{rules.day_end:%H:%M})"
        )
    for block in busy:
        if block.start < end + rules.buffer and block.end > start - rules.buffer:
            return "busy" if block.start < end and block.end > start else "too close to another meeting"
    if sum(1 for b in busy if b.start.astimezone(rules.zone).date() == local.date()) >= rules.daily_cap:
        return f"the daily cap of {rules.daily_cap} is reached"
    return None


def earliest(start: datetime, end: datetime, rules: Rules, busy: list[Busy], now: datetime) -> datetime | None:
    """B4.5: the earliest bookable start on the 30-minute grid inside [start, end)."""
    for candidate in grid_starts(start, end, now, rules.meeting):
        if why_not(candidate, rules, busy, now) is None:
            return candidate
    return None


def free_slots(
    rules: Rules,
    busy: list[Busy],
    now: datetime,
    *,
    count: int = 3,
    horizon_days: int = 14,
    prospect_tz: str | None = None,
    not_before: datetime | None = None,
) -> list[datetime]:
    """A few bookable starts on different days, alternating mornings and afternoons.

    Starts inside the prospect's own 08:00-18:00 come first: an offer at 05:30 their time is no
    offer.
    """
    prospect = ZoneInfo(prospect_tz) if prospect_tz else rules.zone
    first_day = max(now, not_before or now).astimezone(rules.zone).date()
    chosen: list[datetime] = []
    for offset in range(horizon_days + 1):
        day = first_day + timedelta(days=offset)
        if day.weekday() not in rules.days or rules.days_off.on(day):
            continue
        opens = datetime.combine(day, rules.day_start, tzinfo=rules.zone)
        closes = datetime.combine(day, rules.day_end, tzinfo=rules.zone)
        # A start on this day is held only by blocks that touch the day (its cap counts those that start on it).
        low, high = rules.day_window(day)
        today = [b for b in busy if b.start < high and b.end > low]
        starts = [s for s in grid_starts(opens, closes, now, rules.meeting) if why_not(s, rules, today, now) is None]
        if not_before is not None:
            starts = [s for s in starts if s >= not_before]
        polite = [s for s in starts if time(8) <= s.astimezone(prospect).time() <= time(17, 30)] or starts
        if not polite:
            continue
        afternoon = len(chosen) % 2 == 1
        pick = next((s for s in polite if (s.astimezone(prospect).hour >= 13) == afternoon), polite[0])
        chosen.append(pick)
        if len(chosen) == count:
            break
    return chosen


__all__ = ["GRID", "Rules", "earliest", "free_slots", "why_not"]
