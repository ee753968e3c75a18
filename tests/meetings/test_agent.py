"""The tool-calling agent: only for answers the rules cannot read, only with a capable model, bounded."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage
from sqlalchemy import select

from agent.llm import scripted_handle
from agent.meetings.assistant import MAX_STEPS
from agent.meetings.requests import handle_meeting_request
from agent.meetings.tables import Meeting
from agent.store.tables import LlmCall
from agent.workspace import Workspace
from tests.conftest import make_workspace
from tests.meetings.conftest import MONDAY, Setup, campaign_spec, enroll

# "the day after their offsite" and British "half ten" are beyond the rules (a spelled "fifteenth" is not).
UNREADABLE = "Once the board wraps up, the day after their offsite, say half ten, I'm all yours."
LA = ZoneInfo("America/Los_Angeles")


class ToolChat(FakeMessagesListChatModel):
    """A scripted chat model that accepts tools, as a real one does."""

    bound: list[Any] = []  # noqa: RUF012

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        self.bound.append([t.name for t in tools])
        return self


def call(name: str, n: int = 0, **args: Any) -> AIMessage:
    return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": f"call-{name}-{n}"}])


def workspace_with(tmp_path: Any, *answers: AIMessage, writer: bool = True) -> tuple[Setup, ToolChat]:
    chat = ToolChat(responses=list(answers), bound=[])
    ws: Workspace = make_workspace(tmp_path, model=scripted_handle(chat, "fake:tools", writer=writer))
    spec = campaign_spec()
    return Setup(ws, spec, enroll(ws, spec)), chat


def test_the_agent_books_what_the_rules_could_not_read(tmp_path: Any) -> None:
    start = datetime(2026, 12, 15, 10, 30, tzinfo=LA).isoformat()
    setup, chat = workspace_with(
        tmp_path,
        call("lookup_lead"),
        call("find_slots", not_before="2026-12-15"),
        call("book", start=start, quote="the day after their offsite, say half ten"),
        AIMessage(content="Booked."),
    )
    outcome = handle_meeting_request(setup.ws, setup.contacts["dana@reno.example"], UNREADABLE, MONDAY, now=MONDAY)
    assert outcome.kind == "booked" and outcome.made_by == "model:fake:tools"
    assert outcome.event.start == datetime.fromisoformat(start)
    assert chat.bound == [["lookup_lead", "find_slots", "book", "reschedule", "cancel"]]
    with setup.ws.store.transaction() as session:
        (record,) = session.scalars(select(LlmCall).where(LlmCall.task == "booking_agent")).all()
        assert record.attempts == 3 and record.outcome == "ok"


def test_a_time_the_prospect_never_wrote_is_refused_and_the_rules_offer_times(tmp_path: Any) -> None:
    invented = datetime(2026, 12, 2, 9, 0, tzinfo=LA).isoformat()
    setup, _ = workspace_with(
        tmp_path,
        call("book", start=invented, quote="Wednesday at 9"),  # not in the message
        call("book", n=1, start="not a time", quote="the day after their offsite"),  # invalid arguments
        AIMessage(content="I could not book."),
    )
    outcome = handle_meeting_request(setup.ws, setup.contacts["dana@reno.example"], UNREADABLE, MONDAY, now=MONDAY)
    assert outcome.kind == "offered" and outcome.made_by == "rules"
    with setup.ws.store.transaction() as session:
        assert session.scalars(select(Meeting)).all() == []


def test_a_busy_time_is_refused_even_when_quoted(tmp_path: Any) -> None:
    saturday = datetime(2026, 12, 12, 10, 30, tzinfo=LA).isoformat()
    setup, _ = workspace_with(tmp_path, call("book", start=saturday, quote="say half ten"), AIMessage(content="ok"))
    outcome = handle_meeting_request(setup.ws, setup.contacts["dana@reno.example"], UNREADABLE, MONDAY, now=MONDAY)
    assert outcome.kind == "offered"


def test_the_agent_stops_after_the_step_limit(tmp_path: Any) -> None:
    setup, chat = workspace_with(tmp_path, *[call("find_slots", n) for n in range(MAX_STEPS + 5)])
    outcome = handle_meeting_request(setup.ws, setup.contacts["dana@reno.example"], UNREADABLE, MONDAY, now=MONDAY)
    assert outcome.kind == "offered"
    assert chat.i == MAX_STEPS  # turns taken


def test_the_agent_is_not_asked_when_the_rules_read_the_answer_or_the_model_is_weak(tmp_path: Any) -> None:
    setup, chat = workspace_with(tmp_path, call("cancel", quote="x"))
    outcome = handle_meeting_request(
        setup.ws, setup.contacts["dana@reno.example"], "Tuesday 10:30 PT works", MONDAY, now=MONDAY
    )
    assert outcome.kind == "booked" and chat.bound == []

    weak, weak_chat = workspace_with(tmp_path / "weak", call("book", start="x", quote="x"), writer=False)
    outcome = handle_meeting_request(weak.ws, weak.contacts["dana@reno.example"], UNREADABLE, MONDAY, now=MONDAY)
    assert outcome.kind == "offered" and weak_chat.bound == []
