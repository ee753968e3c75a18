"""The deterministic booking decision (rules B1-B5 in evals/booking/README.md).

Given what the prospect wrote, the slots they were offered, the meeting they may already have,
and the AE's calendar as it is now: book, reschedule, cancel, offer new times, or ask. This
carries the default (a tiny local model cannot do it) and is what the agent's tools re-check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from agent.meetings.availability import Rules, earliest, why_not
from agent.timex import Reading, read_times
from agent.timex import vocabulary as w
from tools.calendar.base import Busy

Outcome = Literal["book", "reschedule", "cancel", "offer_new_times", "clarify"]


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    start: datetime | None = None
    existing: datetime | None = None
    reason: str = ""
    reading: Reading | None = None
    choices: list[datetime] = field(default_factory=list)  # what a clarifying question asks between


_ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3,
             "fifth": 4, "5th": 4, "last": -1, "final": -1, "latter": -1, "former": 0}  # fmt: skip
_ORDINAL_RE = "|".join(_ORDINALS)
_SLOT_NOUN = r"(?:one|ones|option|options|slot|slots|time|times|choice|choices|suggestion|proposal)"


def offered_reference(text: str, offered: list[datetime], prospect_tz: str) -> list[datetime] | None:
    """B2: the offered slots a text points at ("the second one", "the Friday one"), or None.

    More than one slot back: the text delegates ("either of the first two") when it says so,
    else it is ambiguous. The caller tells the two apart with `delegates`.
    """
    if not offered:
        return None
    low = text.lower().replace("’", "'")
    zone = ZoneInfo(prospect_tz)
    if m := re.search(r"\b(?:either|any|both) of the (first|last) (two|three|2|3)\b", low):
        n = {"two": 2, "three": 3}.get(m[2], int(m[2]) if m[2].isdigit() else 2)
        return offered[:n] if m[1] == "first" else offered[-n:]
    if re.search(r"\b(?:any of (?:them|those|these|the (?:times|slots|options))|whichever|either (?:one|works|is fine)"
                 r"|all (?:of them |three )?work|any works|either)\b", low):  # fmt: skip
        return list(offered)
    if m := re.search(r"\b(?:option|slot|choice|number|no\.?|#)\s*(\d)\b", low):
        index = int(m[1]) - 1
        return [offered[index]] if 0 <= index < len(offered) else []
    ordinal = re.search(rf"\bthe ({_ORDINAL_RE})(?: {_SLOT_NOUN})?\b|\b({_ORDINAL_RE}) {_SLOT_NOUN}\b", low)
    if ordinal and "first thing" not in low[ordinal.start() :]:
        index = _ORDINALS[ordinal[1] or ordinal[2]]
        return [offered[index]] if -len(offered) <= index < len(offered) else []
    if m := re.search(rf"\bthe ([\w: .]{{1,30}}?) {_SLOT_NOUN}\b", low):
        words = m[1]
        weekday = next((w.WEEKDAY[t.rstrip(".")] for t in words.split() if t.rstrip(".") in w.WEEKDAY), None)
        clock = re.search(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?", words)
        if weekday is None and clock is None:
            return None
        matches = []
        for slot in offered:
            local = slot.astimezone(zone)
            if weekday is not None and local.weekday() != weekday:
                continue
            if clock is not None:
                hour, minute = int(clock[1]), int(clock[2] or 0)
                hour = hour % 12 + (12 if clock[3] == "pm" or (not clock[3] and 1 <= hour <= 6) else 0)
                if (local.hour, local.minute) != (hour, minute):
                    continue
            matches.append(slot)
        return matches
    return None


def delegates(text: str) -> bool:
    return bool(re.search(r"\b(?:either|any|both|whichever|all)\b", text.lower()))


def _has_time_info(reading: Reading) -> bool:
    return reading.has_day or reading.has_time or reading.kind == "vague"


def read_messages(
    messages: list[str],
    now: datetime,
    prospect_tz: str,
    *,
    ae_tz: str,
    existing: datetime | None,
    offered: list[datetime],
) -> tuple[Reading | None, list[datetime] | None, str]:
    """B1: the latest message with time information decides; one that only adds a day or a time completes it."""
    reading: Reading | None = None
    reference: list[datetime] | None = None
    reference_text = ""
    text = ""
    for message in messages:
        picked = offered_reference(message, offered, prospect_tz)
        if picked is not None:
            reference, reference_text, reading, text = picked, message, None, ""
            continue
        current = read_times(message, now, prospect_tz, your_tz=ae_tz, existing=existing)
        if not _has_time_info(current):
            continue
        partial = current.has_day != current.has_time and current.kind != "vague"
        if (
            reading is not None
            and partial
            and reading.has_day != reading.has_time
            and reading.has_day != current.has_day
        ):
            text = f"{text}\n{message}"
            current = read_times(text, now, prospect_tz, your_tz=ae_tz, existing=existing)
        else:
            text = message
        reading, reference = current, None
    return reading, reference, reference_text


def decide(
    messages: list[str],
    *,
    now: datetime,
    prospect_tz: str,
    rules: Rules,
    busy: list[Busy],
    offered: list[datetime] | None = None,
    existing: datetime | None = None,
    said_at: datetime | None = None,
) -> Decision:
    """B4, in its order. `busy` is the AE's calendar; the existing meeting's own block may be in it.

    The words are read as of `said_at` (when the prospect wrote; default `now`), the calendar as of `now`.
    """
    offered = offered or []
    if existing is not None and any(w.CANCEL_RE.search(m.lower()) for m in messages):
        return Decision("cancel", existing=existing, reason="the prospect cancelled")
    if existing is not None:  # B4.6: the meeting being moved does not count against its own move
        busy = [b for b in busy if b.start != existing]
    reading, reference, reference_text = read_messages(
        messages, said_at or now, prospect_tz, ae_tz=rules.tz, existing=existing, offered=offered
    )
    booked: Outcome = "reschedule" if existing is not None else "book"

    def verdict(start: datetime | None, reason: str) -> Decision:
        if start is None:
            return Decision("offer_new_times", existing=existing, reason=reason, reading=reading)
        return Decision(booked, start=start, existing=existing, reason=reason, reading=reading)

    if reference is not None:
        if not reference:
            return Decision("clarify", reason="no offered slot matches that", choices=offered)
        if len(reference) > 1 and not delegates(reference_text):
            return Decision("clarify", reason="that matches more than one offered slot", choices=reference)
        free = [s for s in reference if why_not(s, rules, busy, now) is None]
        if free:
            return verdict(min(free), "an offered slot, still free")
        return verdict(None, f"the offered slot is no longer free ({why_not(reference[0], rules, busy, now)})")
    if reading is None or (reading.kind == "none" and not reading.ambiguous):
        return verdict(None, reading.note if reading else "no time named")
    if reading.kind == "vague" or reading.ambiguous:
        return Decision(
            "clarify", existing=existing, reason=reading.note or "more than one reading", reading=reading,
            choices=reading.candidates,
        )  # fmt: skip
    if reading.kind == "slot":
        start = reading.candidates[0]
        reason = why_not(start, rules, busy, now)
        return verdict(None if reason else start, reason or "the time asked for is free")
    window_start, window_end = reading.windows[0]
    found = earliest(window_start, window_end, rules, busy, now)
    return verdict(found, "the earliest free start in the window asked for" if found else "nothing free in that window")
