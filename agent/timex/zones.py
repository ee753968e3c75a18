"""The one zone table: which time zone a text means when it names one (rule R2).

Abbreviations are matched case-sensitively ("ET", never the French "et"; "EST", never "est");
names in any case. "my time" (and "our time") is the writer's zone; "your time" the reader's,
unless a zone is also named, which then says what "your time" is.
"""

from __future__ import annotations

import re
from datetime import UTC, tzinfo
from zoneinfo import ZoneInfo

ABBREVIATIONS = {
    "PT": "America/Los_Angeles", "PST": "America/Los_Angeles", "PDT": "America/Los_Angeles",
    "MT": "America/Denver", "MST": "America/Denver", "MDT": "America/Denver",
    "CT": "America/Chicago", "CST": "America/Chicago", "CDT": "America/Chicago",
    "ET": "America/New_York", "EST": "America/New_York", "EDT": "America/New_York",
    "BST": "Europe/London", "CET": "Europe/Berlin", "CEST": "Europe/Berlin", "MEZ": "Europe/Berlin",
    "MESZ": "Europe/Berlin", "WET": "Europe/Lisbon", "WEST": "Europe/Lisbon", "BRT": "America/Sao_Paulo",
    "IST": "Asia/Kolkata", "AEST": "Australia/Sydney", "AEDT": "Australia/Sydney", "JST": "Asia/Tokyo",
    "UTC": "UTC", "GMT": "UTC",
}  # fmt: skip
# Names, lowercase; "time" (or "hora de", "heure de", "horário de") may stand around them.
NAMES = {
    "pacific": "America/Los_Angeles", "mountain": "America/Denver", "arizona": "America/Phoenix",
    "central": "America/Chicago", "chicago": "America/Chicago", "eastern": "America/New_York",
    "new york": "America/New_York", "nueva york": "America/New_York", "london": "Europe/London",
    "londres": "Europe/London", "uk": "Europe/London", "berlin": "Europe/Berlin", "paris": "Europe/Paris",
    "madrid": "Europe/Madrid", "lisboa": "Europe/Lisbon", "lisbon": "Europe/Lisbon",
    "ciudad de méxico": "America/Mexico_City", "ciudad de mexico": "America/Mexico_City",
    "méxico": "America/Mexico_City", "mexico city": "America/Mexico_City", "brasília": "America/Sao_Paulo",
    "brasilia": "America/Sao_Paulo", "são paulo": "America/Sao_Paulo", "sydney": "Australia/Sydney",
    "tokyo": "Asia/Tokyo", "utc": "UTC", "gmt": "UTC",
}  # fmt: skip
# A bare region word ("Pacific", "Central") is a zone; a city is one only with a word for time.
_BARE = ("pacific", "mountain", "central", "eastern", "utc", "gmt")
_CITY = "|".join(sorted(map(re.escape, NAMES), key=len, reverse=True))
ABBREVIATION_RE = re.compile(r"\b(" + "|".join(ABBREVIATIONS) + r")\b")
NAME_RE = re.compile(
    rf"\b(?:(?:hora|horario|horário|heure|hour) (?:de |del |du )?(?:la |l')?({_CITY})\b"
    rf"|({_CITY}) (?:time|zeit)\b|({'|'.join(_BARE)})\b)",
    re.IGNORECASE,
)
# The writer's own zone ("my time", "unserer Zeit") and the reader's ("your time").
MY_TIME_RE = re.compile(
    r"\b(?:my time|my time zone|our time|mi hora|nuestra hora|mon heure|notre heure|meiner zeit|unserer zeit"
    r"|meu horário|nosso horário|meu horario|nosso horario)\b"
)
YOUR_TIME_RE = re.compile(
    r"\b(?:your time|your time zone|su hora|tu hora|votre heure|ihrer zeit|deiner zeit|seu horário|seu horario)\b"
)

# R4: numeric dates are month first in these zones (and D/M everywhere else).
_US_ZONES = {
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
    "America/Anchorage", "America/Boise", "America/Detroit", "America/Juneau", "America/Sitka",
    "America/Nome", "America/Adak", "America/Yakutat", "America/Metlakatla", "America/Menominee",
    "Pacific/Honolulu", "Asia/Tokyo",
}  # fmt: skip
_US_ZONE_PREFIXES = ("America/Indiana/", "America/Kentucky/", "America/North_Dakota/", "US/")


def zone_of(name: str) -> tzinfo:
    return UTC if name == "UTC" else ZoneInfo(name)


def month_first(zone_name: str) -> bool:
    return zone_name in _US_ZONES or zone_name.startswith(_US_ZONE_PREFIXES)


def named_zone(match: re.Match[str]) -> str:
    """The IANA name for a NAME_RE match."""
    return NAMES[next(g for g in match.groups() if g).lower()]
