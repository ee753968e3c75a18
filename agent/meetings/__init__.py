"""Meetings: book qualified prospects into real AE calendars, move and cancel them, never twice.

`handle_meeting_request(ws, contact_id, text, received_at, *, handoff_note=None)` is what reply
handling calls when a prospect asks for a meeting (or to move or cancel one) and returns a
`MeetingOutcome`; `decide` is the deterministic booking decision.

Names are loaded on first use: `agent.campaign` imports `agent.meetings.spec`, and the booking
code imports `agent.campaign`, so this package must not import it eagerly.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.meetings.booking import EventView, MeetingOutcome, MessageView
    from agent.meetings.decide import Decision, decide
    from agent.meetings.requests import handle_meeting_request, recover_bookings

_WHERE = {
    "EventView": "booking",
    "MeetingOutcome": "booking",
    "MessageView": "booking",
    "Decision": "decide",
    "decide": "decide",
    "handle_meeting_request": "requests",
    "recover_bookings": "requests",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'agent.meetings' has no attribute {name!r}")
    return getattr(import_module(f"agent.meetings.{_WHERE[name]}"), name)


__all__ = [
    "Decision",
    "EventView",
    "MeetingOutcome",
    "MessageView",
    "decide",
    "handle_meeting_request",
    "recover_bookings",
]
