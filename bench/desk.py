"""The review desk under a full queue: 10,000 messages awaiting review, served by `sdr serve`'s app
on 127.0.0.1.

Prints p50/p95 milliseconds for the queue page (first page, a deep page, a filtered page) and an
item page, as a client on the same machine times them (loopback: the server's time plus a few
tenths of a millisecond); for an approval through the desk's form up to the next item's page;
and, with Debian's chromium, the time from a reviewer's keypress "a" on an item to the next item
shown (DOMContentLoaded) in a headless browser.

    .venv/bin/python bench/desk.py [--items 10000] [--rounds 50]
"""

from __future__ import annotations

import argparse
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import func, insert, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.accounts.importer import import_file  # noqa: E402
from agent.desk import users  # noqa: E402
from agent.desk.tables import Role  # noqa: E402
from agent.pipeline import run_campaign  # noqa: E402
from agent.server.app import create_app  # noqa: E402
from agent.settings import load_settings  # noqa: E402
from agent.states import AWAITING_PERSON, OutboxState  # noqa: E402
from agent.store.tables import OutboxMessage  # noqa: E402
from agent.workspace import Workspace  # noqa: E402

EXAMPLES = ROOT / "examples"
SECRET = "bench-desk-secret-0123456789abcdef"
PASSWORD = "a bench password, long enough"
CHROMIUM = Path("/usr/bin/chromium")


def prepare(folder: Path, items: int) -> Workspace:
    """The demo campaign drafted for human review, its drafts copied until `items` await review."""
    campaign = folder / "campaign.yaml"
    campaign.write_text((EXAMPLES / "campaign.yaml").read_text().replace("policy: auto_above_score", "policy: human"))
    settings = load_settings(
        workspace=folder / "ws",
        unsubscribe_secret=SECRET,
        desk_secret=SECRET,
        sources_dir_setting=EXAMPLES / "sources",
        research_with_model=False,
    )
    ws = Workspace(settings)
    import_file(ws.store, EXAMPLES / "accounts.csv")
    import_file(ws.store, EXAMPLES / "contacts.csv")
    run_campaign(ws, campaign, today=date(2026, 11, 24))
    table = OutboxMessage.__table__
    with ws.store.transaction() as session:
        drafts = [dict(r) for r in session.execute(select(table)).mappings()]
        waiting = session.scalar(select(func.count()).where(OutboxMessage.state.in_(list(AWAITING_PERSON)))) or 0
        copies = []
        while waiting + len(copies) < items:
            for draft in drafts[: items - waiting - len(copies)]:
                # Copies stand apart from the sequences (a step is unique per enrollment).
                copies.append({**draft, "id": None, "enrollment_id": None, "state": OutboxState.pending_review})
        for start in range(0, len(copies), 1000):
            session.execute(
                insert(table), [{k: v for k, v in c.items() if k != "id"} for c in copies[start : start + 1000]]
            )
    users.add(ws, "bench", Role.reviewer, PASSWORD)
    return ws


def serve(ws: Workspace) -> tuple[str, uvicorn.Server, threading.Thread]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(ws, worker=False, desk=True), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{sock.getsockname()[1]}", server, thread


def signed_in(base: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base, timeout=60)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/desk/sign-in").text)
    assert token
    client.post("/desk/sign-in", data={"name": "bench", "password": PASSWORD, "csrf": token.group(1)})
    page = client.get("/desk/queue")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert page.status_code == 200 and csrf
    return client, csrf.group(1)


def timed(rounds: int, call: Callable[[], Any]) -> list[float]:
    call()  # warm
    out = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def report(what: str, ms: list[float]) -> None:
    ordered = sorted(ms)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    print(f"{what:<58} p50 {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms   (n={len(ordered)})")


def first_pending(client: httpx.Client) -> int:
    found = re.search(r'<tr data-href="/desk/items/(\d+)', client.get("/desk/queue").text)
    assert found
    return int(found.group(1))


def approve_loop(client: httpx.Client, csrf: str, rounds: int) -> list[float]:
    """POST approve on the current item, follow the redirect to the next item's page."""
    current, out = first_pending(client), []
    for _ in range(rounds):
        version = re.search(r'name="version" value="(\d+)"', client.get(f"/desk/items/{current}").text)
        assert version
        started = time.perf_counter()
        answer = client.post(
            f"/desk/items/{current}/approve", data={"csrf": csrf, "version": version.group(1)}, follow_redirects=True
        )
        out.append((time.perf_counter() - started) * 1000)
        found = re.search(r"/desk/items/(\d+)", str(answer.url))
        assert found and int(found.group(1)) != current, answer.url
        current = int(found.group(1))
    return out


def keypress_loop(base: str, rounds: int) -> list[float] | None:
    if not CHROMIUM.exists():
        return None
    from playwright.sync_api import sync_playwright

    out = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        page = browser.new_page()
        page.goto(f"{base}/desk/sign-in")
        page.get_by_label("Name").fill("bench")
        page.get_by_label("Password").fill(PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
        page.keyboard.press("j")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        for _ in range(rounds):
            before = page.url
            started = time.perf_counter()
            with page.expect_navigation(wait_until="domcontentloaded"):
                page.keyboard.press("a")
            out.append((time.perf_counter() - started) * 1000)
            assert page.url != before and "Approved message" in page.locator(".note").inner_text()
        browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        ws = prepare(Path(folder), args.items)
        with ws.store.transaction() as session:
            waiting = session.scalar(select(func.count()).where(OutboxMessage.state.in_(list(AWAITING_PERSON))))
        print(f"{waiting} messages awaiting a person (set up in {time.perf_counter() - started:.0f} s)")
        base, server, thread = serve(ws)
        client, csrf = signed_in(base)
        item = first_pending(client)
        report("queue page 1 (25 items)", timed(args.rounds, lambda: client.get("/desk/queue")))
        report("queue page 200", timed(args.rounds, lambda: client.get("/desk/queue?page=200")))
        report(
            "queue filtered: email, step 2", timed(args.rounds, lambda: client.get("/desk/queue?channel=email&step=2"))
        )
        report("item page", timed(args.rounds, lambda: client.get(f"/desk/items/{item}")))
        report("approve -> next item's page (HTTP, server side)", approve_loop(client, csrf, args.rounds))
        pressed = keypress_loop(base, args.rounds)
        if pressed is None:
            print("keypress 'a' -> next item shown: skipped (no /usr/bin/chromium)")
        else:
            report("keypress 'a' -> next item shown (headless chromium)", pressed)
        server.should_exit = True
        thread.join(timeout=10)


if __name__ == "__main__":
    main()
