"""What every round reads whatever it finds is found by an index, not by walking every meeting and
sequence ever kept: the look for bookings a crash left (also made before every meeting request) and
a send round's look for the sequences still running (bench/round_reads.py: 12.0 and 14.7 ms with
100,000 finished, 0.2 and 0.8 ms by the index)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from agent.clock import utcnow
from agent.meetings.booking import recover_bookings
from agent.sending.sender import SendSummary, check_health, plan
from agent.workspace import Workspace
from tests.conftest import make_workspace


def _plans(ws: Workspace, look: Callable[[], object]) -> list[str]:
    statements: list[tuple[str, Any]] = []

    def keep(_conn: object, _cursor: object, sql: str, params: Any, *_: object) -> None:
        statements.append((sql, params))

    event.listen(ws.store.engine, "before_cursor_execute", keep)
    look()
    event.remove(ws.store.engine, "before_cursor_execute", keep)
    with ws.store.engine.connect() as connection:
        return [
            str(row[-1])
            for sql, params in statements
            for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
        ]


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
    steps = [step for step in _plans(ws, lambda: look(ws)) if f" {table} " in f"{step} "]
    assert steps and not [step for step in steps if step.startswith("SCAN")], steps
