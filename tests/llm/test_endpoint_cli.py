"""An endpoint that cannot serve, as the operator meets it: `sdr eval` stops with one line instead
of scoring the template fallback, and `sdr status` shows it under the model usage."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.errors import EndpointUnusable
from agent.llm.modes import OutputMode
from agent.prompts import parse_prompt
from agent.store.tables import Campaign
from tests.conftest import EXAMPLES
from tests.llm.conftest import FAST, endpoint_workspace
from tests.llm.fake_openai_server import LLAMA_CPP_REFUSAL, FakeOpenAI
from tests.llm.test_output_modes import Label

PROMPT = parse_prompt(
    "echo", "---\nname: echo\nversion: 1\ndescription: t\nvariables: [text]\n---\n# system\nJSON.\n# user\n{{ text }}\n"
)


def sdr(*args: str, workspace: Path, base_url: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SDR_WORKSPACE": str(workspace),
        "SDR_SOURCES_DIR": str(EXAMPLES / "sources"),
        "OPENAI_BASE_URL": base_url,
        "COLUMNS": "1000",  # no display wrapping: the error is one line
        **{f"SDR_{name.upper()}": str(value) for name, value in FAST.items()},
    }
    return subprocess.run(
        [sys.executable, "-m", "agent.cli.app", *args],
        env=env,
        cwd=workspace.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_eval_against_an_endpoint_that_never_worked_says_so_instead_of_scoring_templates(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.refuses = {mode: LLAMA_CPP_REFUSAL for mode in OutputMode}
    result = sdr(
        "eval", "drafting", "--model", "openai:fake", "--case", "d01", "--no-cache", "--baselines", str(tmp_path / "b"),
        workspace=tmp_path / "ws", base_url=fake_openai.base_url,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert f"openai:fake at {fake_openai.base_url} refused every way of asking for JSON" in line
    assert line.startswith("error ") and "json_schema, json_object, tools, text: " in line
    assert "model_written" not in result.stdout  # no scores of a model that never answered
    assert len(fake_openai.requests) == len(OutputMode)


def test_sdr_status_shows_the_endpoint_problem_under_the_model_usage(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.refuses = {mode: LLAMA_CPP_REFUSAL for mode in OutputMode}
    ws = endpoint_workspace(tmp_path, fake_openai.base_url)
    with ws.store.transaction() as session:
        session.add(Campaign(name="q4", file_path="q4.yaml", spec={}, spec_hash="x"))
    with pytest.raises(EndpointUnusable):
        ws.llm.ask("echo", Label, prompt=PROMPT, text="hi")
    result = sdr("status", workspace=tmp_path / "ws", base_url=fake_openai.base_url)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    usage = next(n for n, line in enumerate(lines) if "model calls" in line)
    assert "model endpoint" in lines[usage + 1] and "cannot serve" in lines[usage + 1]
