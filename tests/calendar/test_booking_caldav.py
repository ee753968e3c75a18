"""Booking through `handle_meeting_request` on a CalDAV calendar (Radicale on loopback)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from agent import clock
from agent.meetings.requests import handle_meeting_request
from agent.settings import load_settings
from agent.workspace import Workspace
from tests.calendar.conftest import Radicale
from tests.conftest import scripted
from tests.meetings.conftest import AES, MONDAY, campaign_spec, enroll
from tools.calendar import CalendarConfig, open_calendar


def test_two_prospects_asking_for_the_same_caldav_slot_get_one_booking(
    ws: Workspace, radicale: Radicale, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = radicale.new_calendar()
    monkeypatch.setenv("PRIYA_CALDAV_USER", radicale.username)
    monkeypatch.setenv("PRIYA_CALDAV_PASSWORD", radicale.password)
    priya = dict(AES[0], calendar={"caldav_url": url, "username_env": "PRIYA_CALDAV_USER",
                                   "password_env": "PRIYA_CALDAV_PASSWORD"})  # fmt: skip
    spec = campaign_spec(account_executives=[priya, AES[1]])
    contacts = enroll(ws, spec)
    spaces = {who: Workspace(load_settings(workspace=ws.settings.workspace), model=scripted()) for who in contacts}
    barrier = threading.Barrier(2)
    results: dict[str, Any] = {}

    def race(who: str) -> None:
        barrier.wait(timeout=30)
        results[who] = handle_meeting_request(spaces[who], contacts[who], "Tuesday at 2pm Central", MONDAY, now=MONDAY)

    threads = [threading.Thread(target=race, args=(who,)) for who in ("dana@reno.example", "sam@harvest.example")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(r.kind for r in results.values()) == ["booked", "offered"]
    start = datetime(2026, 12, 1, 14, 0, tzinfo=ZoneInfo("America/Chicago"))
    calendar = open_calendar(
        CalendarConfig("caldav", url=url, username=radicale.username, password=radicale.password), now=clock.now
    )
    busy = calendar.busy(start - timedelta(hours=1), start + timedelta(hours=1))
    winner = next(r for r in results.values() if r.kind == "booked")
    assert [b.uid for b in busy] == [winner.event.uid]
