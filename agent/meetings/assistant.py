"""The tool-calling booking agent, for the answers the rules cannot read.

The deterministic path (`decide`) carries every answer it can read; this agent is consulted
only when it found no time at all and the model is capable (`capable_writer`): the tiny
embedded model is never asked. The agent gets only this task's tools (look up the lead, find
slots, book, reschedule, cancel), each with validated arguments; a booking tool refuses a time
the prospect's words do not contain (`quote`) or the calendar does not allow (rule B3), and
the act itself is the caller's (`Act`): in production the same `Booker` as the rules, with the
same concurrency control; in the evaluation a recorder. At most `MAX_STEPS` model turns, and
at most one act.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.tools import StructuredTool
from pydantic import BaseModel, Field, ValidationError, field_validator

from agent.errors import ModelError
from agent.llm import LLM, CallRecord
from agent.meetings.availability import Rules, free_slots, why_not
from agent.meetings.letters import when
from agent.prompts import load_prompt
from tools.calendar.base import Busy

MAX_STEPS = 6


class _Quoted(BaseModel):
    quote: str = Field(min_length=2, description="The prospect's exact words that ask for this.")


class _At(_Quoted):
    start: datetime = Field(description="ISO 8601 start with a UTC offset, e.g. 2026-12-03T14:00:00-06:00")

    @field_validator("start")
    @classmethod
    def _offset(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("give the start with its UTC offset")
        return value


class _Slots(BaseModel):
    not_before: date | None = Field(default=None, description="First day to look at (the prospect's date), if any.")


class _Nothing(BaseModel):
    pass


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower().replace("’", "'")).strip()


Act = Callable[[str, datetime | None, str], str]
"""Perform `book`, `reschedule` or `cancel` (start, the prospect's quote); returns what happened, in words."""


@dataclass
class Context:
    """What the agent may see and check: one request, the AE's rules and calendar as read."""

    text: str
    now: datetime
    said_at: datetime
    prospect_tz: str
    prospect: dict[str, Any]  # name, title, account
    ae_name: str
    rules: Rules
    busy: list[Busy]
    existing: datetime | None
    offered: list[datetime]
    horizon_days: int = 14


class Tools:
    """The task's tools, bound to one request; at most one act."""

    def __init__(self, ctx: Context, act: Act) -> None:
        self.ctx, self._act = ctx, act
        self.acted: str | None = None

    def _refusal(self, quote: str, start: datetime | None) -> str | None:
        if self.acted is not None:
            return "refused: this request has been acted on already"
        if _normal(quote) not in _normal(self.ctx.text):
            return f"refused: {quote!r} is not in the prospect's message; quote their exact words"
        if start is not None:
            busy = [b for b in self.ctx.busy if b.start != self.ctx.existing]
            if reason := why_not(start, self.ctx.rules, busy, self.ctx.now):
                return f"not bookable: {reason}"
        return None

    def _do(self, kind: str, start: datetime | None, quote: str) -> str:
        if refusal := self._refusal(quote, start):
            return refusal
        self.acted = kind
        return self._act(kind, start, quote)

    def lookup_lead(self) -> str:
        ctx = self.ctx
        return json.dumps({
            **ctx.prospect, "timezone": ctx.prospect_tz, "account_executive": ctx.ae_name, "ae_timezone": ctx.rules.tz,
            "meeting_minutes": int(ctx.rules.meeting.total_seconds() // 60),
            "existing_meeting": ctx.existing.isoformat() if ctx.existing else None,
            "offered": [s.isoformat() for s in ctx.offered],
        })  # fmt: skip

    def find_slots(self, not_before: date | None = None) -> str:
        ctx = self.ctx
        start = datetime.combine(not_before, datetime.min.time(), tzinfo=ctx.rules.zone) if not_before else None
        slots = free_slots(ctx.rules, ctx.busy, ctx.now, count=6, horizon_days=ctx.horizon_days + 14,
                           prospect_tz=ctx.prospect_tz, not_before=start)  # fmt: skip
        return json.dumps([s.astimezone(ctx.rules.zone).isoformat() for s in slots])

    def book(self, start: datetime, quote: str) -> str:
        if self.ctx.existing is not None:
            return "refused: the prospect has a meeting already; use reschedule"
        return self._do("book", start, quote)

    def reschedule(self, start: datetime, quote: str) -> str:
        if self.ctx.existing is None:
            return "refused: there is no meeting to move; use book"
        return self._do("reschedule", start, quote)

    def cancel(self, quote: str) -> str:
        if self.ctx.existing is None:
            return "refused: there is no meeting to cancel"
        return self._do("cancel", None, quote)

    def all(self) -> list[StructuredTool]:
        def tool(name: str, schema: type[BaseModel], description: str) -> StructuredTool:
            return StructuredTool.from_function(getattr(self, name), name=name, description=description,
                                                args_schema=schema)  # fmt: skip

        return [
            tool("lookup_lead", _Nothing, "The prospect, their account executive, meeting and offered slots."),
            tool("find_slots", _Slots, "Free start times on the account executive's calendar (ISO 8601)."),
            tool("book", _At, "Book a meeting at `start`; `quote` is the prospect's words asking for that time."),
            tool("reschedule", _At, "Move the existing meeting to `start`; `quote` is the prospect's words."),
            tool("cancel", _Quoted, "Cancel the existing meeting; `quote` is the prospect's words asking for it."),
        ]


def consult(llm: LLM, ctx: Context, act: Act, subject: dict[str, int | None]) -> str | None:
    """Run the agent; the kind of act it performed (book, reschedule, cancel), or None."""
    tools = Tools(ctx, act)
    by_name = {t.name: t for t in tools.all()}
    prompt = load_prompt("booking_agent")
    zone = ZoneInfo(ctx.prospect_tz)
    messages: list[BaseMessage] = prompt.render(
        today=f"{ctx.said_at.astimezone(zone):%A %Y-%m-%d}", prospect_tz=ctx.prospect_tz, ae_name=ctx.ae_name,
        ae_tz=ctx.rules.tz, existing=when(ctx.existing, ctx.prospect_tz) if ctx.existing else "",
        offered=", ".join(f"{n}. {when(s, ctx.prospect_tz)}" for n, s in enumerate(ctx.offered, 1)), message=ctx.text,
    )  # fmt: skip
    chat = llm.handle.chat.bind_tools(list(by_name.values()))
    record = CallRecord("booking_agent", llm.name, prompt.version_tag, subject=subject)
    started = time.perf_counter()
    try:
        for _ in range(MAX_STEPS):
            record.attempts += 1
            answer = chat.invoke(messages)
            if not isinstance(answer, AIMessage):
                raise ModelError(f"booking_agent: {llm.name} answered with a {type(answer).__name__}")
            usage: dict[str, Any] = dict(answer.usage_metadata or {})
            record.tokens_in += usage.get("input_tokens", 0)
            record.tokens_out += usage.get("output_tokens", 0)
            messages.append(answer)
            if not answer.tool_calls:
                break
            for call in answer.tool_calls:
                messages.append(ToolMessage(_run(by_name, call), tool_call_id=call["id"] or call["name"]))
            if tools.acted is not None:
                break
        record.outcome = "ok"
    except Exception as exc:
        record.error = f"{type(exc).__name__}: {exc}"[:500]
        raise
    finally:
        record.latency_ms = int((time.perf_counter() - started) * 1000)
        if llm.recorder:
            llm.recorder(record)
    return tools.acted


def _run(tools: dict[str, StructuredTool], call: Any) -> str:
    tool = tools.get(call["name"])
    if tool is None:
        return f"error: no tool {call['name']!r} (tools: {', '.join(tools)})"
    try:
        return str(tool.invoke(call["args"]))
    except ValidationError as exc:
        return f"error: invalid arguments: {exc.errors(include_url=False)}"
