"""`sdr serve` logs at SDR_LOG_LEVEL, one JSON object per line with SDR_LOG_JSON=1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.helpers import UNSUBSCRIBE_SECRET, free_port


def serve_briefly(tmp_path: Path, **env: str) -> list[str]:
    """Start `sdr serve`, ask for /healthz once, stop it; the lines it wrote to stderr."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "agent.cli.app", "serve", "--port", str(port), "--no-desk"],
        env={**os.environ, "SDR_WORKSPACE": str(tmp_path / "ws"), "SDR_UNSUBSCRIBE_SECRET": UNSUBSCRIBE_SECRET, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    return [line for line in stderr.splitlines() if line.strip()]


def test_json_logs_are_one_object_per_line(tmp_path: Path) -> None:
    lines = serve_briefly(tmp_path, SDR_LOG_JSON="1", SDR_LOG_LEVEL="debug")
    records = [json.loads(line) for line in lines]  # every line is JSON
    assert {"asctime", "level", "name", "message"} <= set(records[0])
    assert any(r["level"] == "WARNING" and "SDR_INBOUND_SECRET is not set" in r["message"] for r in records)
    assert any(r["name"].startswith("uvicorn") and "Uvicorn running" in r["message"] for r in records)


def test_the_log_level_leaves_out_what_is_below_it(tmp_path: Path) -> None:
    lines = serve_briefly(tmp_path, SDR_LOG_LEVEL="WARNING")
    assert lines and all(" INFO " not in line for line in lines)
    assert any(" WARNING agent.server: SDR_INBOUND_SECRET is not set" in line for line in lines)
