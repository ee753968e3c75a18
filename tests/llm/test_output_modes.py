"""Structured output from the servers people run: the model layer finds the output mode an
endpoint takes, remembers it per endpoint, never retries a refusal, and says so in one line when
nothing works (never a silent fallback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from agent.errors import EndpointUnusable, ModelError
from agent.llm.modes import OutputMode
from agent.status import campaign_status
from agent.store.tables import Campaign, LlmCall
from agent.workspace import Workspace
from tests.llm.conftest import PROMPT, Label, endpoint_workspace
from tests.llm.fake_openai_server import LLAMA_CPP_REFUSAL, Answer, FakeOpenAI, Status


def ask(ws: Workspace) -> Label:
    return ws.llm.ask("echo", Label, prompt=PROMPT, text="hello")


def outcomes(ws: Workspace) -> list[tuple[str, int]]:
    with ws.store.transaction() as session:
        return [(c.outcome, c.attempts) for c in session.scalars(select(LlmCall).order_by(LlmCall.id))]


def remembered(ws: Workspace) -> dict[str, object]:
    known = json.loads((ws.settings.workspace / "model-endpoints.json").read_text())
    return dict(known[f"{ws.llm.handle.endpoint} openai:fake"])


def test_a_server_that_refuses_json_schema_like_llama_cpp_is_asked_with_json_object(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.refuses = {"json_schema": LLAMA_CPP_REFUSAL}
    ws = endpoint_workspace(tmp_path, fake_openai.base_url)
    assert ask(ws).label == "ok"
    assert fake_openai.modes == ["json_schema", "json_object"]  # the 500 was not retried
    sent = fake_openai.requests[1]["response_format"]
    assert sent["type"] == "json_object" and sent["schema"]["required"] == ["label", "score"]
    assert ask(ws).label == "ok" and fake_openai.modes[2:] == ["json_object"]
    assert outcomes(ws) == [("ok", 2), ("ok", 1)]
    assert remembered(ws)["mode"] == "json_object" and "json_schema" in remembered(ws)["refused"]  # type: ignore[operator]

    again = endpoint_workspace(tmp_path, fake_openai.base_url)  # the next command, the same workspace
    assert ask(again).label == "ok" and fake_openai.modes[3:] == ["json_object"]


def test_a_server_without_response_format_is_asked_through_a_tool_call(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    refusal = Status(400, "Unrecognized request argument supplied: response_format")
    fake_openai.refuses = {"json_schema": refusal, "json_object": refusal}
    ws = endpoint_workspace(tmp_path, fake_openai.base_url)
    assert ask(ws) == Label(label="ok", score=1)
    assert fake_openai.modes == ["json_schema", "json_object", "tools"]
    tools = fake_openai.requests[-1]
    assert tools["tool_choice"] == {"type": "function", "function": {"name": "Label"}}
    assert tools["tools"][0]["function"]["parameters"]["required"] == ["label", "score"]


def test_a_server_with_no_structured_output_is_asked_in_words_and_repaired(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.refuses = {
        "json_schema": Status(422, "extra fields not permitted"),
        "json_object": Status(422, "extra fields not permitted"),
        "tools": Status(400, "this model does not support tools"),
    }
    fake_openai.script(Answer("Sure! The label is hello."), Answer('```json\n{"label": "hello", "score": 2}\n```'))
    ws = endpoint_workspace(tmp_path, fake_openai.base_url)
    assert ask(ws) == Label(label="hello", score=2)
    assert fake_openai.modes == ["json_schema", "json_object", "tools", "text", "text"]
    system = fake_openai.requests[3]["messages"][0]["content"]
    assert system.startswith("Label the text.") and '"required": ["label", "score"]' in system
    assert outcomes(ws) == [("repaired", 5)]


def test_an_endpoint_that_refuses_every_mode_is_reported_in_one_line(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.refuses = {mode: LLAMA_CPP_REFUSAL for mode in OutputMode}
    ws = endpoint_workspace(tmp_path, fake_openai.base_url)
    with pytest.raises(EndpointUnusable) as refused:
        ask(ws)
    message = str(refused.value)
    assert "\n" not in message and message.startswith(f"echo: openai:fake at {fake_openai.base_url} refused every way")
    assert "(json_schema, json_object, tools, text: OpenAIAPIError: Error code: 500 - 1 validation error:" in message
    assert len(fake_openai.requests) == 4  # one request per mode, none retried

    with pytest.raises(EndpointUnusable):
        ask(ws)  # known now: no request at all
    assert len(fake_openai.requests) == 4
    assert outcomes(ws) == [("unusable", 4), ("unusable", 0)]


def test_sdr_status_shows_an_unusable_endpoint_until_it_answers(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.refuses = {mode: Status(500, "tool calling and response_format unsupported") for mode in OutputMode}
    ws = endpoint_workspace(tmp_path, fake_openai.base_url)
    with ws.store.transaction() as session:
        campaign = Campaign(name="q4", file_path="q4.yaml", spec={}, spec_hash="x")
        session.add(campaign)
        session.flush()
        subject: dict[str, int | None] = {"campaign_id": campaign.id}
    with pytest.raises(EndpointUnusable):
        ws.llm.ask("echo", Label, prompt=PROMPT, subject=subject, text="hello")
    (report,) = campaign_status(ws).campaigns
    problem = report.model.endpoint_problem
    assert problem is not None and "openai:fake" in problem and "refused every way" in problem
    assert report.model.failed_calls == 1

    fake_openai.refuses = {}  # the server was fixed
    assert ask(endpoint_workspace(tmp_path, fake_openai.base_url)).label == "ok"
    assert campaign_status(ws).campaigns[0].model.endpoint_problem is None


def test_a_remembered_mode_the_server_no_longer_takes_is_found_again(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.refuses = {"json_schema": LLAMA_CPP_REFUSAL}
    ask(endpoint_workspace(tmp_path, fake_openai.base_url))
    fake_openai.refuses = {"json_object": Status(400, "response_format json_object is not supported")}
    ws = endpoint_workspace(tmp_path, fake_openai.base_url)
    assert ask(ws).label == "ok"
    assert fake_openai.modes == ["json_schema", "json_object", "json_object", "json_schema"]
    assert remembered(ws)["mode"] == "json_schema"


def test_a_request_the_working_mode_cannot_take_is_not_retried_and_the_mode_is_kept(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    ws = endpoint_workspace(tmp_path, fake_openai.base_url)
    ask(ws)
    fake_openai.script(Status(400, "This model's maximum context length is 8192 tokens"))
    with pytest.raises(ModelError, match="maximum context length") as failed:
        ask(ws)
    assert not isinstance(failed.value, EndpointUnusable)
    assert ask(ws).label == "ok"
    assert fake_openai.modes == ["json_schema"] * 3


def test_a_refused_key_is_reported_at_once(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.script(Status(401, "Incorrect API key provided"))
    ws = endpoint_workspace(tmp_path, fake_openai.base_url)
    with pytest.raises(EndpointUnusable, match=r"refused the request .*401.*check OPENAI_API_KEY"):
        ask(ws)
    assert len(fake_openai.requests) == 1


def test_a_pinned_mode_is_the_only_one_asked(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    ws = endpoint_workspace(tmp_path, fake_openai.base_url, llm_output_mode="tools")
    assert ask(ws).label == "ok" and fake_openai.modes == ["tools"]
