"""Read a prospect's words about time into concrete start times: the one reader that reply reading
and booking share (rules R1-R11 in evals/booking/README.md, R12-R18 in evals/times/README.md).

"Tuesday 10:30 PT works", "any time after 3 on Thursday", "la semaine prochaine, mardi à 10h":
the text is scanned for mentions (days, clock times, windows, periods, a named zone), mentions
are grouped into proposals ("Monday or Tuesday at 10" is one proposal with two days), proposals
in negative or past clauses are set aside, and what is left is resolved on the prospect's calendar.

Rules of our own rather than a general-purpose parser (`dateparser` was measured on the same
sets: first candidate right 0.08 on the development set, 0.32 on the booking set): the rules are
precise (bare hours are business hours, "next Wednesday" is ambiguous on a Monday, a weekday
never means today, a period is vague) and a general parser reads them differently or not at all.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Literal

from agent.timex import vocabulary as v
from agent.timex.clock import ClockTime, find_times
from agent.timex.days import Day, Period, find_days, find_periods, place_days
from agent.timex.scan import Frame, Scanner, frame

Kind = Literal["slot", "range", "vague", "none"]
GRID = timedelta(minutes=30)
BUSINESS_DAY = (540, 1020)  # 09:00-17:00, for a day named without a time (R5)
MAX_CANDIDATES = 4


@dataclass(frozen=True)
class Reading:
    """What a text says about time: the batch interface's answer, plus what booking and reply reading need."""

    kind: Kind
    candidates: list[datetime]
    ambiguous: bool
    windows: list[tuple[datetime, datetime]] = field(default_factory=list)  # per alternative; a slot is (s, s)
    has_day: bool = False
    has_time: bool = False
    note: str = ""
    # Start times the writer named by the clock, best first: each slot, and the start of each window
    # stated by the clock ("after 2", "10-12"); not a day part or a whole day.
    named_starts: list[datetime] = field(default_factory=list)


@dataclass
class _Alternative:
    start: datetime
    end: datetime  # == start for a slot
    by_clock: bool = False

    @property
    def is_window(self) -> bool:
        return self.end > self.start


def read_times(
    text: str,
    now: datetime,
    prospect_tz: str,
    *,
    your_tz: str | None = None,
    existing: datetime | None = None,
) -> Reading:
    """Read `text` (R1-R18). `your_tz` is the reader's zone ("your time"); `existing` the booked meeting."""
    if now.tzinfo is None:
        raise ValueError("now must carry a UTC offset")
    s = Scanner(text)
    f = frame(s, now, prospect_tz, your_tz, existing)
    days = find_days(s, f)
    times = find_times(s, f)
    days, periods = place_days(s, f, days, find_periods(s, f))
    periods = [p for p in periods if p.proposal]  # a holiday only anchors ("the Monday after Thanksgiving")
    clauses = _clauses(s.low)
    mentions: list[Day | ClockTime | Period] = [*days, *times, *periods]
    if any(not _in_negative(clauses, m.start) for m in mentions):  # what they can't do is no proposal
        days = [d for d in days if not _in_negative(clauses, d.start)]
        times = [t for t in times if not _in_negative(clauses, t.start)]
        periods = [p for p in periods if not _in_negative(clauses, p.start)]
    else:
        days, times, periods = [], [], []
    has_day, has_time = bool(days), bool(times)
    if any(d.impossible for d in days):
        return Reading("none", [], True, has_day=True, has_time=has_time, note="that date does not exist")
    proposals = []
    for group_days, group_times in _groups(s, days, times):
        alternatives = [a for a in _alternatives(group_days, group_times, f) if _ahead(a, f.now)]
        if alternatives:
            proposals.append((alternatives, any(d.ambiguous for d in group_days)))
    if not proposals:
        if (days or times) and not periods:
            return Reading("none", [], False, has_day=has_day, has_time=has_time, note="that time has passed")
        if periods:
            first = next((d for p in periods if (d := _first_weekday(p, f.today)) is not None), None)
            candidates = [_at(first, 540, f.prospect)] if first else []
            return Reading("vague", candidates, False, note="a period, not a day")
        return Reading("none", [], False, note="no time named")
    alternatives = [a for group, _ in proposals for a in group]
    ambiguous = len(alternatives) > 1 or any(flag for _, flag in proposals)
    kind: Kind = "range" if any(a.is_window for a in alternatives) else "slot"
    if len(alternatives) == 1 and alternatives[0].is_window:
        only = alternatives[0]
        candidates = list(grid_starts(only.start, only.end, f.now))[:MAX_CANDIDATES]
    else:
        candidates = [next(grid_starts(a.start, a.end, f.now)) if a.is_window else a.start for a in alternatives]
    named = [a.start for a in alternatives if a.by_clock and a.start >= f.now]
    return Reading(
        kind,
        candidates[:MAX_CANDIDATES],
        ambiguous,
        windows=[(a.start, a.end) for a in alternatives],
        has_day=has_day,
        has_time=has_time,
        named_starts=list(dict.fromkeys(named)),
    )


def _first_weekday(period: Period, today: date) -> date | None:
    """R6: the first Monday-Friday date in the period that is after today."""
    if period.first is None or period.last is None:
        return None
    day = max(period.first, today + timedelta(days=1))
    while day <= period.last:
        if day.weekday() < 5:
            return day
        day += timedelta(days=1)
    return None


def _clauses(low: str) -> list[tuple[int, int, bool]]:
    """(start, end, negative) for each clause."""
    cuts = [0, *(m.end() for m in v.CLAUSE_BREAK_RE.finditer(low)), len(low)]
    return [(a, b, bool(v.NEGATIVE_RE.search(low[a:b]))) for a, b in itertools.pairwise(cuts) if b > a]


def _in_negative(clauses: list[tuple[int, int, bool]], position: int) -> bool:
    return any(a <= position < b and negative for a, b, negative in clauses)


def _groups(s: Scanner, days: list[Day], times: list[ClockTime]) -> list[tuple[list[Day], list[ClockTime]]]:
    """Proposals: a day or days with a time or times; "or" and "and" join alternatives (R7)."""
    items: list[Day | ClockTime] = sorted([*days, *times], key=lambda item: item.start)
    groups: list[tuple[list[Day], list[ClockTime]]] = []
    current: tuple[list[Day], list[ClockTime]] = ([], [])
    for item in items:
        same: list[Any] = current[0] if isinstance(item, Day) else current[1]
        if isinstance(item, ClockTime) and len(same) == 1 and (refined := _refine(same[0], item)) is not None:
            same[0] = refined  # "morning at 9": one time, the day part deciding am or pm
            continue
        if same and not v.JOIN_RE.fullmatch(s.low[same[-1].end : item.start]):
            groups.append(current)
            current = ([], [])
            same = current[0] if isinstance(item, Day) else current[1]
        same.append(item)
    if current[0] or current[1]:
        groups.append(current)
    return groups


def _by_day_part(minutes: int, window: tuple[int, int], loose: bool) -> int:
    """R3, R13: a day part decides am or pm for an hour written without them."""
    if window[0] >= 720 and minutes < 720 and loose:  # an afternoon or evening: the pm reading
        return minutes + 720
    if window[1] <= 720 and minutes >= 780:  # a morning: the am reading
        return minutes - 720
    return minutes


def _refine(first: ClockTime, second: ClockTime) -> ClockTime | None:
    """A day part and a clock time side by side are one time: "Tuesday morning at 10", "at 4 in the afternoon"."""
    window, point = (first, second) if first.window else (second, first)
    if window.window is None or window.stated or point.minutes is None or point.window is not None:
        return None
    minutes = _by_day_part(point.minutes, window.window, loose=point.loose or point.minutes >= 780)
    return ClockTime(min(first.start, second.start), max(first.end, second.end), minutes=minutes)


def _at(day: date, minutes: int, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone)


def _alternatives(days: list[Day], times: list[ClockTime], f: Frame) -> list[_Alternative]:
    out: list[_Alternative] = []
    dates: list[tuple[date | None, Day | None]] = [(d, day) for day in days for d in day.dates] or [(None, None)]
    choices: list[ClockTime | None] = [*times] or [None]
    for when, day in dates:
        for t in choices:
            if t is not None and t.instant is not None:
                out.append(_Alternative(t.instant.astimezone(f.zone), t.instant.astimezone(f.zone), by_clock=True))
                continue
            minutes = t.minutes if t is not None else None
            if t is not None and t.same_time and f.existing is not None:
                wall = f.existing.astimezone(f.prospect)
                minutes = wall.hour * 60 + wall.minute
            if minutes is not None and t is not None and day is not None and day.window is not None:
                minutes = _by_day_part(minutes, day.window, t.loose)  # "Freitagabend um 7", "tonight at 8"
            window = t.window if t is not None and t.window else (day.window if day else None)
            zone = f.zone if t is not None and not t.same_time else f.prospect
            if when is None:  # a time with no day: the next time it comes round
                probe = _at(f.today, minutes if minutes is not None else (window or BUSINESS_DAY)[1] - 30, zone)
                when = f.today if probe >= f.now else f.today + timedelta(days=1)
            if minutes is not None:
                start = _at(when, minutes, zone)
                out.append(_Alternative(start, start, by_clock=True))
            else:
                lo, hi = window or BUSINESS_DAY
                by_clock = t is not None and t.stated
                out.append(_Alternative(_at(when, lo, zone), _at(when, hi, zone), by_clock=by_clock))
    return out


def grid_starts(start: datetime, end: datetime, now: datetime, length: timedelta = GRID) -> Iterator[datetime]:
    """Starts on :00/:30 (in `start`'s zone) from max(start, now), each with start + length <= end."""
    first = max(start, now).astimezone(start.tzinfo)
    offset = (first.minute % 30) * 60 + first.second + first.microsecond / 1e6
    if offset:
        first += timedelta(seconds=30 * 60 - offset)
    first = first.replace(second=0, microsecond=0)
    moment = first
    while moment + length <= end:
        yield moment.astimezone(start.tzinfo)
        moment += GRID


def _ahead(alternative: _Alternative, now: datetime) -> bool:
    if alternative.is_window:
        return next(grid_starts(alternative.start, alternative.end, now), None) is not None
    return alternative.start >= now
