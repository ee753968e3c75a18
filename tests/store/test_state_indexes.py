"""What every round reads whatever it finds is found by an index, not by walking every meeting and
sequence ever kept: the look for bookings a crash left (also made before every meeting request) and
a send round's look for the sequences still running (bench/round_reads.py: 12.0 and 14.7 ms with
100,000 finished, 0.2 and 0.8 ms by the index)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from agent.clock import utcnow
from agent.meetings.booking import recover_bookings
from agent.sending.sender import SendSummary, check_health, plan
from agent.workspace import Workspace
from tests.conftest import make_workspace
from tests.query_plans import query_plans


@pytest.mark.parametrize(
    ("table", "look"),
    [
        ("meetings", lambda ws: recover_bookings(ws)),
        ("enrollments", lambda ws: (check_health(ws, utcnow()), plan(ws, utcnow(), SendSummary()))),
    ],
)
def test_a_rounds_standing_reads_find_their_rows_by_an_index(
    tmp_path: Path, table: str, look: Callable[[Workspace], object]
) -> None:
    ws = make_workspace(tmp_path)
    steps = [step for step in query_plans(ws.store.engine, lambda: look(ws)) if f" {table} " in f"{step} "]
    assert steps and not [step for step in steps if step.startswith("SCAN")], steps
