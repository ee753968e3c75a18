"""With `SDR_CHROMA_URL` set, the index lives in a Chroma server: a real one, on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agent.calls.index import call_index
from agent.calls.ingest import ingest
from agent.calls.retrieve import find_snippets
from agent.errors import ConfigError
from agent.settings import load_settings
from agent.workspace import Workspace
from tests.helpers import free_port

FIXTURES = Path(__file__).parent / "fixtures"
CHROMA = Path(sys.executable).parent / "chroma"


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    if not CHROMA.exists():
        pytest.skip("the chroma command is not installed beside this Python")
    port = free_port()
    server = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/api/v2/heartbeat", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("the Chroma server did not start")
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_ingest_and_search_through_a_chroma_server(chroma_url: str, tmp_path: Path) -> None:
    ws = Workspace(load_settings(workspace=tmp_path / "ws", chroma_url=chroma_url))
    report = ingest(ws.settings, FIXTURES)
    assert report.calls_added == 4 and not (tmp_path / "ws" / "chroma").exists()
    assert call_index(ws.settings).count() == report.moments_added
    snippets = find_snippets(ws, "we already have a yard module in our WMS", industry="Third-Party Logistics")
    assert snippets and snippets[0].call_id == "fx-3pl-objection"
    assert ingest(ws.settings, FIXTURES).moments_added == 0


def test_a_chroma_url_that_does_not_answer_is_a_config_error(tmp_path: Path) -> None:
    settings = load_settings(workspace=tmp_path / "ws", chroma_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ConfigError, match="SDR_CHROMA_URL"):
        call_index(settings)
