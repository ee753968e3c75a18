"""A real `sdr send` killed (SIGKILL) just before and just after the transport accepted a message of
each origin, then restarted: nothing is sent twice, nothing is lost, nothing stays in `sending`.

Each killed process is the restart of the one killed before it: a chain of ten processes dies once
before and once after delivering a message of every origin (sequence steps, answers to replies,
meeting emails, inbound answers, notes to the team); then the real command, in a fresh interpreter,
finishes the work. On the outbox folder a restart asks the transport what it holds; SMTP cannot
say, so the message becomes `uncertain` and a person settles it with `sdr send resolve` from what
the mail server received. Deliveries are counted where they arrive: files, or the SMTP server.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import get_args

import pytest
from typer.testing import CliRunner

from agent.cli.app import app
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


def crash_on_every_origin(env: dict[str, str], ws: world.Workspace, delivered: Callable[[str], bool]) -> list[int]:
    """Kill senders until one died just before, and one just after, the transport took a message of
    each origin (each process dies at the first message of an origin still to crash on); returns the
    outbox ids the killed senders left claimed. `delivered`: whether the transport holds a Message-ID."""
    to_crash = {(origin, when) for origin in world.origins(world.due(ws)) for when in get_args(When)}
    assert len(to_crash) == 10
    claimed = []
    while to_crash:
        assert sdr(env, crash=frozenset(to_crash)) == -9, f"{to_crash} left: {world.log(ws)}"
        [stuck] = world.in_state(ws, OutboxState.sending)  # one claim: the message it died on
        claimed.append(stuck.id)
        to_crash.remove((stuck.origin, "after" if delivered(stuck.message_id or "") else "before"))
    return claimed


def test_on_the_outbox_folder(tmp_path: Path, suite_clock: SuiteClock) -> None:
    ws = world.copy(tmp_path, suite_clock)
    due, env = world.due(ws), world.env(ws)
    assert len(world.origins(due)) == 5
    crash_on_every_origin(env, ws, lambda message_id: ws.transports["email"].confirm(message_id) is True)

    assert "recovered 1 after a crash" in restart(env)  # the last one; the others by the next in the chain
    assert world.deliveries(world.outbox_files(ws)) == Counter({r.id: 1 for r in due})
    assert {r.id for r in world.in_state(ws, OutboxState.sent)} >= {r.id for r in due}
    assert not world.in_state(ws, OutboxState.sending)


def test_on_smtp_an_uncertain_delivery_is_settled_by_a_person(tmp_path: Path, suite_clock: SuiteClock) -> None:
    ws = world.copy(tmp_path, suite_clock)
    due = world.due(ws)
    with smtp_server() as (mailbox, port):
        env = world.env(ws, smtp_port=port)
        claimed = crash_on_every_origin(env, ws, lambda message_id: message_id in world.message_ids(mailbox))
        restart(env)
        uncertain = world.in_state(ws, OutboxState.uncertain)
        assert sorted(r.id for r in uncertain) == sorted(claimed)  # SMTP cannot say: a person decides
        for row in uncertain:  # as the mail server's log shows
            verdict = "--delivered" if row.message_id in world.message_ids(mailbox) else "--not-delivered"
            resolved = CliRunner().invoke(app, ["send", "resolve", str(row.id), verdict], env=env)
            assert resolved.exit_code == 0, resolved.output
        assert sdr(env) == 0  # those not delivered go now
        assert world.deliveries(mailbox.received) == Counter({r.id: 1 for r in due})
    assert {r.id for r in world.in_state(ws, OutboxState.sent)} >= {r.id for r in due}
    assert not world.in_state(ws, OutboxState.sending) and not world.in_state(ws, OutboxState.uncertain)
