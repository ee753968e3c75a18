"""A real `sdr send` killed (SIGKILL) just before and just after the transport accepted a message of
each origin, then restarted: nothing is sent twice, nothing is lost, nothing stays in `sending`.

Each killed process is the restart of the one killed before it, so one chain of processes crashes
once on every origin: sequence steps, answers to replies, meeting emails, inbound answers and notes
to the team. Then the real command (`python -m agent.cli.app send`) finishes the work. On the
folder outbox the restart asks the transport what it holds; SMTP cannot say, so the message becomes
`uncertain` and a person settles it with `sdr send resolve` from what the mail server received.
Deliveries are counted where they arrive: files in the outbox, messages at the SMTP server.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from agent.states import OutboxState
from tests.conftest import ROOT, SuiteClock
from tests.helpers import smtp_server
from tests.sending import world
from tests.sending.crashing_sender import When, sdr

pytest.importorskip("aiosmtpd", reason="the SMTP tests need aiosmtpd (pip install -e '.[dev]')")


def restart(env: dict[str, str]) -> str:
    """The operator starts `sdr send` again: the real command, in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-m", "agent.cli.app", "send"], env=env, cwd=ROOT, timeout=180, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    return done.stdout


def crash_on_every_origin(ws_env: dict[str, str], ws: world.Workspace, when: When) -> list[int]:
    """Kill a sender on each origin in turn; returns the outbox ids each one left claimed."""
    claimed = []
    for origin in world.in_turn(world.due(ws)):
        assert sdr(ws_env, crash=(origin, when)) == -9, (ws.settings.workspace.parent / "sdr.log").read_text()
        stuck = world.in_state(ws, OutboxState.sending)
        assert [r.origin for r in stuck] == [origin], "one claim, of the message it died on"
        claimed.append(stuck[0].id)
    return claimed


@pytest.mark.parametrize("when", ["before", "after"])
def test_on_the_outbox_folder(tmp_path: Path, suite_clock: SuiteClock, when: When) -> None:
    ws = world.copy(tmp_path, suite_clock)
    due, env = world.due(ws), world.env(ws)
    assert len(world.in_turn(due)) == 5
    crash_on_every_origin(env, ws, when)

    printed = restart(env)
    if when == "after":
        assert "recovered 1 after a crash" in printed  # the last one; the others by the next in the chain
    assert world.deliveries(world.outbox_files(ws)) == Counter({r.id: 1 for r in due})
    assert {r.id for r in world.in_state(ws, OutboxState.sent)} >= {r.id for r in due}
    assert not world.in_state(ws, OutboxState.sending)


@pytest.mark.parametrize("when", ["before", "after"])
def test_on_smtp_an_uncertain_delivery_is_settled_by_a_person(
    tmp_path: Path, suite_clock: SuiteClock, when: When
) -> None:
    ws = world.copy(tmp_path, suite_clock)
    due = world.due(ws)
    with smtp_server() as (mailbox, port):
        env = world.env(ws, smtp_port=port)
        claimed = crash_on_every_origin(env, ws, when)
        restart(env)
        uncertain = world.in_state(ws, OutboxState.uncertain)
        assert sorted(r.id for r in uncertain) == sorted(claimed)  # SMTP cannot say: a person decides
        received = {m["Message-ID"] for m in mailbox.received}
        for row in uncertain:  # as the mail server's log shows
            verdict = "--delivered" if row.message_id in received else "--not-delivered"
            assert sdr(env, "send", "resolve", str(row.id), verdict) == 0
        assert sdr(env) == 0  # those not delivered go now
        assert world.deliveries(mailbox.received) == Counter({r.id: 1 for r in due})
    assert {r.id for r in world.in_state(ws, OutboxState.sent)} >= {r.id for r in due}
    assert not world.in_state(ws, OutboxState.sending) and not world.in_state(ws, OutboxState.uncertain)
