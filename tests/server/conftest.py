"""The real app over the inbound desk's workspace: in-process (Starlette's TestClient) or on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import func, select
from starlette.applications import Starlette

from agent.inbound.tables import LeadRecord
from agent.replies.tables import ReceivedMail
from agent.server.app import create_app
from agent.states import Origin, OutboxState
from agent.store.tables import OutboxMessage
from tests.inbound.conftest import (
    CAMPAIGN,
    Desk,
    _leads_arrive_on_tuesday,  # noqa: F401 (autouse here too: the desk's scene)
    build_desk,
)

SECRET = "webhook-secret-for-tests"


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    return build_desk(tmp_path, inbound_secret=SECRET, unsubscribe_secret="unsubscribe-secret-for-the-tests")


@pytest.fixture
def app(desk: Desk) -> Starlette:
    return create_app(desk.ws, campaign=CAMPAIGN, reader=desk.reader)


def settled(desk: Desk, seconds: float = 30) -> None:
    """Wait until the app's worker has done everything stored: leads answered, mail read, answers sent."""
    deadline = time.monotonic() + seconds
    while True:
        with desk.ws.store.transaction() as session:
            waiting = (
                session.scalar(select(func.count()).where(LeadRecord.state.in_(["received", "answering"])))
                or session.scalar(select(func.count()).where(ReceivedMail.state.in_(["received", "handling"])))
                or session.scalar(
                    select(func.count()).where(
                        OutboxMessage.state.in_([OutboxState.approved, OutboxState.sending]),
                        OutboxMessage.origin != Origin.sequence_step,
                    )
                )
            )
        if not waiting:
            return
        assert time.monotonic() < deadline, "the worker did not finish"
        time.sleep(0.02)


@contextmanager
def serving(app: Starlette) -> Iterator[str]:
    """The app on a free port of 127.0.0.1, in a thread; stopped on the way out."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
