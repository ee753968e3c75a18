"""Two workers researching one account at the same moment (two inbound leads from one company) both
get its brief: sources and briefs are written with INSERT ... ON CONFLICT DO NOTHING, so neither
fails on the unique keys. Found by the kill test, where one of two leads from one account went to a
person with "UNIQUE constraint failed: sources.account_id, sources.content_hash"."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from agent.research import researcher
from agent.store.tables import Brief, Source
from agent.workspace import Workspace
from tests.conftest import make_workspace
from tests.helpers import account, import_demo

WORKERS = 4


def _together(tools: dict[str, Callable[..., Any]], barrier: threading.Barrier) -> dict[str, Callable[..., Any]]:
    """The source tools, except that every worker waits for the others before storing what it found."""

    def gather(*args: Any) -> list[Any]:
        docs = [doc for tool in tools.values() for doc in tool(*args)]
        barrier.wait(timeout=30)
        return docs

    return {"all": gather}


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_workers_researching_one_account_at_once_all_get_its_brief(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store: str, request: pytest.FixtureRequest
) -> None:
    settings = {"database_url": request.getfixturevalue("postgres_url")} if store == "postgresql" else {}
    ws: Workspace = make_workspace(tmp_path, **settings)
    import_demo(ws, tmp_path, ["reno-freight.example"])
    account_id = account(ws, "reno-freight.example").id
    tools = researcher.source_tools()
    barrier = threading.Barrier(WORKERS)
    monkeypatch.setattr(researcher, "source_tools", lambda: _together(tools, barrier))
    with ThreadPoolExecutor(WORKERS) as pool:
        briefs = list(pool.map(lambda _: researcher.research_account(ws, account_id)[0], range(WORKERS)))
    assert all(b.model_dump() == briefs[0].model_dump() for b in briefs)
    found = {
        (d.kind, d.title, d.text)
        for tool in tools.values()
        for d in tool(account(ws, "reno-freight.example"), ws.settings)
    }
    with ws.store.transaction() as session:
        stored = session.scalar(select(func.count()).select_from(Source).where(Source.account_id == account_id))
        assert stored == len(found)  # one row per content
        assert session.scalar(select(func.count()).select_from(Brief).where(Brief.account_id == account_id)) == 1
