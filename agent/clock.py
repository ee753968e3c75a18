"""Time in one place. Every "now" the agent decides by (due steps, sending windows, caps, slots,
leases, timestamps in the store) comes from the one process-wide clock here, never from the
machine's calendar directly, so tests, replays and demos can set it.

The clock is the machine's unless `SDR_CLOCK` says otherwise:
- `fixed:2026-11-24T15:00:00Z`: time stands still at that moment (tests; child processes of a test);
- `from:2026-11-24T15:00:00Z`: time starts at that moment and runs on at the machine's pace.

The store keeps naive UTC; people see their own time zone.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator

from agent.errors import UserError

SETTING = "SDR_CLOCK"
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Clock(Protocol):
    def now(self) -> datetime:
        """This moment, timezone-aware, in UTC."""


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until it is set or moved on."""

    def __init__(self, at: datetime) -> None:
        self.at = aware(at)

    def now(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        self.at = aware(at)

    def advance(self, delta: timedelta) -> None:
        self.at += delta


class RunningClock:
    """A clock that starts at `start` and runs on at the machine's pace (monotonic, so a change
    of the machine's calendar does not move it)."""

    def __init__(self, start: datetime) -> None:
        self.start = aware(start)
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self._t0)


def aware(moment: datetime) -> datetime:
    """Naive is taken as UTC; aware is converted to UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def clock_from_setting(value: str) -> Clock:
    """`system`, `fixed:<ISO 8601>` or `from:<ISO 8601>` (a time without an offset is UTC)."""
    kind, _, moment = value.strip().partition(":")
    if kind == "system" and not moment:
        return SystemClock()
    if kind in ("fixed", "from") and moment:
        try:
            at = datetime.fromisoformat(moment.strip())
        except ValueError:
            pass
        else:
            return FixedClock(at) if kind == "fixed" else RunningClock(at)
    raise UserError(
        f"{SETTING}={value!r} is not a clock: use system, fixed:<time> or from:<time>, "
        "with an ISO 8601 time such as 2026-11-24T15:00:00Z"
    )


_current: Clock | None = None


def current() -> Clock:
    """The process's clock: the one set last, else the one `SDR_CLOCK` names, else the machine's."""
    global _current
    if _current is None:
        _current = clock_from_setting(os.environ.get(SETTING, "system"))
    return _current


def use(clock: Clock) -> Clock:
    """Make `clock` the process's clock; returns the one it replaces."""
    global _current
    previous, _current = current(), clock
    return previous


@contextmanager
def using(clock: Clock) -> Iterator[Clock]:
    previous = use(clock)
    try:
        yield clock
    finally:
        use(previous)


def as_setting(moment: datetime) -> str:
    """The `SDR_CLOCK` value that fixes a child process's clock at `moment`."""
    return "fixed:" + aware(moment).isoformat()


def now() -> datetime:
    """This moment, aware UTC."""
    return current().now()


def utcnow() -> datetime:
    """This moment as the store keeps it: naive UTC."""
    return current().now().replace(tzinfo=None)


def today(tz: ZoneInfo | None = None) -> date:
    """Today's date in `tz` (UTC by default)."""
    return now().astimezone(tz or UTC).date()


def as_utc(moment: datetime) -> datetime:
    """Aware -> naive UTC; naive is taken as UTC already."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UserError(f"unknown time zone {name!r} (use an IANA name like Europe/Berlin)") from exc


def _known_zone(name: str) -> str:
    try:
        zone(name)
    except UserError as exc:
        raise ValueError(str(exc)) from exc  # pydantic reports it with the field's place
    return name


TimeZoneName = Annotated[str, AfterValidator(_known_zone)]
"""An IANA time zone name, validated (for pydantic models)."""


def in_zone(moment_utc: datetime, tz: ZoneInfo) -> datetime:
    return moment_utc.replace(tzinfo=UTC).astimezone(tz)
