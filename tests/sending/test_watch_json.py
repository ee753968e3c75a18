"""`sdr send --watch --json`: a stream a program reads line by line, one JSON object per round."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def test_each_round_is_one_json_object_on_one_line(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "agent.cli.app", "send", "--watch", "--json", "--interval", "0.1"],
        env={**os.environ, "SDR_WORKSPACE": str(tmp_path / "ws")},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    try:
        lines = [process.stdout.readline() for _ in range(3)]
    finally:
        process.terminate()
        process.communicate(timeout=30)
    rounds = [json.loads(line) for line in lines]
    assert all(line.endswith("\n") and line.count("\n") == 1 for line in lines)
    assert all(r["sent"] == [] and "waiting" in r for r in rounds)
