"""POST /leads and POST /messages: signed (ours, or Standard Webhooks), fresh, used once, stored before
the 202; the worker answers the lead and reads the reply right after."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from email.message import EmailMessage

import httpx
import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from agent import clock
from agent.inbound.tables import LeadRecord
from agent.replies.tables import Reply
from agent.server.app import MAX_LEAD_BYTES, create_app
from agent.server.signatures import HEADER, Verified, Verifier, sign, sign_standard
from agent.store.tables import OutboxMessage
from tests.inbound.conftest import CAMPAIGN, TUESDAY, Desk
from tests.server.conftest import SECRET, serving, settled

LEAD = {
    "name": "Ana Ruiz",
    "email": "ana.ruiz@harvest-lane.example",
    "company": "Harvest Lane Foods",
    "title": "VP Supply Chain",
    "source": "demo request",
    "received_at": TUESDAY,
    "message": "We would like a demo for our Joliet DC.",
}


def post(client: TestClient, path: str, body: bytes, *, secret: str = SECRET, at: int | None = None) -> httpx.Response:
    return client.post(path, content=body, headers={HEADER: sign(secret, body, at)})


def leads(desk: Desk) -> int:
    with desk.ws.store.transaction() as session:
        return session.scalar(select(func.count()).select_from(LeadRecord)) or 0


def test_a_signed_lead_gets_202_with_its_id_and_is_answered_right_after(desk: Desk, app: Starlette) -> None:
    with TestClient(app) as client:
        answer = post(client, "/leads", json.dumps(LEAD).encode())
        settled(desk)
    assert answer.status_code == 202
    lead_id = answer.json()["id"]
    with desk.ws.store.transaction() as session:
        row = session.get_one(LeadRecord, lead_id)
        answer = session.get_one(OutboxMessage, row.answer_id)
        assert row.route == "meeting" and answer.state == "sent" and row.speed_to_lead_seconds is not None
    assert len(desk.outbox(to="ana.ruiz@harvest-lane.example")) == 1


def test_the_same_form_posted_twice_is_answered_once(desk: Desk, app: Starlette) -> None:
    body = json.dumps(LEAD).encode()
    with TestClient(app) as client:
        first = post(client, "/leads", body)
        second = post(client, "/leads", body, at=_now() + 1)  # a new signature: a second submission
        settled(desk)
    assert (first.status_code, second.status_code) == (202, 202)
    assert second.json()["duplicate_of"] == first.json()["id"]
    assert len(desk.outbox(to="ana.ruiz@harvest-lane.example")) == 1


def _now() -> int:
    return int(clock.now().timestamp())


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        (lambda: {}, "missing or malformed"),
        (lambda: {HEADER: "t=123,v1=abc"}, "missing or malformed"),
        (lambda: {HEADER: sign("not-the-secret", json.dumps(LEAD).encode())}, "bad signature"),
        (lambda: {HEADER: sign(SECRET, json.dumps(LEAD).encode(), at=_now() - 3600)}, "stale"),
        (lambda: {HEADER: sign(SECRET, b"a different body")}, "bad signature"),
    ],
    ids=["unsigned", "malformed", "forged", "stale", "another-body"],
)
def test_an_unsigned_forged_or_stale_request_gets_401_and_changes_nothing(
    desk: Desk, app: Starlette, headers: Callable[[], dict[str, str]], why: str
) -> None:
    with TestClient(app) as client:
        answer = client.post("/leads", content=json.dumps(LEAD).encode(), headers=headers())
    assert answer.status_code == 401 and why in answer.json()["error"]
    assert leads(desk) == 0


def test_a_replayed_request_gets_401_also_after_a_restart(desk: Desk, app: Starlette) -> None:
    body = json.dumps(LEAD).encode()
    header = {HEADER: sign(SECRET, body)}
    with TestClient(app) as client:
        assert client.post("/leads", content=body, headers=header).status_code == 202
        replay = client.post("/leads", content=body, headers=header)
        settled(desk)
    restarted = create_app(desk.ws, campaign=CAMPAIGN, reader=desk.reader)  # the keys are in the store
    with TestClient(restarted) as client:
        after_restart = client.post("/leads", content=body, headers=header)
    for refused in (replay, after_restart):
        assert refused.status_code == 401 and "replayed" in refused.json()["error"]
    assert leads(desk) == 1


def test_standard_webhooks_are_accepted_and_a_retried_event_is_acknowledged_once(desk: Desk, app: Starlette) -> None:
    body = json.dumps(LEAD).encode()
    headers = sign_standard(SECRET, "msg_2Lm3", body)
    with TestClient(app) as client:
        first = client.post("/leads", content=body, headers=headers)
        retried = client.post("/leads", content=body, headers=headers)  # the sender did not hear our 202
        forged = client.post("/leads", content=body, headers={**headers, "webhook-signature": "v1,AAAA"})
        settled(desk)
    assert (first.status_code, retried.status_code, forged.status_code) == (202, 202, 401)
    assert retried.json() == {"accepted": True, "duplicate": True}
    assert leads(desk) == 1 and len(desk.outbox(to="ana.ruiz@harvest-lane.example")) == 1


def test_the_verifier_refuses_a_signature_from_the_future_or_the_past() -> None:
    verifier = Verifier(SECRET, max_age_seconds=300)
    header = sign(SECRET, b"x", at=1_000_000)
    stale = "stale signature: the timestamp is outside the allowed age"
    assert verifier.check({HEADER.lower(): header}, b"x", now=1_000_301) == stale
    assert verifier.check({HEADER.lower(): header}, b"x", now=999_699) == stale
    key = f"sig:{header.split('v1=')[1]}"
    assert verifier.check({HEADER.lower(): header}, b"x", now=1_000_000) == Verified(key, retry_means_same=False)


def test_a_bad_lead_gets_422_naming_the_field(desk: Desk, app: Starlette) -> None:
    with TestClient(app) as client:
        answer = post(client, "/leads", json.dumps({**LEAD, "received_at": "2026-11-24T09:05:00"}).encode())
    assert answer.status_code == 422 and answer.json()["field"] == "received_at"
    with TestClient(app) as client:
        future = post(client, "/leads", json.dumps({**LEAD, "received_at": "2099-01-01T09:00:00Z"}).encode())
    assert future.status_code == 422 and "in the future" in future.json()["error"]
    assert leads(desk) == 0


def test_without_a_secret_or_a_campaign_webhooks_answer_503(desk: Desk) -> None:
    from agent.settings import load_settings
    from agent.workspace import Workspace

    settings = load_settings(workspace=desk.ws.settings.workspace, unsubscribe_secret=desk.ws.unsubscribe_secret)
    unsigned = Workspace(settings, model=desk.ws.llm.handle)
    with TestClient(create_app(unsigned, campaign=CAMPAIGN, reader=desk.reader)) as client:
        assert post(client, "/leads", json.dumps(LEAD).encode()).status_code == 503
    with TestClient(create_app(desk.ws, reader=desk.reader)) as client:
        assert post(client, "/leads", json.dumps(LEAD).encode()).status_code == 503
        assert client.get("/healthz").json() == {"ok": True, "campaign": None, "webhooks": True}


def test_a_signed_raw_message_goes_to_reply_handling(desk: Desk, app: Starlette) -> None:
    message = EmailMessage()
    message["From"] = "Marisol Ortega <marisol.ortega@harvest-lane.example>"
    message["To"] = "maya.lindgren@lumendock.example"
    message["Subject"] = "Re: Dock scheduling"
    message["Message-ID"] = "<webhook-1@harvest-lane.example>"
    message.set_content("Please remove me from your list.")
    with TestClient(app) as client:
        answer = post(client, "/messages", bytes(message))
        again = post(client, "/messages", bytes(message), at=_now() + 1)  # the provider retries
        not_mail = post(client, "/messages", b"\r\n\r\njust a body")
        settled(desk)
    assert (answer.status_code, again.status_code, not_mail.status_code) == (202, 202, 422)
    with desk.ws.store.transaction() as session:
        [reply] = session.scalars(select(Reply)).all()
        assert reply.intent == "unsubscribe" and reply.message_id == "<webhook-1@harvest-lane.example>"


def test_a_live_server_answers_healthz_and_a_signed_lead(desk: Desk, app: Starlette) -> None:

    body = json.dumps(LEAD).encode()
    with serving(app) as base, httpx.Client(base_url=base) as client:
        assert client.get("/healthz").json()["ok"] is True
        accepted = client.post("/leads", content=body, headers={HEADER: sign(SECRET, body)})
        assert accepted.status_code == 202
        deadline = time.monotonic() + 20
        while not desk.outbox(to="ana.ruiz@harvest-lane.example"):  # answered in the background
            assert time.monotonic() < deadline, "the lead was not answered"
            time.sleep(0.05)


def _read_of(app: Starlette, path: str, headers: dict[str, str], declared: int | None = None) -> tuple[int, int]:
    """(status, body bytes the app read) for an endless body of 64 KiB pieces, straight through ASGI."""
    pieces, answer = 0, {}
    framing = [(b"content-length", str(declared).encode())] if declared is not None else []

    async def receive() -> dict[str, object]:
        nonlocal pieces
        pieces += 1
        return {"type": "http.request", "body": b"x" * 65536, "more_body": True}

    async def send(message: dict[str, object]) -> None:
        answer.setdefault("status", message.get("status"))

    scope = {
        "type": "http", "method": "POST", "path": path, "raw_path": path.encode(), "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()] + framing,
        "http_version": "1.1", "scheme": "http", "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }  # fmt: skip
    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    return int(answer["status"] or 0), pieces * 65536


def test_a_body_is_never_read_for_an_unsigned_or_stale_request_nor_past_its_cap(app: Starlette) -> None:
    fresh = {HEADER: f"t={_now()},v1={'0' * 64}"}  # well formed and fresh: only the body can refute it
    assert _read_of(app, "/messages", {}) == (401, 0)
    assert _read_of(app, "/leads", {HEADER: f"t={_now() - 3600},v1={'0' * 64}"}) == (401, 0)
    assert _read_of(app, "/leads", fresh, declared=1 << 30) == (413, 0)
    status, read = _read_of(app, "/leads", fresh)
    assert status == 413 and MAX_LEAD_BYTES < read <= MAX_LEAD_BYTES + 65536
