"""The campaign file's `meetings:` section: who takes the meetings, when, and by which rules.

Kept apart from `agent.campaign` (which imports this module for its optional `meetings` field)
so that the meeting code can use these models without loading the whole campaign machinery.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from agent.clock import WEEKDAYS, Weekday, zone
from agent.errors import UserError
from agent.public_holidays import NO_HOLIDAYS, PublicHolidays, public_holidays
from agent.strict import Strict

_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def _known_zone(value: str) -> str:
    try:
        zone(value)
    except UserError as exc:
        raise ValueError(str(exc)) from exc
    return value


class WorkingHours(Strict):
    start: time = time(9, 0)
    end: time = time(17, 0)
    days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS[:5]), min_length=1)
    observe_public_holidays: bool = Field(default=True, description="Nothing is booked on the AE's public holidays.")

    @model_validator(mode="after")
    def _order(self) -> WorkingHours:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class CalendarRef(Strict):
    """Where an AE's calendar lives: an `.ics` file in the workspace, or a CalDAV collection.

    CalDAV credentials are never written in the campaign file: name the environment variables
    that hold them.
    """

    ics: str | None = Field(default=None, description="Path of an .ics file, relative to the workspace.")
    caldav_url: str | None = Field(default=None, pattern=r"^https?://", description="The calendar collection's URL.")
    username_env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]*$")
    password_env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]*$")

    @model_validator(mode="after")
    def _one_backend(self) -> CalendarRef:
        if (self.ics is None) == (self.caldav_url is None):
            raise ValueError("give exactly one of ics (a file) or caldav_url")
        if self.ics is not None and (self.ics.startswith("/") or ".." in self.ics.split("/")):
            raise ValueError("ics is a path inside the workspace, e.g. calendars/priya.ics")
        return self

    @property
    def backend(self) -> str:
        return "ics" if self.ics is not None else "caldav"


class AccountExecutive(Strict):
    name: str = Field(min_length=1)
    email: str = Field(pattern=_EMAIL)
    timezone: str
    working_hours: WorkingHours = WorkingHours()
    meeting_minutes: int = Field(default=30, ge=10, le=240)
    buffer_minutes: int = Field(default=15, ge=0, le=120, description="Free time kept before and after every block.")
    min_notice_hours: float = Field(default=24, ge=0, le=24 * 14)
    daily_cap: int = Field(default=4, ge=1, le=20, description="Busy blocks per day beyond which nothing is booked.")
    calendar: CalendarRef
    territories: list[str] = Field(default_factory=list, description="Country codes or region names (routing).")
    segments: list[str] = Field(default_factory=list, description="Segment names from meetings.segments (routing).")
    country: str | None = Field(
        default=None,
        description="Where the AE works, for public holidays (US, United Kingdom); default: the time zone's.",
    )
    region: str | None = Field(default=None, description="State or region for regional holidays (CA, Bayern).")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return _known_zone(value)

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        if value is not None and public_holidays(value).country is None:
            raise ValueError(f"{value!r}: no public-holiday calendar for this country (give an ISO code such as US)")
        return value

    @property
    def holidays(self) -> PublicHolidays:
        """The AE's days off besides the weekend: the public holidays where they work."""
        if not self.working_hours.observe_public_holidays:
            return NO_HOLIDAYS
        return public_holidays(self.country, self.region, timezone=self.timezone)

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")


class Segment(Strict):
    """An account segment by head count, e.g. mid_market: 200-1999 employees."""

    min_employees: int = Field(default=0, ge=0)
    max_employees: int | None = Field(default=None, ge=0)


class NoShow(Strict):
    """What happens when the prospect does not show up, so that they hear from exactly one person.

    `rebook`: the SDR offers new times once (up to `max_rebooks`), then `then` applies;
    `recycle`: back to nurture, with a follow-up date `recycle_after_days` ahead;
    `ae_follows_up`: the AE owns the follow-up and the SDR stays silent.
    """

    after_minutes: int = Field(default=10, ge=0, le=120, description="Minutes late before it counts as a no-show.")
    action: Literal["rebook", "recycle", "ae_follows_up"] = "rebook"
    max_rebooks: int = Field(default=1, ge=0, le=3)
    then: Literal["recycle", "ae_follows_up"] = "recycle"
    recycle_after_days: int = Field(default=30, ge=1, le=365)


class MeetingsSpec(Strict):
    account_executives: list[AccountExecutive] = Field(min_length=1)
    routing: Literal["territory", "segment", "round_robin"] = "round_robin"
    segments: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], Segment] = Field(default_factory=dict)
    offer_slots: int = Field(default=3, ge=1, le=6, description="Slots offered when the prospect names no time.")
    horizon_days: int = Field(default=14, ge=1, le=60, description="How far ahead slots are looked for.")
    organizer: Literal["sdr", "ae"] = Field(default="sdr", description="Who organizes the invitation.")
    title: str = Field(default="{company} / {account}: intro call", description="{company}, {account}, {prospect}.")
    no_show: NoShow = NoShow()

    @model_validator(mode="after")
    def _consistent(self) -> MeetingsSpec:
        emails = [ae.email.lower() for ae in self.account_executives]
        if len(set(emails)) != len(emails):
            raise ValueError("two account executives share an email address")
        for ae in self.account_executives:
            unknown = [s for s in ae.segments if s not in self.segments]
            if unknown:
                raise ValueError(f"{ae.name}: segment {unknown[0]!r} is not defined under meetings.segments")
        if self.routing == "territory" and not any(ae.territories for ae in self.account_executives):
            raise ValueError("routing: territory needs territories on at least one account executive")
        if self.routing == "segment" and not self.segments:
            raise ValueError("routing: segment needs meetings.segments")
        return self

    def executive(self, email: str) -> AccountExecutive | None:
        return next((ae for ae in self.account_executives if ae.email.lower() == email.lower()), None)
