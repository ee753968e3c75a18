"""The embedded calendar: one iCalendar (`.ics`) file per AE, in the workspace.

Two writers (threads, processes, two `sdr` commands) are kept apart by a lock file held across
read-check-write, and the file is replaced atomically, so a reader never sees half a calendar
and a booking never lands on time that became busy after it was offered. People may add their
own events to the file (any calendar program exports `.ics`); recurring ones are expanded.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from icalendar import Calendar as ICalendar

from tools.calendar.base import (
    PRODID,
    Busy,
    CalendarConfig,
    CalendarError,
    CalendarEvent,
    Fits,
    Now,
    SlotTaken,
    backend,
    busy_from,
    from_vevent,
    to_vevent,
)

LOCK_TIMEOUT_SECONDS = 30.0
# Busy blocks are expanded this far past the window asked for: the next requests, whose windows
# move with the clock, reuse the expansion until the file changes (expanding the demo's weekly
# events over two months took 4-9 ms a request; reusing them, well under one).
EXPAND_AHEAD = timedelta(days=7)


@dataclass(frozen=True)
class _Expanded:
    version: tuple[int, ...]  # the file's inode, size and times: every write replaces the file
    tz: str
    start: datetime
    end: datetime
    blocks: list[Busy]


_expanded: dict[Path, _Expanded] = {}  # by file, in this process


class IcsCalendar:
    def __init__(self, path: Path, tz: str = "UTC", *, now: Now) -> None:
        self.path = path
        self.now = now
        self.tz = tz  # for floating times and all-day events
        self.name = f"ics:{path.name}"
        self._lock = FileLock(str(path) + ".lock", timeout=LOCK_TIMEOUT_SECONDS)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            with self._lock:
                yield
        except Timeout as exc:
            raise CalendarError(f"{self.path}: another writer held the lock for {LOCK_TIMEOUT_SECONDS:g}s") from exc

    def _read(self) -> ICalendar:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            cal = ICalendar()
            cal.add("prodid", PRODID)
            cal.add("version", "2.0")
            return cal
        try:
            return ICalendar.from_ical(data)
        except ValueError as exc:
            raise CalendarError(f"{self.path}: not a valid iCalendar file: {exc}") from exc

    def _write(self, cal: ICalendar) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        cal.add_missing_timezones()
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-", suffix=".ics")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(cal.to_ical())
                out.flush()
                os.fsync(out.fileno())
            Path(temporary).replace(self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @staticmethod
    def _events(cal: ICalendar, uid: str) -> list[Any]:
        return [c for c in cal.walk("VEVENT") if str(c.get("uid")) == uid]

    def _version(self) -> tuple[int, ...]:
        try:
            found = self.path.stat()
        except FileNotFoundError:
            return ()
        return (found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns)

    def busy(self, start: datetime, end: datetime) -> list[Busy]:
        """Read from the expansion kept for this file while the file is unchanged (its version is
        taken before reading it, so what is kept is never older than the version it is kept under)."""
        version = self._version()
        kept = _expanded.get(self.path)
        if kept is None or (kept.version, kept.tz) != (version, self.tz) or not kept.start <= start <= end <= kept.end:
            kept = _Expanded(version, self.tz, start, end + EXPAND_AHEAD,
                             busy_from([self._read()], start, end + EXPAND_AHEAD, self.tz))  # fmt: skip
            _expanded[self.path] = kept
        return [b for b in kept.blocks if b.start < end and b.end > start]

    def get(self, uid: str) -> CalendarEvent | None:
        events = self._events(self._read(), uid)
        return from_vevent(events[0], self.tz) if events else None

    def create(self, meeting: CalendarEvent, window: tuple[datetime, datetime], fits: Fits) -> CalendarEvent:
        with self._locked():
            cal = self._read()
            if self._events(cal, meeting.uid):
                raise CalendarError(f"{self.path}: an event with UID {meeting.uid} exists already")
            if reason := fits(busy_from([cal], *window, self.tz)):
                raise SlotTaken(reason)
            cal.add_component(to_vevent(meeting, self.now()))
            self._write(cal)
        return meeting

    def move(
        self, uid: str, start: datetime, end: datetime, window: tuple[datetime, datetime], fits: Fits
    ) -> CalendarEvent:
        with self._locked():
            cal = self._read()
            events = self._events(cal, uid)
            if not events:
                raise CalendarError(f"{self.path}: no event with UID {uid}")
            others = [b for b in busy_from([cal], *window, self.tz) if b.uid != uid]
            if reason := fits(others):
                raise SlotTaken(reason)
            moved = from_vevent(events[0], self.tz).moved(start, end)
            cal.subcomponents = [c for c in cal.subcomponents if all(c is not e for e in events)]
            cal.add_component(to_vevent(moved, self.now()))
            self._write(cal)
        return moved

    def cancel(self, uid: str) -> CalendarEvent:
        with self._locked():
            cal = self._read()
            events = self._events(cal, uid)
            if not events:
                raise CalendarError(f"{self.path}: no event with UID {uid}")
            cancelled = from_vevent(events[0], self.tz)
            cal.subcomponents = [c for c in cal.subcomponents if all(c is not e for e in events)]
            self._write(cal)
        return replace(cancelled, sequence=cancelled.sequence + 1, status="CANCELLED")


@backend("ics")
def ics(config: CalendarConfig, now: Now) -> IcsCalendar:
    if config.path is None:
        raise CalendarError("the ics calendar backend needs a file path")
    return IcsCalendar(config.path, str(config.options.get("tz", "UTC")), now=now)
