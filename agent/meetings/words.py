"""The vocabulary of time expressions (rules R2-R6 in evals/booking/README.md), as data.

English first, with the Spanish, French and German forms prospects write. Kept apart from the
resolution logic in `times.py` so that adding a phrasing is a one-line change here.
"""

from __future__ import annotations

import re

WEEKDAYS = {
    0: "monday lunes lundi montag",
    1: "tuesday tues tue martes mardi dienstag",
    2: "wednesday wed miércoles miercoles mercredi mittwoch",
    3: "thursday thurs thur thu jueves jeudi donnerstag",
    4: "friday fri viernes vendredi freitag",
    5: "saturday sábado sabado samedi samstag",
    6: "sunday domingo dimanche sonntag",
}
WEEKDAY = {word: number for number, words in WEEKDAYS.items() for word in words.split()}
WEEKDAY_RE = (
    "(?:" + "|".join(sorted(map(re.escape, WEEKDAY), key=len, reverse=True)) + r")\.?"
    r"|(?:mon|sat|sun)\.?(?=\s*(?:at\b|\d))"  # words too: only as an abbreviation before a time or date
)
WEEKDAY.update({"mon": 0, "sat": 5, "sun": 6})

MONTHS = {
    1: "january jan enero janvier januar",
    2: "february feb febrero février fevrier februar",
    3: "march mar marzo mars märz maerz",
    4: "april apr abril avril",
    5: "may mayo mai",
    6: "june jun junio juin juni",
    7: "july jul julio juillet juli",
    8: "august aug agosto août aout",
    9: "september sept sep septiembre septembre",
    10: "october oct octubre octobre oktober",
    11: "november nov noviembre novembre",
    12: "december dec diciembre décembre decembre dezember",
}
MONTH = {word: number for number, words in MONTHS.items() for word in words.split()}
MONTH_RE = "(?:" + "|".join(sorted(map(re.escape, MONTH), key=len, reverse=True)) + r")\.?"
# A month named alone is a period ("December works"), except words that are also other words.
LONE_MONTH_RE = "(?:" + "|".join(w for w in MONTH if len(w) > 4 and w not in ("march", "mars")) + ")"

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "a": 1, "an": 1, "a couple of": 2, "couple of": 2,
    "eins": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8,
    "neun": 9, "zehn": 10, "elf": 11, "zwölf": 12,
}  # fmt: skip
NUMBER_RE = r"\d{1,2}|" + "|".join(sorted(map(re.escape, NUMBER_WORDS), key=len, reverse=True))

# R2: zones named in the text. Abbreviations are matched case-sensitively ("ET", never "et").
ZONE_ABBREVIATIONS = {
    "PT": "America/Los_Angeles", "PST": "America/Los_Angeles", "PDT": "America/Los_Angeles",
    "MT": "America/Denver", "MST": "America/Denver", "MDT": "America/Denver",
    "CT": "America/Chicago", "CST": "America/Chicago", "CDT": "America/Chicago",
    "ET": "America/New_York", "EST": "America/New_York", "EDT": "America/New_York",
    "BST": "Europe/London", "CET": "Europe/Berlin", "CEST": "Europe/Berlin",
    "IST": "Asia/Kolkata", "AEST": "Australia/Sydney", "AEDT": "Australia/Sydney", "JST": "Asia/Tokyo",
    "UTC": "UTC", "GMT": "UTC",
}  # fmt: skip
ZONE_NAMES = {
    "pacific": "America/Los_Angeles", "mountain": "America/Denver", "arizona time": "America/Phoenix",
    "central": "America/Chicago", "eastern": "America/New_York", "london time": "Europe/London",
    "uk time": "Europe/London", "berlin time": "Europe/Berlin", "paris time": "Europe/Paris",
    "sydney time": "Australia/Sydney", "tokyo time": "Asia/Tokyo", "utc": "UTC", "gmt": "UTC",
}  # fmt: skip
ZONE_ABBREVIATION_RE = re.compile(r"\b(" + "|".join(ZONE_ABBREVIATIONS) + r")\b")
ZONE_NAME_RE = re.compile(r"\b(" + "|".join(ZONE_NAMES) + r")(?:\s+time)?\b", re.IGNORECASE)
MY_TIME_RE = re.compile(r"\b(?:my time|my time zone|mi hora|mon heure|meiner zeit)\b")
YOUR_TIME_RE = re.compile(r"\b(?:your time|your time zone|su hora|votre heure|ihrer zeit)\b")

# R4: numeric dates are month first in these zones (and D/M everywhere else).
_US_ZONES = {
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
    "America/Anchorage", "America/Boise", "America/Detroit", "America/Juneau", "America/Sitka",
    "America/Nome", "America/Adak", "America/Yakutat", "America/Metlakatla", "America/Menominee",
    "Pacific/Honolulu", "Asia/Tokyo",
}  # fmt: skip
_US_ZONE_PREFIXES = ("America/Indiana/", "America/Kentucky/", "America/North_Dakota/", "US/")


def month_first(zone_name: str) -> bool:
    return zone_name in _US_ZONES or zone_name.startswith(_US_ZONE_PREFIXES)


# R5: named windows, minutes after midnight. Longest phrases first.
WINDOWS: list[tuple[str, tuple[int, int]]] = [
    (r"late morning", (600, 720)),
    (r"early afternoon", (720, 900)),
    (r"late afternoon", (900, 1020)),
    (r"end of (?:the )?(?:business )?day|eod|cob|close of business", (960, 1020)),
    (r"lunch ?time|lunch|mediod[ií]a\b(?! *a las)", (720, 780)),
    (r"por la mañana|por la manana|in the morning|dans la matinée|vormittags?|mornings?|matin(?:ée)?", (540, 720)),
    (r"por la tarde|in the afternoon|après-midi|apres-midi|nachmittags?|afternoons?|tarde", (720, 1020)),
    (r"in the evening|evenings?|tonight|abends?|soir(?:ée)?", (1020, 1200)),
]
WINDOW_RE = "|".join(f"(?:{pattern})" for pattern, _ in WINDOWS)


def window_for(phrase: str) -> tuple[int, int]:
    for pattern, window in WINDOWS:
        if re.fullmatch(pattern, phrase):
            return window
    raise KeyError(phrase)


# A day part after a clock time decides am or pm (R3): "4 de la tarde", "9 in the morning".
DAYPART_AM = r"in the morning|de la mañana|de la manana|du matin|morgens|vormittags"
DAYPART_PM = (
    r"in the afternoon|in the evening|de la tarde|de la noche|de l'après-midi|du soir|nachmittags|abends|at night"
)

# After "at 3": words that say the 3 is a time. Any other word ("at 3 locations") says it is not.
TIME_FOLLOWERS = frozenset(
    [
        "on",
        "works",
        "work",
        "worked",
        "is",
        "would",
        "should",
        "could",
        "will",
        "tomorrow",
        "today",
        "then",
        "please",
        "if",
        "for",
        "my",
        "your",
        "in",
        "ok",
        "okay",
        "sounds",
        "suits",
        "suit",
        "that",
        "this",
        "next",
        "or",
        "and",
        "instead",
        "o'clock",
        "oclock",
        "ish",
        "sharp",
        "de",
        "du",
        "a",
        "à",
        "uhr",
        "passt",
        "geht",
        "ist",
        "wäre",
        "est",
        "es",
        "me",
        "te",
        "nos",
        "ça",
        "ca",
        "por",
        "la",
        "le",
        "el",
        "am",
        "pm",
        "any",
        "every",
        "the",
        "ideally",
        "latest",
        "earliest",
        "at",
        "with",
    ]
)

# Negative clauses: a time named there is one the prospect cannot do.
NEGATIVE_RE = re.compile(
    r"\b(?:can't|cant|cannot|can not|won't|wont|doesn't|does not|don't|do not|isn't|is not|not available|no longer"
    r"|is out|are out|is bad|are bad|bad for me|doesn't suit|does not suit|packed|fully booked|booked up"
    r"|slammed|swamped|unavailable|out of (?:the )?office|won't work|no good"
    r"|ne peux pas|pas possible|kann nicht|geht nicht|no puedo|no me va"
    r"|anything but|any day but|any time but|except|other than)\b"
    # A clause that opens with "not": "Not Tuesday, but Wednesday at 10".
    r"|^\s*not\b"
)
# Where a clause ends, for deciding which clause a mention belongs to.
CLAUSE_BREAK_RE = re.compile(
    r"[.;!?,](?=\s|$)|\s[-—–]\s|—|–|(?<!anything )(?<!any day )(?<!any time )\bbut\b"
    r"|\bhow about\b|\bwhat about\b|\binstead\b|\baber\b"
)
# Words that join alternatives (R7).
JOIN_RE = re.compile(r"[\s,]*(?:or|oder|ou|o|or maybe|or else|and|und|et|y|/)[\s,]*")
CANCEL_RE = re.compile(
    r"\b(?:cancel(?:l?ed|l?ing)?|call(?:ing)? (?:it |this |that )?off|called off|annul(?:er|ez)?|absagen|stornieren"
    r"|cancelar|anular)\b"
)
# "our Thursday call", "tomorrow's demo": the meeting that exists, not a new time.
MEETING_NOUN = r"(?:call|meeting|demo|session|chat|appointment|intro|conversation)"
