"""llama-cpp-python's own OpenAI-compatible server (`python -m llama_cpp.server`) with the packaged
SmolLM2 GGUF, on 127.0.0.1: it refuses `response_format` of type `json_schema` (a 500) and
takes `json_object` with a schema. The model layer finds that out once, without retrying the
500, and asks the right way from then on, in this command and the next.

Marked `model`: it runs the real model (two short answers).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import BaseModel, Field
from sqlalchemy import select

from agent.llm import build_model
from agent.llm.local import LlamaCppChat
from agent.prompts import parse_prompt
from agent.settings import load_settings
from agent.store.tables import LlmCall
from tests.llm.conftest import endpoint_workspace

PROMPT = parse_prompt(
    "label",
    "---\nname: label\nversion: 1\ndescription: test\nvariables: [text]\n---\n"
    "# system\nGive the text a one-word label and a score from 1 to 5. Answer in JSON.\n# user\n{{ text }}\n",
)


class Label(BaseModel):
    label: str
    score: int = Field(ge=0)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    embedded = build_model(load_settings(model="local:smollm2")).chat
    assert isinstance(embedded, LlamaCppChat)
    gguf = embedded.model_path
    port = _free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"  # a file: llama.cpp logs a lot
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1",
             "--port", str(port), "--n_ctx", "1024", "--n_threads", "2", "--seed", "0"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert server.poll() is None, log.read_text()[-2000:]
            try:
                if httpx.get(f"{base_url}/models", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        else:
            pytest.fail("llama_cpp.server did not start in 90 s")
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.model
def test_llama_cpp_server_is_asked_with_json_object_after_one_refusal(llama_server: str, tmp_path: Path) -> None:
    settings = {"llm_timeout_seconds": 120.0, "llm_max_wait_seconds": 120.0}
    ws = endpoint_workspace(tmp_path, llama_server, **settings)
    first = ws.llm.bounded(24).ask("label", Label, prompt=PROMPT, text="Our invoices are late every month.")
    assert isinstance(first, Label)

    known = json.loads((tmp_path / "ws" / "model-endpoints.json").read_text())[f"{llama_server} openai:fake"]
    assert known["mode"] == "json_object"
    assert "500 - 1 validation error" in known["refused"]["json_schema"]
    assert "Input should be 'text' or 'json_object'" in known["refused"]["json_schema"]

    again = endpoint_workspace(tmp_path, llama_server, **settings)  # the next command: no refusal again
    again.llm.bounded(24).ask("label", Label, prompt=PROMPT, text="Please call me next week.")
    with ws.store.transaction() as session:
        calls = session.scalars(select(LlmCall).order_by(LlmCall.id)).all()
        # one request refused (never retried), one answered; then one answered
        assert [(c.outcome, c.attempts) for c in calls] == [("ok", 2), ("ok", 1)]
        assert all(c.tokens_in > 0 and c.tokens_out > 0 for c in calls)
