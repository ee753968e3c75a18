"""Speed-to-lead through the server, on the wall clock: every inbound eval lead is POSTed, signed, to
`sdr serve`'s app on 127.0.0.1 as if submitted now, and answered in the background as in production.

Prints p50/p95 seconds from the form to the first answer (sent or queued), by route, for leads
arriving one at a time and for all of them at once. Uses the configured model (default: the
embedded one) and a fresh workspace with the demo accounts, campaign and calendars.

    .venv/bin/python bench/inbound.py
"""

from __future__ import annotations

import json
import socket
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import uvicorn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent import clock  # noqa: E402
from agent.accounts.importer import import_file  # noqa: E402
from agent.campaign import load_campaign  # noqa: E402
from agent.inbound.answer import reader_of  # noqa: E402
from agent.inbound.report import percentile, speed_to_lead  # noqa: E402
from agent.inbound.tables import LeadRecord  # noqa: E402
from agent.meetings.admin import seed_calendars  # noqa: E402
from agent.pipeline import register_campaign  # noqa: E402
from agent.server.app import create_app  # noqa: E402
from agent.server.signatures import HEADER, sign  # noqa: E402
from agent.settings import load_settings  # noqa: E402
from agent.suppression import suppress  # noqa: E402
from agent.workspace import Workspace  # noqa: E402

EXAMPLES = ROOT / "examples"
SECRET = "bench-webhook-secret-0123456789"


def prepare(folder: Path) -> Workspace:
    settings = load_settings(
        workspace=folder, inbound_secret=SECRET, unsubscribe_secret=SECRET, sources_dir_setting=EXAMPLES / "sources"
    )
    ws = Workspace(settings)
    import_file(ws.store, EXAMPLES / "accounts.csv")
    import_file(ws.store, EXAMPLES / "contacts.csv")
    register_campaign(ws, EXAMPLES / "campaign.yaml")
    spec = load_campaign(EXAMPLES / "campaign.yaml")
    assert spec.meetings is not None
    seed_calendars(ws, spec.meetings, EXAMPLES / "calendars")
    reader_of(ws)  # the classifier and the model load before the first lead, as `sdr serve` does at start
    return ws


def serve(ws: Workspace) -> tuple[str, uvicorn.Server, threading.Thread]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(create_app(ws, campaign="q4-dock-ops"), log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    return f"http://127.0.0.1:{sock.getsockname()[1]}", server, thread


def leads(tag: str) -> list[tuple[dict[str, Any], str | None]]:
    """(lead, what to suppress first) for each eval case; each run's leads are new people."""
    out = []
    for line in (ROOT / "evals" / "inbound" / "cases.jsonl").read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        lead = {**case["lead"], "email": case["lead"]["email"].replace("@", f"+{tag}@", 1)}
        target = case.get("setup", {}).get("suppress")
        out.append((lead, target if target is None or target.startswith("@") else lead["email"]))
    return out


def run(ws: Workspace, base: str, tag: str, burst: bool) -> list[int]:
    batch = leads(tag)
    with ws.store.transaction() as session:
        for _, target in batch:
            if target:
                suppress(session, target, "manual")

    def post(item: tuple[dict[str, Any], str | None]) -> int:
        body = json.dumps({**item[0], "received_at": clock.now().isoformat()}).encode()
        answer = httpx.post(f"{base}/leads", content=body, headers={HEADER: sign(SECRET, body)}, timeout=60)
        answer.raise_for_status()
        return int(answer.json()["id"])

    def wait(ids: list[int]) -> None:
        while True:
            with ws.store.transaction() as session:
                states = [session.get_one(LeadRecord, i).state for i in ids]
            if all(s == "routed" for s in states):
                return
            time.sleep(0.01)

    if burst:
        with ThreadPoolExecutor(max_workers=16) as pool:
            ids = list(pool.map(post, batch))
        wait(ids)
        return ids
    ids = []
    for item in batch:
        ids.append(post(item))
        wait(ids[-1:])
    return ids


def report(ws: Workspace, ids: list[int], title: str) -> None:
    with ws.store.transaction() as session:
        rows = [session.get_one(LeadRecord, i) for i in ids]
        timed = [(str(r.route), r.speed_to_lead_seconds) for r in rows if r.speed_to_lead_seconds is not None]
    speeds = [s for _, s in timed]
    print(f"{title}: {len(ids)} leads, {len(timed)} answered (sent or queued)")
    print(f"  speed-to-lead p50 {percentile(speeds, 0.5)} s, p95 {percentile(speeds, 0.95)} s, max {max(speeds)} s")
    for route in sorted({r for r, _ in timed}):
        values = [s for r, s in timed if r == route]
        print(f"  {route:<14} n={len(values):<3} p50 {percentile(values, 0.5)} s  p95 {percentile(values, 0.95)} s")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="sdr-bench-inbound-") as folder:
        started = time.perf_counter()
        ws = prepare(Path(folder))
        print(f"model {ws.llm.name}; workspace ready in {time.perf_counter() - started:.1f} s")
        base, server, thread = serve(ws)
        try:
            report(ws, run(ws, base, "one", burst=False), "one at a time")
            report(ws, run(ws, base, "burst", burst=True), "all at once")
            overall = speed_to_lead(ws)
            print(f"sdr inbound list: p50 {overall.p50_seconds} s, p95 {overall.p95_seconds} s over {overall.answered}")
        finally:
            server.should_exit = True
            thread.join(timeout=10)


if __name__ == "__main__":
    main()
