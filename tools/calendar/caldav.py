"""A CalDAV (RFC 4791) calendar collection, through the `caldav` client library.

Concurrency is carried by HTTP conditional requests (RFC 9110), which every CalDAV server
honours:
- events are created with `If-None-Match: *` (never overwrite an event) and changed or deleted
  with `If-Match: <ETag>` (never overwrite a change made since it was read);
- agents writing to the same calendar take turns through a short-lived lock resource in the
  collection, itself created with `If-None-Match: *` and removed with `If-Match`; a lock left by
  a crashed writer expires after `LOCK_TTL`;
- free/busy is re-checked under the lock right before writing, and once more after it: a
  person (or another tool) who put something in that time meanwhile wins, and the agent takes
  its event back out and offers new times.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from icalendar import Calendar as ICalendar
from icalendar import Event as IEvent

from tools.calendar.base import (
    PRODID,
    Busy,
    CalendarConfig,
    CalendarError,
    CalendarEvent,
    EventChanged,
    Fits,
    Now,
    SlotTaken,
    backend,
    busy_from,
    from_vevent,
    to_vevent,
)

LOCK_NAME = "sdr-agent-booking-lock.ics"
LOCK_TTL = timedelta(seconds=30)
LOCK_WAIT_SECONDS = 30.0
ICS = {"Content-Type": "text/calendar; charset=utf-8"}


class CalDavCalendar:
    def __init__(self, url: str, username: str | None, password: str | None, tz: str = "UTC", *, now: Now) -> None:
        try:
            import caldav
        except ImportError as exc:  # an optional backend
            raise CalendarError("the CalDAV calendar backend needs the caldav package: pip install caldav") from exc
        self.url = url if url.endswith("/") else url + "/"
        self.tz = tz
        self.now = now
        self.name = f"caldav:{self.url}"
        self.client: Any = caldav.DAVClient(url=self.url, username=username, password=password, timeout=30)  # type: ignore[operator]
        self.collection: Any = self.client.calendar(url=self.url)

    # ---- HTTP ------------------------------------------------------------------------------

    def _href(self, uid: str) -> str:
        return self.url + quote(uid, safe="") + ".ics"

    def _request(self, method: str, url: str, body: str = "", headers: dict[str, str] | None = None) -> Any:
        try:
            return self.client.request(url, method, body, headers or {})
        except Exception as exc:  # the client raises its own hierarchy and the HTTP library's
            raise CalendarError(f"CalDAV {method} {url}: {exc}") from exc

    def _get(self, url: str) -> tuple[ICalendar, str] | None:
        response = self._request("GET", url)
        if response.status == 404:
            return None
        if response.status >= 400:
            raise CalendarError(f"CalDAV GET {url}: HTTP {response.status}")
        return ICalendar.from_ical(response._raw), response.headers.get("ETag", "")

    def _put(self, url: str, cal: ICalendar, condition: dict[str, str]) -> str | None:
        """The new ETag, or None when the condition failed (412)."""
        cal.add_missing_timezones()
        response = self._request("PUT", url, cal.to_ical().decode(), {**ICS, **condition})
        if response.status == 412:
            return None
        if response.status >= 400:
            raise CalendarError(f"CalDAV PUT {url}: HTTP {response.status}")
        return str(response.headers.get("ETag", ""))

    def _delete(self, url: str, etag: str | None) -> bool:
        response = self._request("DELETE", url, "", {"If-Match": etag} if etag else {})
        if response.status in (404, 412):
            return False
        if response.status >= 400:
            raise CalendarError(f"CalDAV DELETE {url}: HTTP {response.status}")
        return True

    # ---- the writers' lock -----------------------------------------------------------------

    @contextmanager
    def _turn(self) -> Iterator[None]:
        url, deadline = self.url + LOCK_NAME, time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            etag = self._put(url, _lock_body(self.now(), self.now() + LOCK_TTL), {"If-None-Match": "*"})
            if etag is not None:
                break
            held = self._get(url)
            if held is not None and _lock_expired(held[0], self.now()):
                self._delete(url, held[1])  # a crashed writer's: only that version is removed
                continue
            if time.monotonic() > deadline:
                raise CalendarError(f"{self.url}: another writer held the booking lock for {LOCK_WAIT_SECONDS:g}s")
            time.sleep(random.uniform(0.02, 0.1))
        try:
            yield
        finally:
            self._delete(url, etag or None)

    # ---- the Calendar interface --------------------------------------------------------------

    def busy(self, start: datetime, end: datetime) -> list[Busy]:
        try:
            found = self.collection.search(start=start, end=end, event=True, expand=False)
        except Exception as exc:
            raise CalendarError(f"CalDAV search {self.url}: {exc}") from exc
        return busy_from((item.icalendar_instance for item in found), start, end, self.tz)

    def get(self, uid: str) -> CalendarEvent | None:
        found = self._get(self._href(uid))
        return from_vevent(found[0].walk("VEVENT")[0], self.tz) if found else None

    def create(self, meeting: CalendarEvent, window: tuple[datetime, datetime], fits: Fits) -> CalendarEvent:
        url = self._href(meeting.uid)
        with self._turn():
            if reason := fits(self.busy(*window)):
                raise SlotTaken(reason)
            etag = self._put(url, _calendar(to_vevent(meeting, self.now())), {"If-None-Match": "*"})
            if etag is None:
                raise CalendarError(f"{self.url}: an event with UID {meeting.uid} exists already")
            self._verify(meeting.uid, window, fits, undo=lambda: self._delete(url, etag))
        return meeting

    def move(
        self, uid: str, start: datetime, end: datetime, window: tuple[datetime, datetime], fits: Fits
    ) -> CalendarEvent:
        url = self._href(uid)
        with self._turn():
            found = self._get(url)
            if found is None:
                raise CalendarError(f"{self.url}: no event with UID {uid}")
            before, etag = found
            if reason := fits([b for b in self.busy(*window) if b.uid != uid]):
                raise SlotTaken(reason)
            moved = from_vevent(before.walk("VEVENT")[0], self.tz).moved(start, end)
            new_etag = self._put(url, _calendar(to_vevent(moved, self.now())), {"If-Match": etag})
            if new_etag is None:
                raise EventChanged(f"{self.url}: the event {uid} was changed on the calendar meanwhile")
            self._verify(uid, window, fits, undo=lambda: self._put(url, before, {"If-Match": new_etag}))
        return moved

    def cancel(self, uid: str) -> CalendarEvent:
        url = self._href(uid)
        for _ in range(3):  # If-Match: a change made meanwhile is read again, never overwritten blind
            found = self._get(url)
            if found is None:
                raise CalendarError(f"{self.url}: no event with UID {uid}")
            if self._delete(url, found[1]):
                cancelled = from_vevent(found[0].walk("VEVENT")[0], self.tz)
                return replace(cancelled, sequence=cancelled.sequence + 1, status="CANCELLED")
        raise EventChanged(f"{self.url}: the event {uid} kept changing while it was being cancelled")

    def _verify(self, uid: str, window: tuple[datetime, datetime], fits: Fits, undo: Any) -> None:
        """After writing: someone who wrote there without our lock (a person) wins; undo ours."""
        if reason := fits([b for b in self.busy(*window) if b.uid != uid]):
            undo()
            raise SlotTaken(f"{reason} (written on the calendar meanwhile)")


def _calendar(*components: IEvent) -> ICalendar:
    cal = ICalendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    for component in components:
        cal.add_component(component)
    return cal


def _lock_body(now: datetime, expires: datetime) -> ICalendar:
    """The lock is an event in 2000 that takes no time (TRANSPARENT): no calendar shows it as busy."""
    event = IEvent()
    event.add("uid", "sdr-agent-booking-lock")
    event.add("dtstamp", now)
    event.add("dtstart", datetime(2000, 1, 1, tzinfo=UTC))
    event.add("dtend", datetime(2000, 1, 1, 0, 1, tzinfo=UTC))
    event.add("summary", "sdr-agent booking lock")
    event.add("transp", "TRANSPARENT")
    event.add("x-sdr-lock-expires", expires.strftime("%Y%m%dT%H%M%SZ"))
    return _calendar(event)


def _lock_expired(cal: ICalendar, now: datetime) -> bool:
    events = cal.walk("VEVENT")
    value = str(events[0].get("x-sdr-lock-expires", "")) if events else ""
    try:
        expires = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return True
    return expires < now


@backend("caldav")
def caldav_backend(config: CalendarConfig, now: Now) -> CalDavCalendar:
    if not config.url:
        raise CalendarError("the caldav calendar backend needs the collection's URL")
    tz = str(config.options.get("tz", "UTC"))
    return CalDavCalendar(config.url, config.username, config.password, tz, now=now)
