"""Clock times and windows named in a text (rules R3, R5, R13, R14, R15, R18).

"10:30", "3pm", "15 Uhr", "9h30", "half past two", "halb drei", "after 3", "between 2 and 4 pm",
"de 10h à 12h", "das 14h às 16h", "Tuesday 10-12". A bare hour is a business hour (R3) unless a
day part next to it says otherwise (R13); numbers that are not times (ratios, prices, counts)
are left alone (R18).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from agent.timex import vocabulary as v
from agent.timex import zones
from agent.timex.scan import Frame, Scanner


@dataclass
class ClockTime:
    start: int
    end: int
    minutes: int | None = None  # a clock time
    window: tuple[int, int] | None = None
    instant: datetime | None = None  # "in two hours", "30 minutes later"
    same_time: bool = False  # the existing meeting's time, as the prospect sees it
    loose: bool = False  # an hour written without am/pm (R3 read it as a business hour): a day part may decide
    stated: bool = False  # a window written as clock times ("after 3", "10-12"), not a day part


def _number(word: str) -> int:
    return int(word) if word.isdigit() else v.NUMBER_WORDS[word.strip()]


def clock(hour: int, minute: int, meridiem: str | None, *, twenty_four: bool = False) -> int | None:
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
    return "am" if re.fullmatch(v.DAYPART_AM, text) else "pm"  # a day part: "de la tarde", "in the morning"


_CLOCK = r"(?P<{p}h>\d{{1,2}})(?:(?P<{p}sep>[:.h])(?P<{p}m>[0-5]\d)|(?P<{p}hour>h)(?![a-z]))?(?![:/.,]?\d)"
_MER = r"(?:\s*(?P<{p}mer>a\.?m\.?|p\.?m\.?)(?![a-z]))?"
_PART = rf"(?:\s*(?P<{{p}}part>{v.DAYPART_AM}|{v.DAYPART_PM}))?"


def _time_re(prefix: str) -> str:
    return (_CLOCK + r"(?:\s*uhr)?" + _MER + _PART).format(p=prefix)


def _read(match: re.Match[str], prefix: str, default_meridiem: str | None = None) -> int | None:
    hour_text = match.group(f"{prefix}h")
    separator = match.group(f"{prefix}sep")
    minute = int(match.group(f"{prefix}m") or 0)
    meridiem = match.group(f"{prefix}mer") or match.group(f"{prefix}part") or default_meridiem
    twenty_four = hour_text.startswith("0") or "h" in (separator, match.group(f"{prefix}hour")) or "uhr" in match[0]
    return clock(int(hour_text), minute, _meridiem(meridiem), twenty_four=twenty_four)


def _loose(match: re.Match[str], prefix: str) -> bool:
    hour = match.group(f"{prefix}h")
    said = match.group(f"{prefix}mer") or match.group(f"{prefix}part")
    return not said and not hour.startswith("0") and 1 <= int(hour) <= 11


def _window(start: int | None, end: int | None) -> tuple[int, int] | None:
    """R14: an end before the start is the same hour in the afternoon ("5 to 7" = 17:00-19:00)."""
    if start is None or end is None:
        return None
    if end <= start and end < 720 and end + 720 > start:
        end += 720
    return (start, end) if start < end else None


_A, _B = _time_re("a"), _time_re("b")
_ARTICLE = r"(?:(?:las?|les|as|os|den|der)\s+)?"
_FROM = r"(?:between|from|zwischen|entre|de|des|von|das|dès|desde)"
_TO = r"(?:and|to|till|until|through|-|–|und|bis|y|a|et|à|às|as|e|hasta|jusqu'à|até)"
_UNTIL_WORDS = r"(?:before|vor|avant|antes de|antes das?|until|till|bis|jusqu'à|hasta|até)"
_AFTER_WORDS = (
    r"(?:after|nach|après|apres|después de|despues de|ab|à partir de|a partir de|a partir das?|depois das?|desde)"
)
_COUNTED = r"(?:people|person|users|trucks|trailers|doors|docks|years?|months?|days?|weeks?|%|percent|k\b)"


def find_times(s: Scanner, f: Frame) -> list[ClockTime]:
    found: list[ClockTime] = []
    unit = r"(hours?|hrs?|minutes?|mins?|stunden?|minuten?|horas?|minutos?|heures?)"
    amount = rf"({v.NUMBER_RE}|half an?|an?)"
    for m in s.find(rf"\b(?:in|en|dans|within|em|daqui a)\s+{amount}\s+{unit}\b"):
        found.append(ClockTime(m.start(), m.end(), instant=f.now + _duration(m[1], m[2])))
    for m in s.find(rf"\b{amount}\s+{unit}\s+(later|earlier|after|before|sooner|later than planned)\b"):
        if f.existing is not None:
            sign = 1 if m[3] in ("later", "after", "later than planned") else -1
            found.append(ClockTime(m.start(), m.end(), instant=f.existing + sign * _duration(m[1], m[2])))
    for m in s.find(r"\b(?:the\s+)?same time\b|\bà la même heure\b|\bmisma hora\b|\bgleiche[nr]? zeit\b"
                    r"|\bmesmo horário\b|\bmesmo horario\b"):  # fmt: skip
        if f.existing is not None:
            found.append(ClockTime(m.start(), m.end(), same_time=True))
    _restated(s)
    found += _windows(s)
    for pattern, fixed in ((r"(?<![-\w])(?:noon|midday|mediodía|midi|mittags?|meio-dia|meio dia)(?![\w-])", 720),
                           (r"\bfirst thing\b", 540), (r"\bmidnight\b", 0)):  # fmt: skip
        for m in s.find(pattern):
            found.append(ClockTime(m.start(), m.end(), minutes=fixed))
    found += _spoken(s)
    found += _points(s)
    for m in s.find(rf"\b(?:{v.WINDOW_RE})\b"):
        found.append(ClockTime(m.start(), m.end(), window=v.window_for(m[0])))
    return found


def _restated(s: Scanner) -> None:
    """A time said for the reader ("that's 10:00 for you") or replaced ("10:30 instead of 11") is no proposal."""
    s.consume(rf"\b{_A}\s+(?:for you|para ti|para usted|pour vous|für sie|für dich|para você|pra você)\b")
    s.consume(rf"\b(?:instead of|rather than|statt|anstatt|en lugar de|en vez de|au lieu de|em vez de)\s+{_A}")


def _windows(s: Scanner) -> list[ClockTime]:
    found: list[ClockTime] = []
    for m in s.find(rf"\b{_FROM}\s+{_ARTICLE}{_A}\s*{_TO}\s*{_ARTICLE}{_B}"):
        end = _read(m, "b")
        start = _read(m, "a", _meridiem(m["bmer"] or m["bpart"]))
        if start is not None and end is not None and start >= end:
            start = _read(m, "a")
        if (window := _window(start, end)) is not None:
            found.append(ClockTime(m.start(), m.end(), window=window, stated=True))
    for m in list(re.finditer(rf"(?<![\d:/.,$€£-])\b{_A}\s*(?:[-–]|to|à|a|bis|às)\s*{_B}(?![\d-])", s.low)):
        if any(s.used[m.start() : m.end()]) or re.match(rf"\s*{_COUNTED}", s.low[m.end() :]):
            continue
        marked = m["bmer"] or m["bsep"] or m["amer"] or m["ahour"] or m["bhour"] or "uhr" in m[0]
        if not (marked or _followed_by_time_word(s.low, m.end()) or _after_day_word(s.low, m.start())):
            continue  # "10-15 trucks", "5-6 people": counts
        end = _read(m, "b")
        start = _read(m, "a", _meridiem(m["bmer"] or m["bpart"]) if not m["amer"] else None)
        if start is not None and end is not None and start >= end:
            start = _read(m, "a")
        if (window := _window(start, end)) is not None:
            s.mask(m.start(), m.end())
            found.append(ClockTime(m.start(), m.end(), window=window, stated=True))
    for m in s.find(rf"\b{_AFTER_WORDS}\s+{_ARTICLE}{_A}"):
        if (start := _read(m, "a")) is not None:
            found.append(ClockTime(m.start(), m.end(), window=(start, 1020 if start < 1020 else 1200), stated=True))
    for m in s.find(rf"\b{_UNTIL_WORDS}\s+{_ARTICLE}{_A}(?!\s*{_COUNTED})"):
        if (end := _read(m, "a")) is not None and end > 540:
            found.append(ClockTime(m.start(), m.end(), window=(540, end), stated=True))
    for m in s.find(rf"(?<![\d:/.])\b{_A}\s+(?:or|oder|ou|o)\s+{_B}(?=\W|$)"):
        if m["amer"] or m["bmer"] or m["asep"] or m["bsep"] or "uhr" in m[0]:
            shared = _meridiem(m["bmer"]) if m["bmer"] and not m["amer"] else None
            first, second = _read(m, "a", shared), _read(m, "b")
            if first is not None and second is not None:
                found += [
                    ClockTime(m.start(), m.end("a" + ("mer" if m["amer"] else "h")), minutes=first),
                    ClockTime(m.start("bh"), m.end(), minutes=second),
                ]
    return found


def _after_day_word(low: str, start: int) -> bool:
    """ "Tuesday 10-12", "lundi, 9-11": a window right after a day."""
    before = re.search(r"([^\W\d_]+)[\s,]*$", low[max(0, start - 30) : start])
    return before is not None and (before[1].rstrip(".") in v.WEEKDAY or before[1] in ("today", "tomorrow"))


def _spoken(s: Scanner) -> list[ClockTime]:
    """ "half past 2", "3 y media", "dix heures et demie", "halb drei", "quarter to 11" (R3, R15)."""
    found: list[ClockTime] = []
    hour = rf"({v.NUMBER_RE})"
    half = (rf"\bhalf\s+past\s+{hour}\b|\b{hour}\s+and\s+a\s+half\b|\b{hour}\s+y\s+media\b"
            rf"|\b{hour}(?:h|\s+heures?)?\s+et\s+demie\b|\b{hour}(?:h|\s+horas?)?\s+e\s+meia\b")  # fmt: skip
    for m in s.find(half):
        found.append(_word_time(m, next(g for g in m.groups() if g), 30))
    for m in s.find(rf"\bhalb\s+{hour}\b"):  # German: half *to* the hour
        found.append(_word_time(m, m[1], -30))
    quarter = (
        rf"\b(?:a\s+)?quarter\s+past\s+{hour}\b|\bviertel\s+nach\s+{hour}\b|\b{hour}\s+y\s+cuarto\b"
        rf"|\b{hour}(?:h|\s+heures?)?\s+et\s+quart\b|\b{hour}(?:h|\s+horas?)?\s+e\s+(?:um\s+)?quarto\b"
    )
    for m in s.find(quarter):
        found.append(_word_time(m, next(g for g in m.groups() if g), 15))
    for m in s.find(rf"\b(?:a\s+)?quarter\s+(?:to|of)\s+{hour}\b|\bviertel\s+vor\s+{hour}\b"):
        found.append(_word_time(m, m[1] or m[2], -15))
    return found


def _points(s: Scanner) -> list[ClockTime]:
    found: list[ClockTime] = []
    trigger = (r"(?:at|@|around|about|approx\.?|by|a las|a la|à|a|um|vers|gegen|hacia|sobre las|ca\.|às|as|lá pelas"
               r"|por volta das)")  # fmt: skip
    explicit = (
        rf"(?<![\d:/.,$€£])\b{_A}(?=\W|$)",  # needs a separator, am/pm, Uhr or a day part (checked below)
        r"(?<![\d:/.$€£])\b(?P<ahh>[01]\d|2[0-3])(?P<amm>[0-5]\d)\s*(?:hrs|hours|h\b|utc|gmt)",
        rf"\b{trigger}\s+{_A}(?:\s*-?ish)?(?![\d%]|\s*{_COUNTED}|\s*\$)",
        rf"(?<![\d:/.])\b{_A}\s*-?ish\b",
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
                minutes = _read(m, "a")
            if number == 2 and not _followed_by_time_word(s.low, m.end()):
                continue
            if minutes is not None:
                s.mask(m.start(), m.end())
                found.append(ClockTime(m.start(), m.end(), minutes=minutes, loose=number != 1 and _loose(m, "a")))
    if re.search(r"\b\d{3,4}\b", s.low):  # 4-digit HHMM with a zone right after it ("1500 UTC")
        for m in re.finditer(r"(?<![\d:/.-])\b([01]\d|2[0-3])([0-5]\d)\b(?=\s*[A-Z]{2,4}\b)", s.raw):
            if not any(s.used[m.start() : m.end()]) and s.raw[m.end() :].strip()[:4].strip() in zones.ABBREVIATIONS:
                s.mask(m.start(), m.end())
                found.append(ClockTime(m.start(), m.end(), minutes=int(m[1]) * 60 + int(m[2])))
    return found


def _followed_by_time_word(low: str, end: int) -> bool:
    """ "at 3 works", "at 3 on Friday", "at 3." are times; "at 3 locations" is not."""
    following = re.match(r"\s*([^\W\d_]+(?:'[a-z]+)?)", low[end:])
    if following is None:
        return True
    word = following[1]
    return (
        word in v.TIME_FOLLOWERS
        or word.rstrip(".") in v.WEEKDAY
        or word.rstrip(".") in v.MONTH
        or word.upper() in zones.ABBREVIATIONS
        or bool(re.fullmatch(v.WINDOW_RE, word))
        or bool(zones.NAME_RE.fullmatch(word))
    )


def _duration(amount: str, unit: str) -> timedelta:
    value = 0.5 if amount.startswith("half") else _number(amount)
    hours = unit.startswith(("h", "stund"))
    return timedelta(hours=value) if hours else timedelta(minutes=value)


def _word_time(m: re.Match[str], hour_word: str, offset: int) -> ClockTime:
    base = clock(_number(hour_word), 0, None) or 0
    hour = base // 60
    if offset < 0:  # "quarter to 11": the hour before, then read by the business-hours rule
        minutes = clock((hour - 1) % 12 or 12, 60 + offset, None) if hour % 12 != 1 else 12 * 60 + 60 + offset
    else:
        minutes = base + offset
    return ClockTime(m.start(), m.end(), minutes=minutes, loose=_number(hour_word) <= 11)
