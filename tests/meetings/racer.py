"""Run in a separate process: handle one prospect's meeting request, report the outcome kind."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from agent.meetings.requests import handle_meeting_request
from agent.settings import load_settings
from agent.workspace import Workspace


def request(workspace: str, contact_id: int, text: str, at: str, barrier: Any, results: Any) -> None:
    ws = Workspace(load_settings(workspace=Path(workspace)))
    barrier.wait(timeout=60)
    moment = datetime.fromisoformat(at)
    outcome = handle_meeting_request(ws, contact_id, text, moment, now=moment)
    results.put((contact_id, outcome.kind))
