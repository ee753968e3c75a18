"""Mailboxes that stay healthy: a campaign sends from several mailboxes and each prospect's thread
stays on one; a new mailbox warms up; a mailbox whose bounces pass the campaign's limit stops (the
others go on) until a person resumes it, and `sdr status`/`sdr mailboxes` say why."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from agent.campaign.mailboxes import Mailbox, Warmup
from agent.clock import utcnow
from agent.replies.handling import handle
from agent.replies.ingest import parse_message
from agent.sending import health
from agent.sending.sender import send_due
from agent.states import OutboxState
from agent.status import campaign_status
from agent.store.tables import Campaign, OutboxMessage
from agent.workspace import Workspace
from tests.helpers import IN_WINDOW, campaign_variant, outbox_rows, run_demo
from tests.replies.conftest import email, model_reader

BOXES = ["maya@lumendock.example", "noah@lumendock.example", "ines@lumendock.example"]
MAILBOXES = "\n".join(
    ["  daily_cap: 40", "  mailboxes:"]
    + [f"    - {{email: {box}, daily_cap: 40}}" for box in BOXES]
    + ["", "health:", "  window_days: 14", "  min_sent: 3", "  max_bounce_rate: 0.2"]
)


@pytest.fixture
def sending(ws: Workspace, tmp_path: Path) -> Workspace:
    campaign = campaign_variant(tmp_path, ("  daily_cap: 40", MAILBOXES), ("policy: auto_above_score", "policy: human"))
    run_demo(ws, tmp_path, campaign=campaign)
    with ws.store.transaction() as session:
        for row in session.scalars(select(OutboxMessage).where(OutboxMessage.state == OutboxState.pending_review)):
            row.state, row.reviewer = OutboxState.approved, "person:test"
    return ws


def test_each_thread_stays_on_one_mailbox_and_the_campaign_uses_them_all(sending: Workspace) -> None:
    steps = outbox_rows(sending, OutboxMessage.enrollment_id.is_not(None))
    by_contact: dict[int | None, set[str]] = {}
    for step in steps:
        by_contact.setdefault(step.contact_id, set()).add(step.from_address)
    assert all(len(boxes) == 1 for boxes in by_contact.values())
    assert set(Counter(next(iter(b)) for b in by_contact.values())) == set(BOXES)
    send_due(sending, now=IN_WINDOW)
    sent = outbox_rows(sending, OutboxMessage.state == OutboxState.sent)
    assert sent and {m.from_address for m in sent} <= set(BOXES)


def test_a_new_mailbox_warms_up_day_by_day() -> None:
    box = Mailbox(email="new@lumendock.example", daily_cap=40, warmup=Warmup(started_on=date(2026, 11, 2)))
    caps = [health.cap_today(box, date(2026, 11, 2) + timedelta(days=d)) for d in range(0, 10)]
    assert caps == [10, 15, 20, 25, 30, 35, 40, 40, 40, 40]


def _bounce(ws: Workspace, message: OutboxMessage, now: datetime) -> None:
    failed = f"Delivery to the following recipient failed permanently:\n\n    {message.to_address}\n\n"
    dsn = email(
        "MAILER-DAEMON@mx.example",
        failed + "550 5.1.1 user unknown",
        subject="Undelivered Mail Returned to Sender",
        in_reply_to=message.message_id,
    )
    handle(ws, parse_message(dsn, received_at=now), reader=model_reader(ws), now=now)


def test_bounces_stop_their_mailbox_and_the_others_go_on_until_a_person_resumes_it(sending: Workspace) -> None:
    send_due(sending, now=IN_WINDOW)
    first = outbox_rows(sending, OutboxMessage.state == OutboxState.sent)
    bad = Counter(m.from_address for m in first).most_common(1)[0][0]
    from_bad = [m for m in first if m.from_address == bad]
    for message in from_bad[: len(from_bad) // 5 + 1]:  # over a fifth of its emails bounce: not the campaign's
        _bounce(sending, message, IN_WINDOW + timedelta(hours=1))
    waiting: set[str] = set()
    sent: list[int] = []
    start = IN_WINDOW.replace(hour=0)
    for hours in range(24 + 15, 10 * 24, 3):  # every 3 hours for the next nine days: later steps fall due
        later = send_due(sending, now=start + timedelta(hours=hours))
        waiting |= set(later.waiting)
        sent += later.sent
    assert any(reason.startswith(f"{bad} paused: bounce rate") for reason in waiting), waiting
    sent_later = outbox_rows(sending, OutboxMessage.id.in_(sent))
    assert sent_later and bad not in {m.from_address for m in sent_later}  # the others went on
    with sending.store.transaction() as session:
        campaign_id = session.scalar(select(Campaign.id))
        assert campaign_id is not None
        assert set(health.pauses(session, campaign_id)) == {bad}
    [paused] = campaign_status(sending).campaigns
    assert set(paused.paused) == {bad} and paused.paused[bad].startswith("bounce rate")  # sdr status says why
    with sending.store.transaction() as session:
        health.resume(session, campaign_id, bad, "person:deliverability", utcnow())
        assert health.pauses(session, campaign_id) == {}
    assert campaign_status(sending).campaigns[0].paused == {}
