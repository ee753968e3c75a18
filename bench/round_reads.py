"""Benchmark: what a worker's round reads whatever it finds, as the store grows: the look for bookings
a crash left (`recover_bookings`, also made before every meeting request) and a send round's look for
running sequences (`check_health` and the plan of due steps), with every earlier meeting settled and
every earlier sequence finished.

Prints, for each number of finished meetings and sequences, the milliseconds each look takes (p50 /
p95) and its query plan.

    .venv/bin/python bench/round_reads.py
    .venv/bin/python bench/round_reads.py --sizes 1000 100000

A benchmark, not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from load import prepare  # bench/ is the script's folder
from sqlalchemy import insert, select

from agent.clock import utcnow
from agent.meetings.booking import recover_bookings
from agent.meetings.tables import Meeting
from agent.sending.sender import SendSummary, check_health, plan
from agent.store.tables import Account, Campaign, Contact, Enrollment
from agent.workspace import Workspace
from tests.query_plans import query_plans

RUNS = 200


def _fill(ws: Workspace, size: int) -> None:
    """`size` contacts, each with a finished sequence and a meeting long past."""
    now = utcnow()
    with ws.store.transaction() as session:
        campaign_id = session.scalars(select(Campaign.id)).one()
        account_id = session.scalars(select(Account.id)).first()
        people = [{"account_id": account_id, "email": f"p{n}@c{n}.example", "first_name": "A"} for n in range(size)]
        session.execute(insert(Contact), people)
        ids = session.scalars(select(Contact.id).where(Contact.email.like("p%@c%.example"))).all()
        finished = {"campaign_id": campaign_id, "state": "completed"}
        session.execute(insert(Enrollment), [{**finished, "contact_id": i} for i in ids])
        start = now - timedelta(days=30)
        meeting = {
            **{"campaign_id": campaign_id, "ae_name": "Ana", "ae_email": "ana@example.com", "ae_timezone": "UTC"},
            **{"prospect_timezone": "UTC", "calendar": "calendars/ana.ics", "starts_at": start, "ends_at": start},
            "status": "cancelled",
        }
        session.execute(insert(Meeting), [{**meeting, "contact_id": i, "uid": f"meeting-{i}"} for i in ids])


def _timed(look: Callable[[], object]) -> tuple[float, float]:
    took = []
    for _ in range(RUNS):
        started = time.perf_counter()
        look()
        took.append(time.perf_counter() - started)
    took.sort()
    return took[RUNS // 2] * 1000, took[int(RUNS * 0.95)] * 1000


def _plans(ws: Workspace, look: Callable[[], object]) -> str:
    """The steps of the SQLite plans of `look`'s statements that read the meetings or the sequences."""
    steps = [step for step in query_plans(ws.store.engine, look) if " meetings" in step or " enrollments" in step]
    return "; ".join(dict.fromkeys(steps))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    args = parser.parse_args()
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="sdr-bench-round-reads-") as folder:
            ws = prepare(Path(folder), None)
            _fill(ws, size)
            looks: dict[str, Callable[[], object]] = {
                "bookings a crash left": lambda ws=ws: recover_bookings(ws),
                "running sequences": lambda ws=ws: (check_health(ws, utcnow()), plan(ws, utcnow(), SendSummary())),
            }
            for name, look in looks.items():
                p50, p95 = _timed(look)
                print(f"{size:>9,} finished: {name}: p50 {p50:.2f} ms  p95 {p95:.2f} ms   plan: {_plans(ws, look)}")


if __name__ == "__main__":
    main()
