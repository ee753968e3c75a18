"""Webhooks under load: signed leads and replies POSTed to a real `sdr serve` on 127.0.0.1 by an async
client at 5, 20 and 50 at once (keep-alive), then drained by worker processes.

Prints, per concurrency: acknowledgement latency p50/p95/p99, answers other than 202, dropped
connections; and, once the workers are done: leads lost (never answered), answered twice, stuck
(claimed and never finished), and the time from the first POST until every lead was answered and
every answer sent; and the CPU a lead cost the workers (every thread; the server's own worker is
counted with its server) and the whole machine (the server, PostgreSQL, this client). With
`--database-url` or `--postgres` and `--workers 1 2 4`, those for each number of worker processes
(started, and warmed up on a few leads, before the first POST).

    .venv/bin/python bench/load.py                                  # SQLite, the server's own worker
    .venv/bin/python bench/load.py --database-url postgresql+psycopg://... --workers 1 2 4
    .venv/bin/python bench/load.py --postgres --workers 1 2 4      # a throwaway PostgreSQL (fsync on)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from email.message import EmailMessage
from pathlib import Path

import aiohttp
import httpx
import psutil
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent import clock  # noqa: E402
from agent.accounts.importer import import_file  # noqa: E402
from agent.campaign import load_campaign  # noqa: E402
from agent.inbound.report import percentile  # noqa: E402
from agent.inbound.tables import LeadRecord  # noqa: E402
from agent.meetings.admin import seed_calendars  # noqa: E402
from agent.pipeline import register_campaign  # noqa: E402
from agent.replies.handling import reader_for  # noqa: E402
from agent.replies.tables import ReceivedMail  # noqa: E402
from agent.server.signatures import HEADER, sign  # noqa: E402
from agent.settings import load_settings  # noqa: E402
from agent.states import Origin, OutboxState  # noqa: E402
from agent.store.tables import OutboxMessage  # noqa: E402
from agent.workspace import Workspace  # noqa: E402
from tests.postgres_server import new_database, running_postgres  # noqa: E402

EXAMPLES = ROOT / "examples"
SECRET = "bench-webhook-secret-0123456789"
UNSUBSCRIBE = "bench-unsubscribe-secret-0123456789"
DOMAINS = ["reno-freight.example", "harvest-lane.example", "great-plains-cold.example", "blue-ridge-grocery.example"]


def prepare(folder: Path, database_url: str | None) -> Workspace:
    settings = {
        "workspace": folder,
        "inbound_secret": SECRET,
        "unsubscribe_secret": UNSUBSCRIBE,
        "sources_dir_setting": EXAMPLES / "sources",
        "database_url": database_url,
    }
    ws = Workspace(load_settings(**{k: v for k, v in settings.items() if v is not None}))
    import_file(ws.store, EXAMPLES / "accounts.csv")
    import_file(ws.store, EXAMPLES / "contacts.csv")
    register_campaign(ws, EXAMPLES / "campaign.yaml")
    spec = load_campaign(EXAMPLES / "campaign.yaml")
    assert spec.meetings is not None
    seed_calendars(ws, spec.meetings, EXAMPLES / "calendars")
    reader_for(ws)  # trained once, loaded by every process
    return ws


def environment(ws: Workspace) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SDR_WORKSPACE": str(ws.settings.workspace),
        "SDR_DATABASE_URL": ws.settings.db_url,
        "SDR_SOURCES_DIR": str(ws.settings.sources_dir),
        "SDR_INBOUND_SECRET": SECRET,
        "SDR_UNSUBSCRIBE_SECRET": UNSUBSCRIBE,
    }


def start(env: dict[str, str], *args: str, nice: int = 0) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "agent.cli.app", *args]
    quiet = subprocess.DEVNULL
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=quiet, stderr=quiet, preexec_fn=lambda: os.nice(nice))


def serve(env: dict[str, str], port: int, worker: bool) -> subprocess.Popen[bytes]:
    args = ["serve", "--port", str(port), "--campaign", "q4-dock-ops", "--no-desk"] + (
        [] if worker else ["--no-worker"]
    )
    server = start(env, *args)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def lead(tag: str, n: int, varied: bool = False) -> bytes:
    """A signed form's body; `varied`: each lead's message its own (else all say the same, as a
    form's default text does: a message read once serves them all)."""
    domain = DOMAINS[n % len(DOMAINS)]
    message = "We would like a demo of dock scheduling."
    if varied:
        message = f"We would like a demo of dock scheduling for our {n % 40 + 2} doors at site {n}."
    fields = {
        "name": f"Lead {tag} {n}",
        "email": f"lead.{tag}.{n}@{domain}",
        "company": domain.split(".")[0],
        "title": "VP of Operations",
        "source": "demo request",
        "received_at": clock.now().isoformat(),
        "message": message,
    }
    return json.dumps(fields).encode()


def reply(tag: str, n: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"buyer.{tag}.{n}@harvest-lane.example"
    message["To"] = "maya.lindgren@lumendock.example"
    message["Subject"] = "Re: Dock scheduling"
    message["Message-ID"] = f"<load-{tag}-{n}@harvest-lane.example>"
    message.set_content("Thanks, but we are not looking at this right now.")
    return bytes(message)


def client(base: str, concurrency: int) -> aiohttp.ClientSession:
    """Keep-alive connections, `concurrency` at most. aiohttp, for its small cost: this client shares
    the server's two cores, and httpx's own queue was half of the acknowledgement it measured (its
    0.5 s of CPU for 125 POSTs at 50 at once, aiohttp's 0.03 s)."""
    timeout = aiohttp.ClientTimeout(total=60)
    return aiohttp.ClientSession(base, connector=aiohttp.TCPConnector(limit=concurrency), timeout=timeout)


async def post(session: aiohttp.ClientSession, path: str, body: bytes) -> tuple[int, bytes]:
    async with session.post(path, data=body, headers={HEADER: sign(SECRET, body)}) as answer:
        return answer.status, await answer.read()


async def fire(base: str, bodies: list[tuple[str, bytes]], concurrency: int) -> tuple[list[float], Counter[str]]:
    """Each body POSTed once, `concurrency` at a time over keep-alive connections."""
    latencies: list[float] = []
    outcomes: Counter[str] = Counter()
    queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
    for item in bodies:
        queue.put_nowait(item)
    async with client(base, concurrency) as session:

        async def one() -> None:
            while not queue.empty():
                path, body = queue.get_nowait()
                started = time.perf_counter()
                try:
                    status, _ = await post(session, path, body)
                    outcomes[str(status)] += 1
                except aiohttp.ClientError:
                    outcomes["dropped"] += 1
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(one() for _ in range(concurrency)))
    return latencies, outcomes


def drained(ws: Workspace, seconds: float = 900) -> float:
    """Seconds until every lead is routed, every reply read and every answer and note sent."""
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        with ws.store.transaction() as session:
            left = session.scalar(select(func.count()).where(LeadRecord.state != "routed")) or 0
            left += session.scalar(select(func.count()).where(ReceivedMail.state.in_(["received", "handling"]))) or 0
            unsent = OutboxMessage.state.in_([OutboxState.approved, OutboxState.sending])
            answers = OutboxMessage.origin != Origin.sequence_step
            left += session.scalar(select(func.count()).where(unsent, answers)) or 0
        if not left:
            return time.perf_counter() - started
        time.sleep(0.1)
    return float("nan")


def audit(ws: Workspace, tag: str) -> dict[str, int]:
    with ws.store.transaction() as session:
        rows = session.scalars(select(LeadRecord).where(LeadRecord.email.like(f"lead.{tag}.%"))).all()
        answers = Counter(
            session.scalars(
                select(OutboxMessage.lead_id).where(
                    OutboxMessage.lead_id.in_([r.id for r in rows]), OutboxMessage.audience == "prospect"
                )
            )
        )
        return {
            "leads": len(rows),
            "lost": sum(1 for r in rows if r.state != "routed"),
            "answered twice": sum(1 for n in answers.values() if n > 1),
            "stuck": session.scalar(select(func.count()).where(OutboxMessage.state == "sending")) or 0,
        }


def cpu_seconds(processes: list[subprocess.Popen[bytes]]) -> float:
    """CPU time (user + system) the processes have used so far, every thread of each."""
    total = 0.0
    for process in processes:
        times = psutil.Process(process.pid).cpu_times()
        total += times.user + times.system
    return total


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (every process, every core) since it started."""
    times = psutil.cpu_times()
    return times.user + times.nice + times.system + getattr(times, "irq", 0.0) + getattr(times, "softirq", 0.0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--postgres", action="store_true", help="start a throwaway PostgreSQL (fsync on) for the run")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[5, 20, 50])
    parser.add_argument("--leads", type=int, default=100, help="per concurrency level")
    parser.add_argument("--workers", type=int, nargs="+", default=[0], help="0: the server's own worker")
    parser.add_argument("--varied", action="store_true", help="each lead's message its own, not all the same")
    parser.add_argument("--worker-nice", type=int, default=0, help="run the worker processes at this niceness")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sdr-bench-load-") as folder, ExitStack() as stack:
        url = args.database_url
        if args.postgres:
            url = new_database(stack.enter_context(running_postgres(fsync=True, max_connections=200)))
        ws = prepare(Path(folder), url)
        env = environment(ws)
        for workers in args.workers:
            port = 18000 + workers
            server = serve(env, port, worker=workers == 0)
            command = ["worker", "--no-steps", "--interval", "0.2"]
            pool = [start(env, *command, nice=args.worker_nice) for _ in range(workers)]
            warm_up = [("/leads", lead(f"w{workers}warm", n)) for n in range(2 * max(workers, 1))]
            asyncio.run(fire(f"http://127.0.0.1:{port}", warm_up, 2))
            drained(ws)  # every worker has started and loaded its models
            for concurrency in args.concurrency:
                tag = f"w{workers}c{concurrency}"
                bodies = [("/leads", lead(tag, n, args.varied)) for n in range(args.leads)]
                bodies += [("/messages", reply(tag, n)) for n in range(args.leads // 4)]
                busy, working = machine_busy(), cpu_seconds(pool or [server])
                started = time.perf_counter()
                latencies, outcomes = asyncio.run(fire(f"http://127.0.0.1:{port}", bodies, concurrency))
                drained(ws)
                took = time.perf_counter() - started
                busy, working = machine_busy() - busy, cpu_seconds(pool or [server]) - working
                figures = audit(ws, tag)
                print(
                    f"workers={workers or 'in-server'} concurrency={concurrency}: {len(bodies)} requests, ack p50 "
                    f"{percentile(latencies, 0.5) * 1000:.0f} ms p95 {percentile(latencies, 0.95) * 1000:.0f} ms "
                    f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms; {dict(outcomes)}; all handled in {took:.1f} s "
                    f"({figures['leads'] / took:.1f} leads/s); {figures}; CPU a lead: "
                    f"{'workers' if pool else 'server'} {working * 1000 / figures['leads']:.0f} ms, the whole machine "
                    f"{busy * 1000 / figures['leads']:.0f} ms ({busy / took * 100:.0f}% of a core busy)",
                    flush=True,
                )
            for worker in pool:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=60)
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)


if __name__ == "__main__":
    main()
