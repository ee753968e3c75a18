"""Nothing accepted is ever lost: a real `sdr serve` killed (SIGKILL) right after its 202s, and real
`sdr worker` processes killed in the middle of their work, then started again: every accepted lead
is answered exactly once and every accepted reply read once, nothing is left stuck, on SQLite and
on a live PostgreSQL. Answers are counted where they arrive: at an SMTP server on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from agent.inbound.tables import LeadRecord
from agent.replies.handling import reader_for
from agent.replies.tables import ReceivedMail, Reply
from agent.sending.sender import resolve
from agent.server.signatures import HEADER, sign
from agent.states import OutboxState
from agent.store.tables import OutboxMessage
from tests.conftest import ROOT
from tests.helpers import UNSUBSCRIBE_SECRET, Mailbox, free_port, smtp_server
from tests.inbound.conftest import CAMPAIGN, TUESDAY, Desk, build_desk
from tests.server.conftest import SECRET

pytest.importorskip("aiosmtpd", reason="the SMTP tests need aiosmtpd (pip install -e '.[dev]')")

# The demo's fits, each asking for a demo (rules route them: no model is needed to read them).
FITS = [
    ("Ana Ruiz", "ana.ruiz@harvest-lane.example", "Harvest Lane Foods", "VP Supply Chain"),
    ("Jordan Blake", "jordan.blake@reno-freight.example", "Reno Freight Systems", "Director of Logistics"),
    ("Dana Whitfield", "dana.whitfield@reno-freight.example", "Reno Freight Systems", "VP of Operations"),
]


def _lead(name: str, email: str, company: str, title: str) -> bytes:
    fields = {"name": name, "email": email, "company": company, "title": title, "source": "demo request",
              "received_at": TUESDAY, "message": "We would like a demo of dock scheduling."}  # fmt: skip
    return json.dumps(fields).encode()


def _reply(number: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"buyer{number}@harvest-lane.example"
    message["To"] = "maya.lindgren@lumendock.example"
    message["Subject"] = "Re: Dock scheduling"
    message["Message-ID"] = f"<durable-{number}@harvest-lane.example>"
    message.set_content("Please remove me from your list.")
    return bytes(message)


def _env(desk: Desk, smtp_port: int) -> dict[str, str]:
    settings = desk.ws.settings
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SDR_WORKSPACE": str(settings.workspace),
        "SDR_DATABASE_URL": settings.db_url,
        "SDR_SOURCES_DIR": str(settings.sources_dir),
        "SDR_INBOUND_SECRET": SECRET,
        "SDR_UNSUBSCRIBE_SECRET": UNSUBSCRIBE_SECRET,
        "SDR_MAIL_TRANSPORT": "smtp",
        "SDR_SMTP_PORT": str(smtp_port),
        "SDR_SMTP_STARTTLS": "false",
        "SDR_SMTP_TIMEOUT_SECONDS": "5",
    }


def _sdr(*args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "agent.cli.app", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _serve(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    server = _sdr("serve", "--port", str(port), "--campaign", CAMPAIGN, "--no-worker", "--no-desk", env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert server.poll() is None, server.stderr.read().decode()[-2000:] if server.stderr else ""
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return server, base
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.2)


def _post(base: str, path: str, body: bytes) -> int:
    return httpx.post(f"{base}{path}", content=body, headers={HEADER: sign(SECRET, body)}, timeout=30).status_code


def _finish(env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "agent.cli.app", "worker", "--once", "--no-steps"],
        env=env, cwd=ROOT, capture_output=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()[-2000:]


def _resolve_by_the_servers_log(desk: Desk, mailbox: Mailbox) -> int:
    """What a person does for each uncertain message (SMTP cannot say whether a worker killed
    mid-delivery handed it over): look in the mail server's log, and resolve it."""
    arrived = {m["Message-ID"] for m in mailbox.received}
    with desk.ws.store.transaction() as session:
        uncertain = session.execute(
            select(OutboxMessage.id, OutboxMessage.message_id).where(OutboxMessage.state == OutboxState.uncertain)
        ).all()
    for outbox_id, message_id in uncertain:
        resolve(desk.ws, outbox_id, delivered=message_id in arrived, who="postmaster")
    return len(uncertain)


def _assert_each_once(desk: Desk, mailbox: Mailbox, replies: int) -> None:
    to_leads = Counter(m["To"].addresses[0].addr_spec for m in mailbox.received if "harvest-lane" in str(m["To"])
                       or "reno-freight" in str(m["To"]))  # fmt: skip
    assert {email: to_leads[email] for _, email, _, _ in FITS} == {email: 1 for _, email, _, _ in FITS}
    assert len({m["Message-ID"] for m in mailbox.received}) == len(mailbox.received)  # nothing twice
    with desk.ws.store.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Reply)) == replies
        stuck = [
            session.scalar(select(func.count()).where(LeadRecord.state != "routed")),
            session.scalar(select(func.count()).where(ReceivedMail.state != "handled")),
            session.scalar(select(func.count()).where(OutboxMessage.state == OutboxState.sending)),
        ]
        assert stuck == [0, 0, 0]


def _desk(tmp_path: Path, **settings: object) -> Desk:
    desk = build_desk(
        tmp_path, inbound_secret=SECRET, unsubscribe_secret=UNSUBSCRIBE_SECRET, **settings
    )  # fmt: skip
    reader_for(desk.ws)  # the classifier trained once here, loaded by every process after
    return desk


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_a_server_killed_after_its_202s_loses_nothing(tmp_path: Path, store: str, request) -> None:
    settings = {"database_url": request.getfixturevalue("postgres_url")} if store == "postgresql" else {}
    desk = _desk(tmp_path, **settings)
    with smtp_server() as (mailbox, smtp_port):
        env = _env(desk, smtp_port)
        server, base = _serve(env)
        accepted = [_post(base, "/leads", _lead(*fit)) for fit in FITS]
        accepted += [_post(base, "/messages", _reply(n)) for n in range(3)]
        server.send_signal(signal.SIGKILL)  # before any of it was worked on
        server.wait(timeout=30)
        assert accepted == [202] * 6 and mailbox.received == []
        _finish(env)
        _finish(env)  # a second run finds nothing left to do
        _assert_each_once(desk, mailbox, replies=3)


@pytest.mark.parametrize("after", [0.5, 2.0, 5.0])
def test_workers_killed_mid_work_and_restarted_do_everything_once(tmp_path: Path, after: float) -> None:
    desk = _desk(tmp_path)
    with smtp_server() as (mailbox, smtp_port):
        env = _env(desk, smtp_port)
        server, base = _serve(env)
        try:
            workers = [_sdr("worker", "--no-steps", "--interval", "0.2", env=env) for _ in range(2)]
            for n, fit in enumerate(FITS):
                assert _post(base, "/leads", _lead(*fit)) == 202
                assert _post(base, "/messages", _reply(n)) == 202
            time.sleep(after)  # somewhere in their work: reading, answering, sending
            for worker in workers:
                worker.send_signal(signal.SIGKILL)
                worker.wait(timeout=30)
        finally:
            server.send_signal(signal.SIGKILL)
            server.wait(timeout=30)
        _finish(env)  # settles what the dead workers held: sent, released, or uncertain
        if _resolve_by_the_servers_log(desk, mailbox):
            _finish(env)
        _assert_each_once(desk, mailbox, replies=3)
