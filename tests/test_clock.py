"""One clock: the agent reads time only from `agent.clock`, which tests, replays and child
processes can set; nothing reads the machine's calendar behind its back."""

from __future__ import annotations

import ast
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent import clock
from agent.errors import UserError
from tests.conftest import ROOT, SUITE_NOW, SuiteClock

# Calls that read the machine's calendar. Durations (time.monotonic, time.perf_counter) are fine.
CALENDAR_READS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "localtime"),
    ("time", "gmtime"),
    ("time", "ctime"),
    ("utils", "formatdate"),
    ("email.utils", "formatdate"),
}
THE_ONE_SOURCE = ROOT / "agent" / "clock.py"


def _calendar_reads(source: str, name: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source, name)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = ast.unparse(node.func.value).split(".")[-1]
            if (owner, node.func.attr) in CALENDAR_READS:
                found.append(f"{name}:{node.lineno}: {ast.unparse(node.func)}()")
        if isinstance(node, ast.ImportFrom) and node.module in ("time", "email.utils"):
            for alias in node.names:
                if (node.module.split(".")[-1], alias.name) in CALENDAR_READS:
                    found.append(f"{name}:{node.lineno}: from {node.module} import {alias.name}")
    return found


def test_nothing_but_the_clock_reads_the_machines_calendar() -> None:
    sources = [p for folder in ("agent", "tools", "evals", "bench") for p in (ROOT / folder).rglob("*.py")]
    reads = [
        read
        for path in sources
        if path != THE_ONE_SOURCE
        for read in _calendar_reads(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert reads == [], "read the time from agent.clock instead:\n" + "\n".join(reads)


def test_the_check_would_catch_a_calendar_read() -> None:
    sneaky = "import datetime\nfrom time import time\nx = datetime.datetime.now()\ny = date.today()\n"
    assert len(_calendar_reads(sneaky, "sneaky.py")) == 3


def test_a_test_runs_on_the_suite_clock_and_can_move_it(suite_clock: SuiteClock) -> None:
    assert clock.now() == SUITE_NOW and clock.utcnow() == SUITE_NOW.replace(tzinfo=None)
    suite_clock.advance(timedelta(days=3))
    assert clock.today() == (SUITE_NOW + timedelta(days=3)).date()


def test_a_child_process_reads_the_same_time(suite_clock: SuiteClock) -> None:
    suite_clock.advance(timedelta(hours=5))
    child = subprocess.run(
        [sys.executable, "-c", "from agent import clock; print(clock.now().isoformat())"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert datetime.fromisoformat(child.stdout.strip()) == clock.now()


@pytest.mark.parametrize(
    ("setting", "kind"),
    [
        ("system", clock.SystemClock),
        ("fixed:2027-03-14T09:30:00Z", clock.FixedClock),
        ("from:2027-03-14T02:30:00-07:00", clock.RunningClock),
    ],
)
def test_the_setting_names_the_clock(setting: str, kind: type) -> None:
    made = clock.clock_from_setting(setting)
    assert isinstance(made, kind)
    if kind is not clock.SystemClock:
        assert made.now() - datetime(2027, 3, 14, 9, 30, tzinfo=UTC) < timedelta(seconds=5)


@pytest.mark.parametrize("setting", ["fixed", "fixed:", "tomorrow", "from:next tuesday", "system:now"])
def test_a_bad_setting_is_one_clear_line(setting: str) -> None:
    with pytest.raises(UserError, match=r"SDR_CLOCK=.* is not a clock: use system, fixed:<time> or from:<time>"):
        clock.clock_from_setting(setting)


def test_a_bad_setting_stops_the_cli_with_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "agent.cli.app", "status"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"SDR_CLOCK": "yesterday", "SDR_WORKSPACE": str(tmp_path / "ws"), "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "SDR_CLOCK='yesterday' is not a clock" in done.stderr
