"""Run in a separate process: book one slot on a calendar, report what happened."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from agent import clock
from tools.calendar import CalendarConfig, CalendarEvent, SlotTaken, open_calendar


def book(config: dict[str, Any], start_iso: str, uid: str, barrier: Any, results: Any) -> None:
    if config.get("path"):
        config = {**config, "path": Path(config["path"])}
    calendar = open_calendar(CalendarConfig(**config), now=clock.now)
    start = datetime.fromisoformat(start_iso)
    end = start + timedelta(minutes=30)
    event = CalendarEvent(uid, start, end, "race", "sdr@lumendock.example", ("p@x.example",), tz="America/Chicago")

    def fits(busy: list[Any]) -> str | None:
        return "taken" if any(b.start < end and b.end > start for b in busy) else None

    barrier.wait(timeout=30)
    try:
        calendar.create(event, (start - timedelta(hours=12), end + timedelta(hours=12)), fits)
        results.put((uid, "booked"))
    except SlotTaken:
        results.put((uid, "taken"))
