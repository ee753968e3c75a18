"""The text being read, and the frame it is read in (rule R1).

The text is lowercased and its numbers in words made digits (`numbers.py`), with every
character kept in place; spans already read are masked so that no word is read twice.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from agent.timex import vocabulary as v
from agent.timex import zones
from agent.timex.numbers import words_to_digits

# "quinze heures trente" -> "15h30", "10 horas" -> "10h": one spelling of a 24-hour time.
_HOURS_WORD = re.compile(r"\b(\d{1,2})(\s*)(?:heures?|horas?)\b(?:(\s+)(\d\d)\b)?")
_SET_TIME = r"\d{1,2}(?::\d\d)?\s*(?:am|pm)\b|\d{1,2}:\d\d\b|\d{1,2}h\d*\b|\d{1,2}\s*uhr\b"
_DURATION_BEFORE = re.compile(r"\b(?:in|en|dans|em|within|daqui a|durante|pendant|por)\s+$")


class Scanner:
    """The text, lowercased, with the spans already read masked out."""

    def __init__(self, text: str) -> None:
        text = unicodedata.normalize("NFC", text).replace("’", "'").replace("‘", "'")
        self.raw = text
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
        self.low = _HOURS_WORD.sub(_hours, words_to_digits(low))
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

    def sentence_of(self, position: int) -> tuple[int, int]:
        starts = [m.end() for m in re.finditer(r"[.!?;\n](?=\s|$)", self.low[:position])]
        stop = re.search(r"[.!?;\n](?=\s|$)", self.low[position:])
        return (starts[-1] if starts else 0), (position + stop.start() if stop else len(self.low))


def _hours(match: re.Match[str]) -> str:
    if _DURATION_BEFORE.search(match.string[max(0, match.start() - 12) : match.start()]):
        return match[0]  # "dans 2 heures" is a duration
    digits = f"{match[1]}h{match[4] or ''}"
    return digits.ljust(len(match[0]))


@dataclass
class Frame:
    """R1: the prospect's today, and the zone the text's times are meant in."""

    now: datetime
    today: date
    prospect: tzinfo
    prospect_name: str
    zone: tzinfo
    existing: datetime | None


def frame(s: Scanner, now: datetime, prospect_tz: str, your_tz: str | None, existing: datetime | None) -> Frame:
    prospect = zones.zone_of(prospect_tz)
    text_zone: tzinfo = prospect
    named = False
    if m := zones.ABBREVIATION_RE.search(s.raw):
        text_zone, named = zones.zone_of(zones.ABBREVIATIONS[m[1]]), True
        s.mask(m.start(), m.end())
    elif m := zones.NAME_RE.search(s.low):
        text_zone, named = zones.zone_of(zones.named_zone(m)), True
        s.mask(m.start(), m.end())
    if s.consume(zones.MY_TIME_RE.pattern):
        text_zone = prospect
    if s.consume(zones.YOUR_TIME_RE.pattern) and not named:  # "your time (Eastern)": the zone named says it
        text_zone = zones.zone_of(your_tz) if your_tz else prospect
    # A mention of the meeting that exists ("our Thursday call", "our 2pm today") is not a new time.
    s.consume(
        rf"\b(?:our|the|my|your|this)?\s*(?:{v.WEEKDAY_RE}|tomorrow|today)(?:'s)?\s+(?:\w+\s+)?{v.MEETING_NOUN}s?\b"
        rf"|\b(?:our|my)\s+(?:{_SET_TIME})(?:\s+(?:today|tomorrow|on\s+{v.WEEKDAY_RE}|{v.WEEKDAY_RE}))?"
        rf"(?:\s+{v.MEETING_NOUN}s?)?\b|\bthe\s+(?:{_SET_TIME})\s+{v.MEETING_NOUN}s?\b"
    )
    return Frame(now, now.astimezone(prospect).date(), prospect, prospect_tz, text_zone, existing)
