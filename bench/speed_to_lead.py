"""Speed-to-lead end to end through `sdr serve` on 127.0.0.1: the inbound eval leads POSTed, signed,
as if the form was submitted now, and answered by the server's own worker (SQLite by default).

Speed-to-lead is from the form (`received_at`, set just before the POST) to the first answer sent or
queued in the outbox (the outbox row's creation), for every lead that gets one. Prints p50/p95/p99
for leads arriving alone (each one after the previous was answered and its messages sent, the server
otherwise idle) and for a burst of all of them at once, with what the server itself recorded beside.

    .venv/bin/python bench/speed_to_lead.py
    .venv/bin/python bench/speed_to_lead.py --lone 30 --burst 55 --database-url postgresql+psycopg://...
    .venv/bin/python bench/speed_to_lead.py --workers 1     # an `sdr worker` process beside the server's own
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from load import ROOT, client, environment, post, prepare, serve, start  # bench/ is the script's folder
from sqlalchemy import func, select

from agent import clock
from agent.inbound.report import percentile
from agent.inbound.tables import LeadRecord
from agent.store.tables import OutboxMessage
from agent.suppression import suppress
from agent.workspace import Workspace

PORT = 18090
IDLE = 0.3  # seconds between a lone lead's last message sent and the next lead: the worker's next round ends


@dataclass
class Case:
    lead: dict[str, Any]
    suppress: str | None  # what to suppress first (the case's address, or a domain)


def cases(tag: str, count: int) -> list[Case]:
    """`count` eval leads (cycling through the cases), each a new person."""
    lines = (ROOT / "evals" / "inbound" / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    out = []
    for n in range(count):
        case = json.loads(lines[n % len(lines)])
        lead = {**case["lead"], "email": case["lead"]["email"].replace("@", f"+{tag}{n}@", 1)}
        target = case.get("setup", {}).get("suppress")
        out.append(Case(lead, target if target is None or target.startswith("@") else lead["email"]))
    return out


def body_of(case: Case) -> bytes:
    return json.dumps({**case.lead, "received_at": clock.now().isoformat()}).encode()


async def post_lead(session: aiohttp.ClientSession, case: Case) -> int:
    status, answer = await post(session, "/leads", body_of(case))
    if status != 202:
        raise SystemExit(f"the server answered {status}: {answer[:200]!r}")
    return int(json.loads(answer)["id"])


def routed(ws: Workspace, ids: list[int], seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with ws.store.transaction() as session:
            left = session.scalar(select(func.count()).where(LeadRecord.id.in_(ids), LeadRecord.state != "routed"))
        if not left:
            return
        time.sleep(0.02)  # a poll costs the server's two cores too; the figures are the store's own times
    raise SystemExit(f"leads not routed after {seconds} s")


def settled(ws: Workspace, seconds: float = 60) -> None:
    """Nothing left to send: the previous lead's answer and notes went out (the worker sends them after
    routing the lead), so that the next lead finds the server idle."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with ws.store.transaction() as session:
            left = session.scalar(select(func.count()).where(OutboxMessage.state.in_(["approved", "sending"])))
        if not left:
            time.sleep(IDLE)
            return
        time.sleep(0.02)
    raise SystemExit(f"messages still waiting to be sent after {seconds} s")


async def lone(ws: Workspace, base: str, batch: list[Case]) -> list[int]:
    ids = []
    async with client(base, 1) as session:
        for case in batch:
            ids.append(await post_lead(session, case))
            routed(ws, ids[-1:])
            settled(ws)
    return ids


async def burst(ws: Workspace, base: str, batch: list[Case]) -> list[int]:
    async with client(base, len(batch)) as session:
        ids = list(await asyncio.gather(*(post_lead(session, case) for case in batch)))
    routed(ws, ids)
    return ids


def figures(values: list[float]) -> str:
    if not values:
        return "none"
    p50, p95, p99 = (percentile(values, q) * 1000 for q in (0.5, 0.95, 0.99))
    return f"p50 {p50:.0f} ms  p95 {p95:.0f} ms  p99 {p99:.0f} ms  max {max(values) * 1000:.0f} ms"


def report(ws: Workspace, ids: list[int], title: str) -> None:
    with ws.store.transaction() as session:
        rows = session.scalars(select(LeadRecord).where(LeadRecord.id.in_(ids))).all()
        first_answer = dict(
            session.execute(
                select(OutboxMessage.lead_id, func.min(OutboxMessage.created_at))
                .where(OutboxMessage.lead_id.in_(ids), OutboxMessage.audience == "prospect")
                .group_by(OutboxMessage.lead_id)
            ).all()
        )
        queued = [
            (clock.as_utc(first_answer[r.id]) - clock.as_utc(r.received_at)).total_seconds()
            for r in rows
            if r.id in first_answer
        ]
        recorded = [r.speed_to_lead_seconds for r in rows if r.speed_to_lead_seconds is not None]
        stored = [(clock.as_utc(r.created_at) - clock.as_utc(r.received_at)).total_seconds() for r in rows]
        claimed = [
            (clock.as_utc(r.claimed_at) - clock.as_utc(r.created_at)).total_seconds() for r in rows if r.claimed_at
        ]
        working = [
            (clock.as_utc(first_answer[r.id]) - clock.as_utc(r.claimed_at)).total_seconds()
            for r in rows
            if r.id in first_answer and r.claimed_at
        ]
        routes = Counter(str(r.route) for r in rows)
        claims = sorted(clock.as_utc(r.claimed_at) for r in rows if r.claimed_at)
        first_stored = min((clock.as_utc(r.created_at) for r in rows), default=None)
    print(f"{title}: {len(ids)} leads, {len(queued)} answered {dict(routes)}")
    print(f"  form -> answer in the outbox: {figures(queued)}")
    print(f"  as the server recorded it:    {figures(recorded)}")
    print(f"  of which form -> stored:      {figures(stored)}")
    print(f"          stored -> claimed:    {figures(claimed)}")
    print(f"         claimed -> answer:     {figures(working)}")
    if len(claims) > 1 and first_stored is not None:  # how fast the worker goes through them
        first = (claims[0] - first_stored).total_seconds() * 1000
        each = (claims[-1] - claims[0]).total_seconds() * 1000 / (len(claims) - 1)
        print(f"  claims: the first {first:.0f} ms after the first lead was stored, then one every {each:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--lone", type=int, default=30, help="leads sent one at a time")
    parser.add_argument("--burst", type=int, default=55, help="leads sent at once")
    parser.add_argument("--workers", type=int, default=0, help="`sdr worker` processes beside the server's own")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sdr-bench-speed-") as folder:
        ws = prepare(Path(folder), args.database_url)
        lone_batch, burst_batch = cases("lone", args.lone), cases("burst", args.burst)
        with ws.store.transaction() as session:
            for case in lone_batch + burst_batch:
                if case.suppress:
                    suppress(session, case.suppress, "manual")
        server = serve(environment(ws), PORT, worker=True)
        pool = [start(environment(ws), "worker", "--no-steps", "--interval", "0.2") for _ in range(args.workers)]
        time.sleep(3 + 2 * args.workers)  # the workers load their models: a lead meets started workers
        base = f"http://127.0.0.1:{PORT}"
        try:
            report(ws, asyncio.run(lone(ws, base, lone_batch)), "one at a time")
            time.sleep(1)
            report(ws, asyncio.run(burst(ws, base, burst_batch)), f"a burst of {args.burst}")
        finally:
            for process in [server, *pool]:
                process.send_signal(signal.SIGTERM)
            for process in [server, *pool]:
                process.wait(timeout=60)


if __name__ == "__main__":
    main()
