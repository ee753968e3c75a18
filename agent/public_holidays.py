"""Public holidays by country and region (the `holidays` package), for the days nobody works:
nothing falls due for a prospect on their holiday, and no AE is booked on theirs.

A country is read as a CRM writes it: an ISO code (`US`, `USA`) or an English name (`United
States`, `United Kingdom`, `UK`); a region as its code (`NV`) or a name `holidays` knows (`Nevada`,
`Bayern`), else the country's national holidays alone. Without a country, the country of the
person's time zone stands in (the time-zone database's `zone.tab`: `America/Chicago` is in the US).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from importlib.resources import files

import holidays
from holidays.registry import COUNTRIES

# Names CRMs use that are neither ISO codes nor the names `holidays` gives its countries.
_COUNTRY_ALIASES = {
    "unitedstatesofamerica": "US",
    "america": "US",
    "greatbritain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northernireland": "GB",
    "thenetherlands": "NL",
    "holland": "NL",
    "deutschland": "DE",
}


def _key(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


@cache
def _country_names() -> dict[str, str]:
    """Every spelling we read -> the ISO 3166 alpha-2 code."""
    names = dict(_COUNTRY_ALIASES)
    for class_name, alpha2, alpha3, *aliases in COUNTRIES.values():
        for name in (class_name, alpha2, alpha3, *aliases):
            names.setdefault(_key(name), alpha2)
    return names


@cache
def _zone_countries() -> dict[str, str]:
    """Time zone -> the country it belongs to, from the time-zone database shipped in `tzdata`."""
    table = files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
    rows = (line.split("\t") for line in table.splitlines() if line and not line.startswith("#"))
    return {row[2]: row[0] for row in rows if len(row) >= 3}


@cache
def _supported() -> frozenset[str]:
    return frozenset(holidays.list_supported_countries())


def country_code(country: str | None, timezone: str | None = None) -> str | None:
    """The ISO code of a country as written, else of the time zone's country; None if neither tells."""
    if country and (code := _country_names().get(_key(country))):
        return code
    return _zone_countries().get(timezone or "")


@lru_cache(maxsize=512)
def _calendar(country: str, region: str | None) -> holidays.HolidayBase:
    calendar = holidays.country_holidays(country)
    if region:
        wanted = region.strip().upper().removeprefix(f"{country}-")
        aliases = {name.upper(): code for name, code in getattr(calendar, "subdivisions_aliases", {}).items()}
        code = wanted if wanted in calendar.subdivisions else aliases.get(wanted)
        if code is not None:
            return holidays.country_holidays(country, subdiv=code)
    return calendar


@dataclass(frozen=True)
class PublicHolidays:
    """The public holidays of one place; with no country, none."""

    country: str | None = None
    region: str | None = None

    def on(self, day: date) -> str | None:
        """The holiday's name on `day`, or None on a working day."""
        if self.country is None:
            return None
        return _calendar(self.country, self.region).get(day)


NO_HOLIDAYS = PublicHolidays()


def public_holidays(country: str | None, region: str | None = None, timezone: str | None = None) -> PublicHolidays:
    """The holidays where someone is: their country (or their time zone's) and region; none when
    the place is unknown or `holidays` has no calendar for it."""
    code = country_code(country, timezone)
    if code is None or code not in _supported():
        return NO_HOLIDAYS
    return PublicHolidays(code, region.strip() if region else None)
