"""Benchmark: how fast the booking path is, piece by piece. Run on demand, never in the tests:

    python bench/booking.py              # parser, decision, and writes on an .ics calendar
    python bench/booking.py --rounds 50  # more rounds for steadier medians

Reports medians per call: reading one time expression, deciding one dialogue, and a
create + cancel on the embedded `.ics` calendar (the file lock held across read-check-write).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from agent.timex import read_times
from evals.booking.suite import DIALOGUES, PARSE, decide_case
from tools.calendar import CalendarConfig, CalendarEvent, open_calendar


def per_call(fn, items: list, rounds: int) -> float:  # type: ignore[no-untyped-def,type-arg]
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        for item in items:
            fn(item)
        timings.append((time.perf_counter() - started) / len(items))
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    rounds = parser.parse_args().rounds
    parse_cases = [json.loads(line) for line in PARSE.read_text().splitlines() if line.strip()]
    dialogues = [json.loads(line) for line in DIALOGUES.read_text().splitlines() if line.strip()]

    def parse(case: dict) -> None:  # type: ignore[type-arg]
        read_times(case["text"], datetime.fromisoformat(case["now"]), case["prospect_tz"])

    results = {
        "parse_ms": per_call(parse, parse_cases, rounds) * 1000,
        "decide_ms": per_call(decide_case, dialogues, rounds) * 1000,
    }
    with tempfile.TemporaryDirectory() as folder:
        calendar = open_calendar(CalendarConfig("ics", path=Path(folder) / "ae.ics", options={"tz": "America/Chicago"}))
        start = datetime(2026, 12, 8, 10, tzinfo=ZoneInfo("America/Chicago"))
        window = (start - timedelta(hours=12), start + timedelta(hours=12))

        def write(n: int) -> None:
            uid = f"bench-{n}"
            event = CalendarEvent(uid, start, start + timedelta(minutes=30), "bench", "sdr@x.example", ())
            calendar.create(event, window, lambda _busy: None)
            calendar.cancel(uid)

        results["ics_create_cancel_ms"] = per_call(write, list(range(20)), rounds) * 1000
    for name, value in results.items():
        print(f"{name:24} {value:8.3f}")


if __name__ == "__main__":
    main()
