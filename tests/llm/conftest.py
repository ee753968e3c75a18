"""A fault-injecting OpenAI-compatible server on 127.0.0.1, and workspaces whose model is it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from agent.prompts import parse_prompt
from agent.settings import load_settings
from agent.workspace import Workspace
from tests.llm.fake_openai_server import FakeOpenAI, serving

# Small bounds, so that faults cost tenths of a second: the client gives up on a silent server
# after 0.5 s, backs off from 10 ms, and spends at most 5 s retrying one request.
FAST = {"llm_timeout_seconds": 0.5, "llm_backoff_seconds": 0.01, "llm_max_wait_seconds": 5.0}


# A one-variable task both endpoint test files ask.
PROMPT = parse_prompt(
    "echo",
    "---\nname: echo\nversion: 1\ndescription: test\nvariables: [text]\n---\n"
    "# system\nLabel the text. Answer in JSON.\n# user\n{{ text }}\n",
)


class Label(BaseModel):
    label: str
    score: int


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with serving(FakeOpenAI()) as server:
        yield server


def endpoint_workspace(tmp_path: Path, base_url: str, **settings: Any) -> Workspace:
    """A workspace whose model is the OpenAI-compatible endpoint at `base_url`, through the real
    client (langchain-openai over HTTP)."""
    return Workspace(
        load_settings(
            **{
                "workspace": tmp_path / "ws",
                "model": "openai:fake",
                "openai_base_url": base_url,
                "research_with_model": False,
                **FAST,
                **settings,
            }
        )
    )
