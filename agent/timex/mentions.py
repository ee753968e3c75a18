"""The dates and periods a text names, each with its place in the text, for fields that hold a date
(an out-of-office return date, a nurture date, a timeline). Same words and rules as `read_times`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from agent.timex.clock import find_times
from agent.timex.days import Day, Period, find_days, find_periods, place_days
from agent.timex.scan import Scanner, frame
from agent.timex.zones import zone_of


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    day: date
    period_end: date  # same as day for a single day
    text: str

    def after(self) -> date:
        return self.period_end + timedelta(days=1)


def date_mentions(text: str, today: date, zone_name: str) -> list[DateMention]:
    """Every date or period named in `text`, read on `today` in `zone_name`, in the order written."""
    s = Scanner(text)
    f = frame(s, datetime.combine(today, time(12), zone_of(zone_name)), zone_name, None, None)
    days = find_days(s, f)
    find_times(s, f)  # clock times are not dates ("10.30", "at 3")
    days, periods = place_days(s, f, days, find_periods(s, f))
    named: list[Day | Period] = [*days, *periods]
    found = [DateMention(m.start, m.end, *span, text[m.start : m.end]) for m in named if (span := _span(m)) is not None]
    return sorted(found, key=lambda m: m.start)


def _span(mention: Day | Period) -> tuple[date, date] | None:
    if isinstance(mention, Day):
        return (mention.dates[0], mention.dates[0]) if mention.dates else None
    return (mention.first, mention.last) if mention.first is not None and mention.last is not None else None
