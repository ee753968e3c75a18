"""Sending through a real SMTP server on 127.0.0.1 (aiosmtpd, started and stopped by the tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent.sending.sender import send_due
from agent.store.tables import OutboxMessage, OutboxState
from agent.workspace import Workspace
from tests.conftest import make_workspace
from tests.helpers import IN_WINDOW, UNSUBSCRIBE_SECRET, Mailbox, free_port, run_demo, smtp_server

pytest.importorskip("aiosmtpd", reason="the SMTP tests need aiosmtpd (pip install -e '.[dev]')")


@pytest.fixture
def server() -> Iterator[tuple[Mailbox, int]]:
    with smtp_server() as running:
        yield running


@pytest.fixture
def approved(tmp_path: Path) -> Path:
    """The demo for two accounts, every first-step email approved; the workspace folder's parent."""
    ws = make_workspace(tmp_path)
    run_demo(ws, tmp_path, ["reno-freight.example", "harvest-lane.example"])
    with ws.store.transaction() as s:
        first = OutboxMessage.step_number == 1
        for step in s.scalars(select(OutboxMessage).where(first, OutboxMessage.state == OutboxState.pending_review)):
            step.state = OutboxState.approved
    return tmp_path


def smtp_workspace(tmp_path: Path, port: int) -> Workspace:
    return make_workspace(
        tmp_path,
        mail_transport="smtp",
        smtp_port=port,
        smtp_starttls=False,
        smtp_timeout_seconds=5,
        unsubscribe_secret=UNSUBSCRIBE_SECRET,
    )


def _sent(ws: Workspace) -> list[str]:
    with ws.store.transaction() as s:
        return sorted(s.scalars(select(OutboxMessage.message_id).where(OutboxMessage.state == OutboxState.sent)))


def test_approved_steps_go_out_through_smtp_once_each_with_one_click_unsubscribe(approved, server):
    mailbox, port = server
    ws = smtp_workspace(approved, port)
    first = send_due(ws, now=IN_WINDOW)
    again = send_due(ws, now=IN_WINDOW)
    assert len(first.sent) >= 2 and not again.sent and not first.failed
    assert sorted(m["Message-ID"] for m in mailbox.received) == _sent(ws)
    for message in mailbox.received:
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message["List-Unsubscribe"].startswith("<http")


def test_a_server_that_is_down_defers_the_round_and_the_next_round_sends_everything_once(approved):
    port = free_port()  # nothing listens here yet
    ws = smtp_workspace(approved, port)
    down = send_due(ws, now=IN_WINDOW)
    assert down.unavailable and "cannot connect" in down.unavailable and not down.sent and not down.failed
    with ws.store.transaction() as s:  # nothing claimed, nothing failed: the steps wait, approved
        waiting = s.scalars(select(OutboxMessage.state).where(OutboxMessage.step_number == 1)).all()
        assert OutboxState.approved in waiting and not {OutboxState.sending, OutboxState.failed} & set(waiting)

    with smtp_server(port) as (mailbox, _):
        up = send_due(ws, now=IN_WINDOW)
    assert len(up.sent) >= 2 and sorted(m["Message-ID"] for m in mailbox.received) == _sent(ws)


def test_a_message_the_server_refuses_is_failed_for_a_person_not_retried(approved, server):
    mailbox, port = server
    mailbox.reply = "554 5.7.1 Message rejected as spam"
    ws = smtp_workspace(approved, port)
    summary = send_due(ws, now=IN_WINDOW)
    assert summary.failed and "554" in summary.failed[0] and not summary.sent
    with ws.store.transaction() as s:
        assert s.scalar(select(func.count()).where(OutboxMessage.state == OutboxState.failed)) == len(summary.failed)
    assert not send_due(ws, now=IN_WINDOW).sent  # never retried on its own: a person decides
