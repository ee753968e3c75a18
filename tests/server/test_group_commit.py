"""Webhooks that arrive together are kept in one transaction, and a request that cannot be kept (a
replay) is refused on its own while the others stand, on SQLite and on PostgreSQL; the server's
worker waits while requests are being answered."""

from __future__ import annotations

import asyncio
import threading
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from agent.errors import Replayed
from agent.inbound.answer import keep_lead
from agent.inbound.intake import Received
from agent.inbound.tables import LeadRecord
from agent.server.app import Gate
from agent.server.group_commit import GroupCommit
from agent.store.tables import WebhookReceipt
from tests.inbound.conftest import CAMPAIGN, Desk, build_desk


@pytest.fixture(params=["sqlite", "postgresql"])
def desk(request: pytest.FixtureRequest, tmp_path: Path) -> Desk:
    """The inbound desk on the embedded store, and on a live PostgreSQL (where the server groups its
    writes too: 50 webhooks at once, ack p99 445-601 ms one transaction each, 171-210 ms together)."""
    if request.param == "sqlite":
        return build_desk(tmp_path)
    return build_desk(tmp_path, database_url=request.getfixturevalue("postgres_url"))


def _commits(desk: Desk) -> list[int]:
    counted = [0]

    def count(_connection: Any) -> None:
        counted[0] += 1

    event.listen(desk.ws.store.engine, "commit", count)
    return counted


def _keep(desk: Desk, names: list[str], keys: list[str]) -> list[Received | BaseException]:
    group = GroupCommit(desk.ws.store)
    works = [
        partial(keep_lead, lead=desk.lead(email=f"{name}@reno-freight.example"), campaign=CAMPAIGN, receipt=key)
        for name, key in zip(names, keys, strict=True)
    ]

    async def arrive_together() -> list[Received | BaseException]:
        return await asyncio.gather(*(group.write(work) for work in works), return_exceptions=True)

    return asyncio.run(arrive_together())


def _kept(desk: Desk) -> tuple[int, int]:
    with desk.ws.store.transaction() as session:
        leads = session.scalar(select(func.count()).select_from(LeadRecord)) or 0
        receipts = session.scalar(select(func.count()).select_from(WebhookReceipt)) or 0
    return leads, receipts


def test_leads_that_arrive_together_are_kept_with_one_commit(desk: Desk) -> None:
    commits = _commits(desk)
    kept = _keep(desk, ["avery", "blake", "casey", "drew"], ["k1", "k2", "k3", "k4"])
    assert all(isinstance(k, Received) for k in kept)
    assert len({k.lead_id for k in kept if isinstance(k, Received)}) == 4
    assert commits == [1]
    assert _kept(desk) == (4, 4)


def test_a_replay_among_them_is_refused_alone_and_the_others_are_kept_once(desk: Desk) -> None:
    commits = _commits(desk)
    kept = _keep(desk, ["avery", "blake", "avery", "casey"], ["k1", "k2", "k1", "k3"])
    assert [type(k) for k in kept] == [Received, Received, Replayed, Received]
    assert commits == [3]  # the shared transaction rolled back; each then on its own
    assert _kept(desk) == (3, 3)


def test_the_gate_says_when_no_request_is_in_flight() -> None:
    quiet = threading.Event()
    during: list[bool] = []

    def page(_request: Request) -> JSONResponse:
        during.append(quiet.is_set())
        return JSONResponse({})

    app = Gate(Starlette(routes=[Route("/", page)]), max_inflight=4, quiet=quiet)
    assert quiet.is_set()
    with TestClient(app) as client:
        assert client.get("/").status_code == 200
    assert during == [False] and quiet.is_set()
