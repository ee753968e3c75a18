"""No command sends as a side effect of another: importing, drafting, reading replies, booking,
approving and answering an inbound lead the desk's policy holds for review all put messages in the
outbox (some approved), and nothing reaches the SMTP server until `sdr send`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent import review
from agent.cli.app import app
from agent.replies import handling
from agent.states import OutboxState
from tests.conftest import EXAMPLES, SuiteClock
from tests.helpers import Mailbox, smtp_server
from tests.replies.conftest import email
from tests.sending import world

pytest.importorskip("aiosmtpd", reason="the SMTP tests need aiosmtpd (pip install -e '.[dev]')")
STUDENT = {
    "name": "Tom Reyes",
    "email": "tom@state.example.edu",
    "company": "State University",
    "source": "contact form",
    "received_at": world.LEADS_ARRIVE.isoformat(),
    "message": "I'm a student writing my thesis on dock scheduling.",
}


def sdr(*args: str) -> None:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, f"sdr {' '.join(args)}: {result.output}{result.exception!r}"


def nothing_sent_by(mailbox: Mailbox, *args: str) -> None:
    sdr(*args)
    assert mailbox.received == [], f"sdr {' '.join(args)} sent {len(mailbox.received)} emails"


def test_nothing_reaches_the_mail_server_before_sdr_send(
    tmp_path: Path, suite_clock: SuiteClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite_clock.set(world.LEADS_ARRIVE)  # the day the demo's sources and calendars describe
    monkeypatch.setattr(handling, "reader_for", world.reader)  # the scripted reader, not the trained one
    inbox, leads = tmp_path / "inbox", tmp_path / "leads.jsonl"
    inbox.mkdir()
    (inbox / "1.eml").write_bytes(
        bytes(email("dana.whitfield@reno-freight.example", "Wednesday 2 December at 2pm Central works for a call."))
    )
    (inbox / "2.eml").write_bytes(bytes(email("tbooker@harvest-lane.example", "Do you integrate with SAP EWM?")))
    leads.write_text(json.dumps(STUDENT) + "\n")
    with smtp_server() as (mailbox, port):
        for name, value in world.env(world.open_workspace(tmp_path), smtp_port=port).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("SDR_MODEL", "scripted:reader")
        for path in world.demo_files(tmp_path, world.STEPPED):
            nothing_sent_by(mailbox, "import", str(path))
        nothing_sent_by(mailbox, "run", str(EXAMPLES / "campaign.yaml"))
        nothing_sent_by(
            mailbox, "meetings", "seed", str(EXAMPLES / "calendars"), "--campaign", str(EXAMPLES / "campaign.yaml")
        )
        nothing_sent_by(mailbox, "replies", "ingest", str(inbox))
        nothing_sent_by(
            mailbox,
            "meetings",
            "request",
            "marisol.ortega@harvest-lane.example",
            "Thursday 3 December at 10am Central works.",
        )
        nothing_sent_by(mailbox, "inbound", "answer", str(leads), "--campaign", world.CAMPAIGN)
        ws = world.open_workspace(tmp_path)
        waiting = [v.id for v in review.list_items(ws, states=[OutboxState.pending_review])]
        nothing_sent_by(mailbox, "review", "approve", *map(str, waiting))
        approved = world.in_state(ws, OutboxState.approved)
        assert {r.origin for r in approved} >= {"sequence_step", "reply_answer", "meeting_letter", "inbound_answer"}

        sdr("send")
        sent = {r.id for r in world.in_state(ws, OutboxState.sent)}
        assert sent and world.deliveries(mailbox.received) == {i: 1 for i in sent}
