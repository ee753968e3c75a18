"""Shared fixtures: a workspace in a temporary folder, scripted models, a small campaign.

No test reaches a network by accident: sockets may only connect to loopback. No test reads the
machine's calendar: the agent's clock stands still at `SUITE_NOW` for every test (and for the
processes a test starts), whatever the date; `SDR_TEST_CLOCK` moves it for a whole run.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from agent import clock
from agent.llm import ModelHandle, scripted_handle
from agent.settings import load_settings
from agent.workspace import Workspace
from tests.postgres_server import postgres, postgres_url  # noqa: F401 (fixtures: a live PostgreSQL for any test)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
FIXTURES = Path(__file__).parent / "fixtures"

# A Tuesday, 07:00 in Los Angeles and 10:00 in New York.
SUITE_NOW = clock.aware(datetime.fromisoformat(os.environ.get("SDR_TEST_CLOCK", "2026-11-24T15:00:00+00:00")))


class SuiteClock(clock.FixedClock):
    """The agent's clock in a test: it stands still unless the test moves it, and the processes
    the test starts read the same time (`SDR_CLOCK` follows it)."""

    def set(self, at: datetime) -> None:
        super().set(at)
        os.environ[clock.SETTING] = clock.as_setting(self.at)

    def advance(self, delta: timedelta) -> None:
        self.set(self.at + delta)


@pytest.fixture(autouse=True)
def suite_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[SuiteClock]:
    monkeypatch.setenv(clock.SETTING, clock.as_setting(SUITE_NOW))
    with clock.using(SuiteClock(SUITE_NOW)) as frozen:
        assert isinstance(frozen, SuiteClock)
        yield frozen


_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: Any) -> Any:
    host = address[0] if isinstance(address, tuple) else address
    if (
        isinstance(host, str)
        and not (host.startswith("127.") or host in ("localhost", "::1"))
        and self.family in (socket.AF_INET, socket.AF_INET6)
    ):
        raise RuntimeError(f"tests may not reach the network ({host})")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)


@pytest.fixture(scope="session")
def shared_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One models folder for the run: the reply classifier trains once (about 30 s), not in every
    workspace a test makes, nor in every process a test starts."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, shared_models: Path) -> None:
    for name in (
        "SDR_MODEL",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "SDR_OPENAI_API_KEY",
        "SDR_OPENAI_BASE_URL",
        "SDR_SOURCES_DIR",
        "SDR_MAIL_TRANSPORT",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SDR_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.setenv("SDR_MODELS_DIR", str(shared_models))
    monkeypatch.chdir(tmp_path)  # no stray .env from the checkout


def scripted(*answers: Any, writer: bool = False) -> ModelHandle:
    """A model that gives these answers in order (dicts are sent as JSON)."""
    texts = [a if isinstance(a, str) else json.dumps(a) for a in answers]
    return scripted_handle(FakeListChatModel(responses=texts), writer=writer)


def make_workspace(tmp_path: Path, model: ModelHandle | None = None, **settings: Any) -> Workspace:
    defaults: dict[str, Any] = {
        "workspace": tmp_path / "ws",
        "research_with_model": False,
        "sources_dir_setting": EXAMPLES / "sources",
    }
    return Workspace(load_settings(**{**defaults, **settings}), model=model or scripted())


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    yield make_workspace(tmp_path)


@pytest.fixture
def campaign_file() -> Path:
    return EXAMPLES / "campaign.yaml"


class FunctionChat(BaseChatModel):
    """A chat model whose answer is computed from the messages (like pydantic-ai's FunctionModel)."""

    fn: Any
    calls: list[list[Any]] = []  # noqa: RUF012

    @property
    def _llm_type(self) -> str:
        return "function"

    def _generate(self, messages: list[Any], stop: Any = None, run_manager: Any = None, **kwargs: Any) -> ChatResult:
        self.calls.append(messages)
        answer = self.fn(messages)
        text = answer if isinstance(answer, str) else json.dumps(answer)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])


def function_model(fn: Any, *, writer: bool = True) -> tuple[ModelHandle, FunctionChat]:
    chat = FunctionChat(fn=fn, calls=[])
    return scripted_handle(chat, "function:test", writer=writer), chat
