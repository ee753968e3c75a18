from __future__ import annotations

import email
import os
import subprocess
import sys
from datetime import timedelta
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent.sending.sender import send_due
from agent.store.tables import Draft, DraftState, Enrollment, EnrollmentState, Message, MessageStatus
from agent.suppression import suppress
from agent.workspace import Workspace
from tests.conftest import ROOT
from tests.helpers import IN_WINDOW, run_demo

ACCOUNTS = ["reno-freight.example", "harvest-lane.example", "great-plains-cold.example"]


@pytest.fixture
def approved(ws: Workspace, tmp_path: Path) -> Workspace:
    """The demo for three accounts, every first-step email approved."""
    run_demo(ws, tmp_path, ACCOUNTS)
    with ws.store.transaction() as s:
        for draft in s.scalars(select(Draft).where(Draft.step_number == 1, Draft.state == DraftState.pending_review)):
            draft.state = DraftState.approved
    return ws


def outbox(ws: Workspace) -> list[email.message.EmailMessage]:
    folder = ws.settings.outbox_dir
    return (
        [
            email.message_from_bytes(p.read_bytes(), policy=policy.default)  # type: ignore[misc]
            for p in sorted(folder.glob("*.eml"))
        ]
        if folder.exists()
        else []
    )


def step_one(ws: Workspace) -> list[Draft]:
    with ws.store.transaction() as s:
        rows = s.scalars(select(Draft).where(Draft.step_number == 1)).all()
        for row in rows:
            _ = row.enrollment.contact.email
        s.expunge_all()
        return list(rows)


def test_only_approved_drafts_are_sent_once_each(approved: Workspace) -> None:
    with approved.store.transaction() as s:
        first = s.scalars(select(Draft).where(Draft.step_number == 1)).all()
        first[0].state = DraftState.pending_review
        first[1].state = DraftState.rejected
        first[2].state = DraftState.flagged
        blocked = {d.id for d in first[:3]}
        expected = {d.enrollment.contact.email for d in first[3:] if d.state == DraftState.approved}
    summary = send_due(approved, now=IN_WINDOW)
    again = send_due(approved, now=IN_WINDOW)
    sent = outbox(approved)
    assert {m["To"].addresses[0].addr_spec for m in sent} == expected and len(sent) == len(expected)
    assert not blocked & set(summary.sent) and again.sent == []
    with approved.store.transaction() as s:
        assert {s.get_one(Draft, i).state for i in summary.sent} == {DraftState.sent}


def test_emails_carry_compliance_headers_and_footer(approved: Workspace) -> None:
    send_due(approved, now=IN_WINDOW)
    message = outbox(approved)[0]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Unsubscribe"].startswith("<https://lumendock.example/unsubscribe?t=")
    assert "=?utf-8?" not in str(message["List-Unsubscribe"])
    body = message.get_content()
    assert "Chicago, IL" in body and "unsubscribe" in body
    assert message["Message-ID"].endswith("@lumendock.example>")


def test_suppressed_addresses_and_domains_are_never_written_to(approved: Workspace) -> None:
    drafts = [d for d in step_one(approved) if d.state == DraftState.approved]
    person = drafts[0].enrollment.contact.email
    domain = (
        "@"
        + next(
            d.enrollment.contact.email for d in drafts if not d.enrollment.contact.email.endswith(person.split("@")[1])
        ).split("@")[1]
    )
    with approved.store.transaction() as s:
        suppress(s, person, "unsubscribe", "test")
        suppress(s, domain, "manual", "test")
    send_due(approved, now=IN_WINDOW)
    recipients = {m["To"].addresses[0].addr_spec for m in outbox(approved)}
    assert recipients and person not in recipients and not any(r.endswith(domain) for r in recipients)
    with approved.store.transaction() as s:
        stopped = s.scalars(select(Enrollment).where(Enrollment.state == EnrollmentState.stopped)).all()
        assert stopped and all(d.state == DraftState.cancelled for e in stopped for d in e.drafts)


def test_a_suppression_after_approval_but_before_sending_still_wins(approved: Workspace) -> None:
    """Even if the sequence were not stopped, the claim re-checks the address at the moment of writing."""
    target = next(d for d in step_one(approved) if d.state == DraftState.approved)
    with approved.store.transaction() as s:
        from agent.store.tables import Suppression

        s.add(Suppression(value=target.enrollment.contact.email, reason="unsubscribe"))  # no sequence stop
    send_due(approved, now=IN_WINDOW)
    assert target.enrollment.contact.email not in {m["To"].addresses[0].addr_spec for m in outbox(approved)}


def test_nothing_goes_out_outside_the_prospects_business_hours(approved: Workspace) -> None:
    saturday = IN_WINDOW + timedelta(days=5 - IN_WINDOW.weekday())
    night = IN_WINDOW + timedelta(hours=12)
    for moment in (saturday, night):
        summary = send_due(approved, now=moment)
        assert summary.sent == [] and summary.next_due is not None and summary.next_due > moment
    assert outbox(approved) == []


def test_follow_ups_wait_business_days_and_thread_under_the_first_email(approved: Workspace) -> None:
    with approved.store.transaction() as s:  # approve everything for one contact
        enrollment = s.scalars(select(Enrollment)).first()
        assert enrollment is not None
        for draft in enrollment.drafts:
            draft.state = DraftState.approved
        enrollment_id = enrollment.id
    send_due(approved, now=IN_WINDOW)  # a weekday: step 1
    assert send_due(approved, now=IN_WINDOW + timedelta(days=1)).sent == []  # a day later: step 2 not due
    for days in range(2, 25):  # 2 + 4 + 7 business days
        send_due(approved, now=IN_WINDOW + timedelta(days=days))
    with approved.store.transaction() as s:
        enrollment = s.get_one(Enrollment, enrollment_id)
        sent = {d.step_number: d.message.sent_at for d in enrollment.drafts if d.message}
        assert sorted(sent) == [1, 2, 3, 4] and enrollment.state == EnrollmentState.completed
        assert (sent[2] - sent[1]).days >= 2 and all(m.weekday() < 5 for m in sent.values())
        first_id = enrollment.drafts[0].message.message_id
        address = enrollment.contact.email
    follow_up = next(m for m in outbox(approved) if m["In-Reply-To"] and m["To"].addresses[0].addr_spec == address)
    assert follow_up["In-Reply-To"] == first_id


def test_daily_cap_per_mailbox(approved: Workspace, tmp_path: Path) -> None:
    from agent.pipeline import register_campaign
    from tests.helpers import campaign_variant

    register_campaign(approved, campaign_variant(tmp_path, ("daily_cap: 40", "daily_cap: 2")))
    summary = send_due(approved, now=IN_WINDOW)
    assert len(summary.sent) == 2 and any("daily cap" in reason for reason in summary.waiting)
    assert send_due(approved, now=IN_WINDOW + timedelta(hours=1)).sent == []
    # the cap is a rolling 24 hours, as mailbox providers count it
    assert send_due(approved, now=IN_WINDOW + timedelta(hours=23)).sent == []
    assert len(send_due(approved, now=IN_WINDOW + timedelta(hours=25)).sent) == 2


def _messages_by_draft(ws: Workspace) -> dict[int, list[str]]:
    by_draft: dict[int, list[str]] = {}
    for message in outbox(ws):
        by_draft.setdefault(int(message["X-SDR-Draft"]), []).append(message["Message-ID"])
    return by_draft


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_killed_sender_restarted_sends_nothing_twice_and_loses_nothing(approved: Workspace, when: str) -> None:
    to_send = {d.id for d in step_one(approved) if d.state == DraftState.approved}
    assert len(to_send) >= 3
    env = {
        **os.environ,
        "SDR_WORKSPACE": str(approved.settings.workspace),
        "SDR_SOURCES_DIR": str(approved.settings.sources_dir),
        "PYTHONPATH": str(ROOT),
    }
    crashed = subprocess.run(
        [sys.executable, "-m", "tests.sending.crashing_sender", when, "2"],
        env=env,
        cwd=ROOT,
        timeout=120,
        capture_output=True,
    )
    assert crashed.returncode == -9, crashed.stderr.decode()[-2000:]
    with approved.store.transaction() as s:
        assert s.scalar(select(func.count()).where(Message.status == MessageStatus.claimed)) == 1
    # restart: the real command, as an operator would
    restarted = subprocess.run(
        [sys.executable, "-m", "agent.cli.app", "send", "--as-of", IN_WINDOW.isoformat() + "+00:00"],
        env=env,
        cwd=ROOT,
        timeout=120,
        capture_output=True,
        text=True,
    )
    assert restarted.returncode == 0, restarted.stderr[-2000:]
    by_draft = _messages_by_draft(approved)
    assert set(by_draft) == to_send  # nothing lost
    assert all(len(ids) == 1 for ids in by_draft.values())  # nothing twice
    with approved.store.transaction() as s:
        statuses = s.scalars(select(Message.status)).all()
        assert statuses and set(statuses) == {MessageStatus.sent}
    if when == "after":
        assert "recovered 1 after a crash" in restarted.stdout


def test_two_senders_at_once_send_each_message_once(approved: Workspace) -> None:
    import threading

    other = Workspace(approved.settings)
    threads = [threading.Thread(target=send_due, args=(w,), kwargs={"now": IN_WINDOW}) for w in (approved, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(len(ids) == 1 for ids in _messages_by_draft(approved).values())
    assert _messages_by_draft(approved)
