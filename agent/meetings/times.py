"""Read a prospect's words about time into concrete start times (rules R1-R11, evals/booking/README.md).

"Tuesday 10:30 PT works", "any time after 3 on Thursday", "next week": the text is scanned for
mentions (days, clock times, windows, periods, a named zone), mentions are grouped into
proposals ("Monday or Tuesday at 10" is one proposal with two days), proposals in negative or
past clauses are set aside, and what is left is resolved on the prospect's calendar.

A small parser of our own rather than `dateparser`: the rules are precise (bare hours are
business hours, "next Wednesday" is ambiguous on a Monday, a weekday never means today) and a
general-purpose parser reads several of them differently.
"""

from __future__ import annotations

import calendar
import itertools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo

from agent.meetings import words as w

Kind = Literal["slot", "range", "vague", "none"]
GRID = timedelta(minutes=30)
BUSINESS_DAY = (540, 1020)  # 09:00-17:00, for a day named without a time (R5)
MAX_CANDIDATES = 4


@dataclass(frozen=True)
class Reading:
    """What a text says about time: the batch interface's answer, plus what booking needs."""

    kind: Kind
    candidates: list[datetime]
    ambiguous: bool
    windows: list[tuple[datetime, datetime]] = field(default_factory=list)  # per alternative; a slot is (s, s)
    has_day: bool = False
    has_time: bool = False
    note: str = ""


def zone_of(name: str) -> tzinfo:
    return UTC if name == "UTC" else ZoneInfo(name)


# ---- mentions -------------------------------------------------------------------------------


@dataclass
class _Day:
    start: int
    end: int
    dates: list[date]
    ambiguous: bool = False
    impossible: bool = False
    weekday: int | None = None  # a bare weekday, which a date right after it may pin down
    written: bool = False  # a calendar date as written ("December 3", "the 9th")
    window: tuple[int, int] | None = None  # "this afternoon", "Mittwochvormittag"


@dataclass
class _Time:
    start: int
    end: int
    minutes: int | None = None  # a clock time
    window: tuple[int, int] | None = None
    instant: datetime | None = None  # "in two hours", "30 minutes later"
    same_time: bool = False  # the existing meeting's time, as the prospect sees it


@dataclass
class _Period:
    start: int
    end: int
    first: date | None  # R6: the first weekday in the period after today; None: no period named


class _Scanner:
    """The text, lowercased, with the spans already read masked out."""

    def __init__(self, text: str) -> None:
        text = unicodedata.normalize("NFC", text).replace("’", "'").replace("‘", "'")
        self.raw = text
        self.low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
        self.used = [False] * len(text)

    def find(self, pattern: str) -> Iterator[re.Match[str]]:
        for match in re.finditer(pattern, self.low):
            if match.end() > match.start() and not any(self.used[match.start() : match.end()]):
                self.used[match.start() : match.end()] = [True] * (match.end() - match.start())
                yield match

    def consume(self, pattern: str) -> bool:
        """Mask every match; whether there was one."""
        return bool(list(self.find(pattern)))

    def mask(self, start: int, end: int) -> None:
        self.used[start:end] = [True] * (end - start)


def _number(word: str) -> int:
    return int(word) if word.isdigit() else w.NUMBER_WORDS[word.strip()]


def _clock(hour: int, minute: int, meridiem: str | None, *, twenty_four: bool = False) -> int | None:
    """Minutes after midnight (R3), or None when it is not a time."""
    if minute > 59:
        return None
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        return (hour % 12 + (12 if meridiem == "pm" else 0)) * 60 + minute
    if twenty_four or hour == 0 or hour >= 13:
        return hour * 60 + minute if hour <= 23 else None
    return ((hour + 12) if 1 <= hour <= 6 else hour) * 60 + minute  # business hours: 1-6 pm, 7-11 am, 12 noon


def _meridiem(text: str | None) -> str | None:
    if not text:
        return None
    compact = text.replace(".", "").replace(" ", "")
    if compact in ("am", "pm"):
        return compact
    return "am" if re.fullmatch(w.DAYPART_AM, text) else "pm"  # a day part: "de la tarde", "in the morning"


_CLOCK = r"(?P<{p}h>\d{{1,2}})(?:(?P<{p}sep>[:.h])(?P<{p}m>[0-5]\d)|(?P<{p}hour>h)(?![a-z]))?"
_MER = r"(?:\s*(?P<{p}mer>a\.?m\.?|p\.?m\.?)(?![a-z]))?"
_PART = rf"(?:\s*(?P<{{p}}part>{w.DAYPART_AM}|{w.DAYPART_PM}))?"


def _time_re(prefix: str) -> str:
    return (_CLOCK + r"(?:\s*uhr)?" + _MER + _PART).format(p=prefix)


def _read_clock(match: re.Match[str], prefix: str, default_meridiem: str | None = None) -> int | None:
    hour_text = match.group(f"{prefix}h")
    separator = match.group(f"{prefix}sep")
    minute = int(match.group(f"{prefix}m") or 0)
    meridiem = match.group(f"{prefix}mer") or match.group(f"{prefix}part") or default_meridiem
    twenty_four = hour_text.startswith("0") or "h" in (separator, match.group(f"{prefix}hour")) or "uhr" in match[0]
    return _clock(int(hour_text), minute, _meridiem(meridiem), twenty_four=twenty_four)


@dataclass
class _Frame:
    """R1: the prospect's today, and the zone the text's times are meant in."""

    now: datetime
    today: date
    prospect: tzinfo
    prospect_name: str
    zone: tzinfo
    existing: datetime | None


def _next_weekday(today: date, weekday: int) -> date:
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _monday(today: date, weeks_ahead: int) -> date:
    return today - timedelta(days=today.weekday()) + timedelta(weeks=weeks_ahead)


def _month_day(today: date, month: int, day: int, year: int | None = None) -> _Day | None:
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        return None
    if year is None:
        year = today.year if (month, day) >= (today.month, today.day) else today.year + 1
    try:
        return _Day(0, 0, [date(year, month, day)], written=True)
    except ValueError:
        return _Day(0, 0, [], impossible=True, written=True)


def _nth(today: date, day: int) -> _Day | None:
    if not 1 <= day <= 31:
        return None
    year, month = today.year, today.month
    for _ in range(13):
        if day <= calendar.monthrange(year, month)[1] and date(year, month, day) > today:
            found = date(year, month, day)
            if today.day == day:  # said on the Nth itself: next month's, or today?
                return _Day(0, 0, [found, today], ambiguous=True, written=True)
            return _Day(0, 0, [found], written=True)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _place(day: _Day | None, match: re.Match[str]) -> _Day | None:
    if day is not None:
        day.start, day.end = match.start(), match.end()
    return day


def _days(s: _Scanner, f: _Frame) -> list[_Day]:
    today, found = f.today, []
    for m in s.find(r"\b(20\d\d)-(\d\d)-(\d\d)\b"):
        found.append(_place(_month_day(today, int(m[2]), int(m[3]), int(m[1])), m))
    for m in s.find(r"(?<![\d.:/])(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2}(?!\d))?(?!\d)"):  # D.M. always
        year = int(m[3]) + (2000 if len(m[3]) == 2 else 0) if m[3] else None
        found.append(_place(_month_day(today, int(m[2]), int(m[1]), year), m))
    for m in s.find(r"(?<![\d.:/])(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?(?![\d/])"):
        a, b = int(m[1]), int(m[2])
        month, day = (a, b) if w.month_first(f.prospect_name) else (b, a)
        if month > 12 >= day:
            month, day = day, month
        year = int(m[3]) + (2000 if len(m[3]) == 2 else 0) if m[3] else None
        found.append(_place(_month_day(today, month, day, year), m))
    ordinal = r"(?:st|nd|rd|th|er|º|\.)?"
    for m in s.find(rf"\b({w.MONTH_RE})\s+(\d{{1,2}}){ordinal}(?:,?\s+(20\d\d))?(?![\d:])"):
        month = w.MONTH[m[1].rstrip(".")]
        found.append(_place(_month_day(today, month, int(m[2]), int(m[3]) if m[3] else None), m))
    for m in s.find(rf"(?:\b(?:le|el|the|am|den)\s+)?\b(\d{{1,2}}){ordinal}\s+(?:of\s+|de\s+)?({w.MONTH_RE})(?!\w)"):
        found.append(_place(_month_day(today, w.MONTH[m[2].rstrip(".")], int(m[1])), m))
    wd = rf"({w.WEEKDAY_RE})"
    weekday_forms: list[tuple[str, str]] = [
        (rf"\b{wd}\s+(?:of\s+)?the week after next\b", "after_next"),
        (rf"\b{wd}\s+(?:of\s+)?next week\b|\bnext week(?:'s)?\s+{wd}", "next_week"),
        (rf"\b(?:next|this coming|coming)\s+{wd}|\b{wd}\s+(?:prochain|que viene)\b"
         rf"|\b(?:nächsten|nächster|naechsten|el próximo|el proximo|próximo|proximo)\s+{wd}", "next"),
        (rf"\b(?:this|ce|este|diesen|kommenden)\s+{wd}", "this"),
        (rf"\b(?:last|past|previous|dernier|pasado|letzten)\s+{wd}|\b{wd}\s+(?:dernier|pasado)\b", "last"),
        (rf"\b{wd}(vormittag|nachmittag|abend|mittag|morgen)?(?![\w'])(?:'s)?", "bare"),
    ]  # fmt: skip
    for pattern, form in weekday_forms:
        for m in s.find(pattern):
            name = next(g for g in m.groups() if g and g.rstrip(".") in w.WEEKDAY).rstrip(".")
            found.append(_weekday(today, w.WEEKDAY[name], form, m))
    relative_days = [
        (r"\b(?:the day after tomorrow|day after tomorrow|übermorgen|pasado mañana|après-demain)\b", 2, None),
        (r"\b(?:tomorrow|tmrw|tomorow|demain|(?<!la )(?<!la\s)mañana(?! por)|(?<!am )(?<!guten )morgen)\b", 1, None),
        (r"\b(?:today|hoy|aujourd'hui|heute)\b", 0, None),
        (r"\b(?:yesterday|ayer|gestern)\b", -1, None),
        (r"\bthis morning\b|\bheute (?:vormittag|morgen)\b|\bce matin\b|\besta mañana\b", 0, (540, 720)),
        (r"\bthis afternoon\b|\bheute nachmittag\b|\bcet après-midi\b|\besta tarde\b", 0, (720, 1020)),
        (r"\bthis evening\b|\btonight\b|\bheute abend\b|\bce soir\b|\besta noche\b", 0, (1020, 1200)),
    ]
    for pattern, offset, window in relative_days:
        for m in s.find(pattern):
            found.append(_Day(m.start(), m.end(), [today + timedelta(days=offset)], window=window))
    for m in s.find(r"\b(?:the\s+)?same day\b"):
        if f.existing is not None:
            found.append(_Day(m.start(), m.end(), [f.existing.astimezone(f.prospect).date()]))
    not_a_time = r"(?![\d:]|\.\d|\s*(?:am|pm|a\.m|p\.m|h\b|uhr|hrs|o'clock|\$|%|k\b))"
    for pattern in (
        rf"\b(?:on the|the|le|el|den)\s+(\d{{1,2}})(?:st|nd|rd|th|er|\.)?{not_a_time}",
        rf"\bon\s+(\d{{1,2}})(?:st|nd|rd|th){not_a_time}",
        r"\bam\s+(\d{1,2})\.(?!\d)",
    ):
        for m in s.find(pattern):
            found.append(_place(_nth(today, int(m[1])), m))
    return _merge_weekday_dates(s, [d for d in found if d is not None])


def _weekday(today: date, weekday: int, form: str, m: re.Match[str]) -> _Day:
    this_week = today + timedelta(days=weekday - today.weekday())
    day = _Day(m.start(), m.end(), [])
    if form == "after_next":
        day.dates = [_monday(today, 2) + timedelta(days=weekday)]
    elif form == "next_week":
        day.dates = [_monday(today, 1) + timedelta(days=weekday)]
    elif form == "next":
        following = _monday(today, 1) + timedelta(days=weekday)
        # R4: still ahead this week, "next Wednesday" could be either.
        day.dates = [following, this_week] if weekday > today.weekday() else [following]
        day.ambiguous = len(day.dates) > 1
    elif form == "this":
        day.dates = [today + timedelta(days=(weekday - today.weekday()) % 7)]
    elif form == "last":
        day.dates = [today - timedelta(days=(today.weekday() - weekday - 1) % 7 + 1)]
    else:
        day.dates, day.weekday = [_next_weekday(today, weekday)], weekday
        suffix = m.groups()[-1]
        if suffix:
            day.window = {"vormittag": (540, 720), "nachmittag": (720, 1020), "abend": (1020, 1200)}.get(
                suffix, (540, 720) if suffix == "morgen" else (720, 780)
            )
    return day


def _merge_weekday_dates(s: _Scanner, days: list[_Day]) -> list[_Day]:
    """R4: "Wednesday, December 3" names one day; when the two disagree, both readings stand."""
    days.sort(key=lambda d: d.start)
    out: list[_Day] = []
    for day in days:
        previous = out[-1] if out else None
        if (
            previous is not None
            and previous.weekday is not None
            and day.written
            and re.fullmatch(r"[\s,]*(?:the\s+|der\s+|le\s+|el\s+|den\s+)?", s.low[previous.end : day.start])
        ):
            if day.impossible or not day.dates:
                out[-1] = day
                continue
            written = day.dates[0]
            if written.weekday() == previous.weekday and not day.ambiguous:
                merged = _Day(previous.start, day.end, [written], written=True, window=previous.window)
            else:
                back = written - timedelta(days=(written.weekday() - previous.weekday) % 7)
                ahead = written + timedelta(days=(previous.weekday - written.weekday()) % 7)
                nearest = back if (written - back) <= (ahead - written) else ahead
                merged = _Day(previous.start, day.end, [written, nearest], ambiguous=True, written=True)
            out[-1] = merged
            continue
        out.append(day)
    return out


def _times(s: _Scanner, f: _Frame) -> list[_Time]:
    found: list[_Time] = []
    unit = r"(hours?|hrs?|minutes?|mins?|stunden?|minuten?|horas?|minutos?|heures?)"
    amount = rf"({w.NUMBER_RE}|half an?|an?)"
    for m in s.find(rf"\b(?:in|en|dans|within)\s+{amount}\s+{unit}\b"):
        found.append(_Time(m.start(), m.end(), instant=f.now + _duration(m[1], m[2])))
    for m in s.find(rf"\b{amount}\s+{unit}\s+(later|earlier|after|before|sooner|later than planned)\b"):
        if f.existing is not None:
            sign = 1 if m[3] in ("later", "after", "later than planned") else -1
            found.append(_Time(m.start(), m.end(), instant=f.existing + sign * _duration(m[1], m[2])))
    for m in s.find(r"\b(?:the\s+)?same time\b|\bà la même heure\b|\bmisma hora\b|\bgleiche[nr]? zeit\b"):
        if f.existing is not None:
            found.append(_Time(m.start(), m.end(), same_time=True))
    a, b = _time_re("a"), _time_re("b")
    for m in s.find(rf"\b(?:between|from|zwischen|entre|de|von)\s+{a}\s*(?:and|to|-|–|und|bis|y|a|et|à)\s*{b}"):
        end = _read_clock(m, "b")
        start = _read_clock(m, "a", _meridiem(m["bmer"]) if m["bmer"] else None)
        if start is not None and end is not None and start >= end:
            start = _read_clock(m, "a")
        if start is not None and end is not None and start < end:
            found.append(_Time(m.start(), m.end(), window=(start, end)))
    for m in s.find(rf"(?<![\d:/.-])\b{a}\s*[-–]\s*{b}(?![\d-])"):  # "2-3pm", "14-16 Uhr"
        if m["bmer"] or m["bsep"] or m["amer"] or "uhr" in m[0]:
            end = _read_clock(m, "b")
            start = _read_clock(m, "a", _meridiem(m["bmer"]) if m["bmer"] and not m["amer"] else None)
            if start is not None and end is not None and start < end:
                found.append(_Time(m.start(), m.end(), window=(start, end)))
    for m in s.find(rf"\b(?:after|nach|après|apres|después de las?|despues de las?|ab)\s+{a}"):
        if (start := _read_clock(m, "a")) is not None:
            found.append(_Time(m.start(), m.end(), window=(start, 1020 if start < 1020 else 1200)))
    for m in s.find(rf"\b(?:before|vor|avant|antes de las?)\s+{a}"):
        if (end := _read_clock(m, "a")) is not None and end > 540:
            found.append(_Time(m.start(), m.end(), window=(540, end)))
    for m in s.find(rf"(?<![\d:/.])\b{a}\s+(?:or|oder|ou|o)\s+{b}(?=\W|$)"):
        if m["amer"] or m["bmer"] or m["asep"] or m["bsep"] or "uhr" in m[0]:
            shared = _meridiem(m["bmer"]) if m["bmer"] and not m["amer"] else None
            first, second = _read_clock(m, "a", shared), _read_clock(m, "b")
            if first is not None and second is not None:
                found += [
                    _Time(m.start(), m.end("a" + ("mer" if m["amer"] else "h")), minutes=first),
                    _Time(m.start("bh"), m.end(), minutes=second),
                ]
    for pattern, fixed in ((r"(?<![-\w])(?:noon|midday|mediodía|midi|mittags?)\b", 720), (r"\bfirst thing\b", 540),
                           (r"\bmidnight\b", 0)):  # fmt: skip
        for m in s.find(pattern):
            found.append(_Time(m.start(), m.end(), minutes=fixed))
    hour_word = rf"({w.NUMBER_RE})"
    for m in s.find(rf"\bhalf past {hour_word}\b|\b{hour_word} and a half\b|\b{hour_word} y media\b"
                    rf"|\b{hour_word} (?:heures? )?et demie\b"):  # fmt: skip
        found.append(_word_time(m, next(g for g in m.groups() if g), 30))
    for m in s.find(rf"\bhalb {hour_word}\b"):  # German: half *to* the hour
        found.append(_word_time(m, m[1], -30))
    for m in s.find(rf"\b(?:a )?quarter past {hour_word}\b|\bviertel nach {hour_word}\b"):
        found.append(_word_time(m, m[1] or m[2], 15))
    for m in s.find(rf"\b(?:a )?quarter (?:to|of) {hour_word}\b|\bviertel vor {hour_word}\b"):
        found.append(_word_time(m, m[1] or m[2], -15))
    trigger = r"(?:at|@|around|about|approx\.?|by|a las|a la|à|a|um|vers|gegen|hacia|sobre las|ca\.)"
    explicit = (
        rf"(?<![\d:/.$€£])\b{a}(?=\W|$)",  # needs a separator, am/pm, Uhr or a day part (checked below)
        r"(?<![\d:/.$€£])\b(?P<ahh>[01]\d|2[0-3])(?P<amm>[0-5]\d)\s*(?:hrs|hours|h\b|utc|gmt)",
        rf"\b{trigger}\s+{a}(?:\s*-?ish)?(?![\d%]|\s*(?:k\b|people|person|users|%|percent|\$|years?|months?|days?))",
        rf"(?<![\d:/.])\b{a}\s*-?ish\b",
    )
    minutes: int | None
    for number, pattern in enumerate(explicit):
        for m in list(re.finditer(pattern, s.low)):
            if any(s.used[m.start() : m.end()]):
                continue
            if number == 1:
                minutes = int(m["ahh"]) * 60 + int(m["amm"])
            else:
                if number == 0 and not (m["amer"] or m["apart"] or m["asep"] or m["ahour"] or "uhr" in m[0]):
                    continue
                if number == 0 and m["asep"] == "." and not (m["amer"] or m["apart"]):
                    continue  # "2.50" is money or a version more often than a time
                minutes = _read_clock(m, "a")
            if number == 2 and not _followed_by_time_word(s.low, m.end()):
                continue
            if minutes is not None:
                s.mask(m.start(), m.end())
                found.append(_Time(m.start(), m.end(), minutes=minutes))
    if re.search(r"\b\d{3,4}\b", s.low):  # 4-digit HHMM with a zone right after it ("1500 UTC")
        for m in re.finditer(r"(?<![\d:/.-])\b([01]\d|2[0-3])([0-5]\d)\b(?=\s*[A-Z]{2,4}\b)", s.raw):
            if not any(s.used[m.start() : m.end()]) and s.raw[m.end() :].strip()[:4].strip() in w.ZONE_ABBREVIATIONS:
                s.mask(m.start(), m.end())
                found.append(_Time(m.start(), m.end(), minutes=int(m[1]) * 60 + int(m[2])))
    for m in s.find(rf"\b(?:{w.WINDOW_RE})\b"):
        found.append(_Time(m.start(), m.end(), window=w.window_for(m[0])))
    return found


def _followed_by_time_word(low: str, end: int) -> bool:
    """ "at 3 works", "at 3 on Friday", "at 3." are times; "at 3 locations" is not."""
    following = re.match(r"\s*([^\W\d_]+(?:'[a-z]+)?)", low[end:])
    if following is None:
        return True
    word = following[1]
    return (
        word in w.TIME_FOLLOWERS
        or word.rstrip(".") in w.WEEKDAY
        or word.rstrip(".") in w.MONTH
        or word.upper() in w.ZONE_ABBREVIATIONS
        or bool(re.fullmatch(w.WINDOW_RE, word))
        or bool(re.fullmatch(w.ZONE_NAME_RE.pattern, word, re.IGNORECASE))
    )


def _duration(amount: str, unit: str) -> timedelta:
    value = 0.5 if amount.startswith("half") else _number(amount)
    hours = unit.startswith(("h", "stund"))
    return timedelta(hours=value) if hours else timedelta(minutes=value)


def _word_time(m: re.Match[str], hour_word: str, offset: int) -> _Time:
    base = _clock(_number(hour_word), 0, None) or 0
    hour = base // 60
    if offset < 0:  # "quarter to 11": the hour before, then read by the business-hours rule
        minutes = _clock((hour - 1) % 12 or 12, 60 + offset, None) if hour % 12 != 1 else 12 * 60 + 60 + offset
    else:
        minutes = base + offset
    return _Time(m.start(), m.end(), minutes=minutes)


def _periods(s: _Scanner, f: _Frame) -> list[_Period]:
    today, found = f.today, []

    def first_weekday(start: date, end: date) -> date | None:
        day = max(start, today + timedelta(days=1))
        while day <= end:
            if day.weekday() < 5:
                return day
            day += timedelta(days=1)
        return None

    def add(m: re.Match[str], start: date | None, end: date | None) -> None:
        first = first_weekday(start, end) if start and end else None
        found.append(_Period(m.start(), m.end(), first))

    for m in s.find(r"\bearly next week\b|\bdébut de la semaine prochaine\b|\banfang nächster woche\b"):
        add(m, _monday(today, 1), _monday(today, 1) + timedelta(days=1))
    for m in s.find(r"\b(?:the )?week after next\b|\bin two weeks' time\b"):
        add(m, _monday(today, 2), _monday(today, 2) + timedelta(days=6))
    for m in s.find(
        r"\b(?:later this week|this week|end of (?:the|this) week|diese woche|cette semaine|esta semana)\b"
    ):
        add(m, today + timedelta(days=1), _monday(today, 0) + timedelta(days=6))
    for m in s.find(
        r"\b(?:next week|the following week|the week after|nächste woche|nächsten woche|naechste woche"
        r"|la semana que viene|la próxima semana|la proxima semana|la semaine prochaine)\b"
    ):
        add(m, _monday(today, 1), _monday(today, 1) + timedelta(days=6))
    for m in s.find(rf"\bin\s+({w.NUMBER_RE})\s+weeks?\b|\bin\s+(a couple of|couple of)\s+weeks?\b"):
        monday = _monday(today + timedelta(weeks=_number(m[1] or m[2])), 0)
        add(m, monday, monday + timedelta(days=6))
    for m in s.find(r"\b(?:next month|le mois prochain|el mes que viene|el próximo mes|nächsten monat)\b"):
        start = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
        add(m, start, start.replace(day=calendar.monthrange(start.year, start.month)[1]))
    for m in s.find(r"\b(?:towards? )?(?:the )?end of (?:the|this) month\b|\bmonth[- ]end\b"):
        add(m, today.replace(day=21), today.replace(day=calendar.monthrange(today.year, today.month)[1]))
    part = r"(early|mid|middle of|late|end of|the end of|beginning of|start of|in|towards the end of)"
    for m in s.find(rf"\b{part}[\s-]*({w.MONTH_RE})(?!\w)(?!\s*\d)|\b({w.LONE_MONTH_RE})\b(?!\s*\d)"):
        month = w.MONTH[(m[2] or m[3]).rstrip(".")]
        year = today.year if month >= today.month else today.year + 1
        last = calendar.monthrange(year, month)[1]
        lo, hi = {"early": (1, 10), "beginning of": (1, 10), "start of": (1, 10), "mid": (11, 20),
                  "middle of": (11, 20)}.get(m[1] or "", (21, last) if (m[1] and "end" in m[1]) or m[1] == "late"
                                              else (1, last))  # fmt: skip
        add(m, date(year, month, lo), date(year, month, hi))
    for m in s.find(
        r"\b(?:sometime soon|some time soon|soon|after the holidays|after the new year|in the new year"
        r"|when things (?:calm|settle|quiet) down|down the road|at some point|a few weeks|later on|later)\b"
    ):
        found.append(_Period(m.start(), m.end(), None))
    return found


# ---- resolution -----------------------------------------------------------------------------


def _frame(s: _Scanner, now: datetime, prospect_tz: str, your_tz: str | None, existing: datetime | None) -> _Frame:
    prospect = zone_of(prospect_tz)
    text_zone: tzinfo = prospect
    if m := w.ZONE_ABBREVIATION_RE.search(s.raw):
        text_zone = zone_of(w.ZONE_ABBREVIATIONS[m[1]])
        s.mask(m.start(), m.end())
    elif m := w.ZONE_NAME_RE.search(s.low):
        text_zone = zone_of(w.ZONE_NAMES[m[1].lower()])
        s.mask(m.start(), m.end())
    if s.consume(w.MY_TIME_RE.pattern):
        text_zone = prospect
    if s.consume(w.YOUR_TIME_RE.pattern):
        text_zone = zone_of(your_tz) if your_tz else prospect
    # A mention of the meeting that exists ("our Thursday call") is not a new time.
    s.consume(
        rf"\b(?:our|the|my|your|this)?\s*(?:{w.WEEKDAY_RE}|tomorrow|today)(?:'s)?\s+(?:\w+\s+)?{w.MEETING_NOUN}s?\b"
    )
    return _Frame(now, now.astimezone(prospect).date(), prospect, prospect_tz, text_zone, existing)


def _clauses(low: str) -> list[tuple[int, int, bool]]:
    """(start, end, negative) for each clause."""
    cuts = [0, *(m.end() for m in w.CLAUSE_BREAK_RE.finditer(low)), len(low)]
    return [(a, b, bool(w.NEGATIVE_RE.search(low[a:b]))) for a, b in itertools.pairwise(cuts) if b > a]


def _in_negative(clauses: list[tuple[int, int, bool]], position: int) -> bool:
    return any(a <= position < b and negative for a, b, negative in clauses)


def _groups(s: _Scanner, days: list[_Day], times: list[_Time]) -> list[tuple[list[_Day], list[_Time]]]:
    """Proposals: a day or days with a time or times; "or" and "and" join alternatives (R7)."""
    items: list[_Day | _Time] = sorted([*days, *times], key=lambda item: item.start)
    groups: list[tuple[list[_Day], list[_Time]]] = []
    current: tuple[list[_Day], list[_Time]] = ([], [])
    for item in items:
        same: list[Any] = current[0] if isinstance(item, _Day) else current[1]
        if isinstance(item, _Time) and len(same) == 1 and (refined := _refine(same[0], item)) is not None:
            same[0] = refined  # "morning at 9": one time, the day part deciding am or pm
            continue
        if same and not w.JOIN_RE.fullmatch(s.low[same[-1].end : item.start]):
            groups.append(current)
            current = ([], [])
            same = current[0] if isinstance(item, _Day) else current[1]
        same.append(item)
    if current[0] or current[1]:
        groups.append(current)
    return groups


def _refine(first: _Time, second: _Time) -> _Time | None:
    """A day part and a clock time side by side are one time: "Tuesday morning at 10", "at 4 in the afternoon"."""
    window, point = (first, second) if first.window else (second, first)
    if window.window is None or point.minutes is None or point.window is not None:
        return None
    minutes = point.minutes
    if window.window[0] >= 720 and minutes < 720:  # an afternoon or evening: the pm reading
        minutes += 720
    elif window.window[1] <= 720 and minutes >= 780:  # a morning: the am reading
        minutes -= 720
    return _Time(min(first.start, second.start), max(first.end, second.end), minutes=minutes)


@dataclass
class _Alternative:
    start: datetime
    end: datetime  # == start for a slot

    @property
    def is_window(self) -> bool:
        return self.end > self.start


def _at(day: date, minutes: int, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone)


def _alternatives(days: list[_Day], times: list[_Time], f: _Frame) -> list[_Alternative]:
    out: list[_Alternative] = []
    dates: list[tuple[date | None, _Day | None]] = [(d, day) for day in days for d in day.dates] or [(None, None)]
    choices: list[_Time | None] = [*times] or [None]
    for when, day in dates:
        for t in choices:
            if t is not None and t.instant is not None:
                out.append(_Alternative(t.instant.astimezone(f.zone), t.instant.astimezone(f.zone)))
                continue
            minutes = t.minutes if t is not None else None
            if t is not None and t.same_time and f.existing is not None:
                wall = f.existing.astimezone(f.prospect)
                minutes = wall.hour * 60 + wall.minute
            window = t.window if t is not None and t.window else (day.window if day else None)
            zone = f.zone if t is not None and not t.same_time else f.prospect
            if when is None:  # a time with no day: the next time it comes round
                probe = _at(f.today, minutes if minutes is not None else (window or BUSINESS_DAY)[1] - 30, zone)
                when = f.today if probe >= f.now else f.today + timedelta(days=1)
            if minutes is not None:
                start = _at(when, minutes, zone)
                out.append(_Alternative(start, start))
            else:
                lo, hi = window or BUSINESS_DAY
                out.append(_Alternative(_at(when, lo, zone), _at(when, hi, zone)))
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


def read_times(
    text: str,
    now: datetime,
    prospect_tz: str,
    *,
    your_tz: str | None = None,
    existing: datetime | None = None,
) -> Reading:
    """Read `text` (R1-R11). `your_tz` is the AE's zone ("your time"); `existing` the booked meeting."""
    if now.tzinfo is None:
        raise ValueError("now must carry a UTC offset")
    s = _Scanner(text)
    f = _frame(s, now, prospect_tz, your_tz, existing)
    days, times, periods = _days(s, f), _times(s, f), _periods(s, f)
    clauses = _clauses(s.low)
    mentions: list[_Day | _Time | _Period] = [*days, *times, *periods]
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
        ambiguous = any(d.ambiguous for d in group_days)
        if alternatives:
            proposals.append((alternatives, ambiguous))
    if not proposals:
        if (days or times) and not periods:
            return Reading("none", [], False, has_day=has_day, has_time=has_time, note="that time has passed")
        firsts = [p.first for p in periods]
        if periods:
            first = next((d for d in firsts if d is not None), None)
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
    return Reading(
        kind,
        candidates[:MAX_CANDIDATES],
        ambiguous,
        windows=[(a.start, a.end) for a in alternatives],
        has_day=has_day,
        has_time=has_time,
    )


def _ahead(alternative: _Alternative, now: datetime) -> bool:
    if alternative.is_window:
        return next(grid_starts(alternative.start, alternative.end, now), None) is not None
    return alternative.start >= now
