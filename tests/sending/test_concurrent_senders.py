"""Several `sdr send` processes started at once on one workspace, after a sender was killed just
after delivering a message, with approved messages of every origin waiting: every one of them
finishes its round, they settle the dead sender's claim once, and each message reaches the SMTP
server exactly once, on SQLite and on a live PostgreSQL."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from agent.sending.sender import resolve
from agent.states import OutboxState
from agent.workspace import Workspace
from tests.conftest import SuiteClock
from tests.helpers import smtp_server
from tests.sending import world
from tests.sending.crashing_sender import sdr, send_at_once

pytest.importorskip("aiosmtpd", reason="the SMTP tests need aiosmtpd (pip install -e '.[dev]')")
SENDERS = 4


def senders_restarted_at_once_deliver_each_message_once(ws: Workspace) -> None:
    due = world.due(ws)
    assert len(world.origins(due)) == 5
    with smtp_server() as (mailbox, port):
        env = world.env(ws, smtp_port=port)
        assert sdr(env, crash=frozenset({(due[0].origin, "after")})) == -9
        codes = send_at_once(env, SENDERS)
        assert codes == [0] * SENDERS, world.log(ws)
        [uncertain] = world.in_state(ws, OutboxState.uncertain)  # SMTP cannot say; its log shows it went
        assert uncertain.id == due[0].id and uncertain.message_id in world.message_ids(mailbox)
        resolve(ws, uncertain.id, delivered=True, who="tester")
        assert world.deliveries(mailbox.received) == Counter({r.id: 1 for r in due})
    sent = world.in_state(ws, OutboxState.sent)
    assert {r.id for r in sent} >= {r.id for r in due}
    assert len({r.claimed_by for r in sent if r.id in {d.id for d in due}}) > 1  # they did race


def test_on_sqlite(tmp_path: Path, suite_clock: SuiteClock) -> None:
    senders_restarted_at_once_deliver_each_message_once(world.copy(tmp_path, suite_clock))


def test_on_postgresql(tmp_path: Path, suite_clock: SuiteClock, postgres_url: str) -> None:
    senders_restarted_at_once_deliver_each_message_once(world.build(tmp_path, suite_clock, database_url=postgres_url))
