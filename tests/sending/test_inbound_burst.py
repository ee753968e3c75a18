"""A burst of inbound leads and replies through the server on 127.0.0.1, with SMTP as the transport
and answers to earlier replies approved and waiting: every answer, meeting email and note to the
team reaches the SMTP server exactly once (the issue counted 284 duplicate answers before)."""

from __future__ import annotations

import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from agent import review
from agent.inbound.tables import LeadRecord
from agent.research.researcher import research_account
from agent.server.app import create_app
from agent.server.signatures import HEADER, sign
from agent.states import Origin, OutboxState
from agent.store.tables import OutboxMessage
from tests.conftest import SuiteClock
from tests.helpers import UNSUBSCRIBE_SECRET, account, smtp_server
from tests.inbound.conftest import CAMPAIGN, TUESDAY, build_desk
from tests.replies.conftest import email, receive, seed
from tests.sending import world
from tests.server.conftest import SECRET, serving

pytest.importorskip("aiosmtpd", reason="the SMTP tests need aiosmtpd (pip install -e '.[dev]')")
DOMAINS = ["reno-freight.example", "harvest-lane.example", "great-plains-cold.example", "northbeam-mfg.example"]
LEADS = 24
REPLYING = [f"buyer{n}@acme-freight.example" for n in range(4)]


def lead(n: int) -> bytes:
    """A fit: every third asks a question on the contact form (an answer), the others want a demo (an offer)."""
    question = n % 3 == 0
    fields = {
        "name": f"Lead {n} Doe",
        "email": f"lead{n}@{DOMAINS[n % len(DOMAINS)]}",
        "title": "VP of Operations",
        "source": "contact form" if question else "demo request",
        "received_at": TUESDAY,
        "timezone": "America/Chicago",
        "message": "Do you integrate with SAP EWM?" if question else "We would like a demo for our main DC.",
    }
    return json.dumps(fields).encode()


def settled(ws: world.Workspace) -> bool:
    with ws.store.transaction() as session:
        routed = session.scalar(select(func.count()).where(LeadRecord.state == "routed"))
        moving = session.scalar(
            select(func.count()).where(
                OutboxMessage.state.in_([OutboxState.approved, OutboxState.sending]),
                OutboxMessage.origin != Origin.sequence_step,
            )
        )
    return routed == LEADS and moving == 0


def test_every_answer_and_note_reaches_the_mail_server_once(tmp_path: Path, suite_clock: SuiteClock) -> None:
    suite_clock.set(world.LEADS_ARRIVE)
    with smtp_server() as (mailbox, port):
        desk = build_desk(
            tmp_path,
            inbound_secret=SECRET,
            unsubscribe_secret=UNSUBSCRIBE_SECRET,
            mail_transport="smtp",
            smtp_port=port,
            smtp_starttls=False,
        )
        desk.readings["SAP EWM"] = "question"
        for domain in DOMAINS:  # known accounts, researched before (leads of one account at once race to)
            research_account(desk.ws, account(desk.ws, domain).id)
        seeded = seed(desk.ws, REPLYING)
        for who in REPLYING:  # answers to earlier replies, approved, waiting for a send round
            receive(seeded, who, "Do you integrate with SAP EWM?")
        review.approve(desk.ws, [r.id for r in world.in_state(desk.ws, OutboxState.pending_review)], "tester")
        waiting = {r.id for r in world.in_state(desk.ws, OutboxState.approved) if r.origin != Origin.sequence_step}
        assert len(waiting) == len(REPLYING)
        replies = [bytes(email(who, f"One more question, take {n}.")) for n, who in enumerate(REPLYING)]

        app = create_app(desk.ws, campaign=CAMPAIGN, reader=desk.reader)
        with serving(app) as base, httpx.Client(base_url=base, timeout=60) as client:

            def post(path_body: tuple[str, bytes]) -> int:
                path, body = path_body
                return client.post(path, content=body, headers={HEADER: sign(SECRET, body)}).status_code

            burst = [("/leads", lead(n)) for n in range(LEADS)] + [("/messages", r) for r in replies]
            with ThreadPoolExecutor(max_workers=16) as pool:
                assert set(pool.map(post, burst)) == {202}
            deadline = time.monotonic() + 120
            while not settled(desk.ws):
                assert time.monotonic() < deadline, "the burst was not answered in two minutes"
                time.sleep(0.2)
        delivered = world.deliveries(mailbox.received)

    sent = [r for r in world.in_state(desk.ws, OutboxState.sent) if r.origin != Origin.sequence_step]
    assert delivered == Counter({r.id: 1 for r in sent})
    assert waiting <= set(delivered)
    origins = Counter(r.origin for r in sent)
    assert origins[Origin.notification] == LEADS  # one note about each lead
    assert origins[Origin.inbound_answer] == LEADS // 3 and origins[Origin.meeting_letter] == LEADS - LEADS // 3
