from __future__ import annotations

import email
from datetime import timedelta
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import select

from agent.sending.sender import send_due
from agent.store.tables import Enrollment, EnrollmentState, OutboxMessage, OutboxState
from agent.suppression import suppress
from agent.workspace import Workspace
from tests.helpers import IN_WINDOW, outbox_rows, run_demo

ACCOUNTS = ["reno-freight.example", "harvest-lane.example", "great-plains-cold.example"]


@pytest.fixture
def approved(ws: Workspace, tmp_path: Path) -> Workspace:
    """The demo for three accounts, every first-step email approved."""
    run_demo(ws, tmp_path, ACCOUNTS)
    with ws.store.transaction() as s:
        first = OutboxMessage.step_number == 1
        for step in s.scalars(select(OutboxMessage).where(first, OutboxMessage.state == OutboxState.pending_review)):
            step.state = OutboxState.approved
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


def step_one(ws: Workspace) -> list[OutboxMessage]:
    return outbox_rows(ws, OutboxMessage.step_number == 1)


def test_only_approved_drafts_are_sent_once_each(approved: Workspace) -> None:
    with approved.store.transaction() as s:
        first = s.scalars(select(OutboxMessage).where(OutboxMessage.step_number == 1)).all()
        first[0].state = OutboxState.pending_review
        first[1].state = OutboxState.rejected
        first[2].state = OutboxState.flagged
        blocked = {d.id for d in first[:3]}
        expected = {d.to_address for d in first[3:] if d.state == OutboxState.approved}
    summary = send_due(approved, now=IN_WINDOW)
    again = send_due(approved, now=IN_WINDOW)
    sent = outbox(approved)
    assert {m["To"].addresses[0].addr_spec for m in sent} == expected and len(sent) == len(expected)
    assert not blocked & set(summary.sent) and again.sent == []
    with approved.store.transaction() as s:
        assert {s.get_one(OutboxMessage, i).state for i in summary.sent} == {OutboxState.sent}


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
    steps = [d for d in step_one(approved) if d.state == OutboxState.approved]
    person = steps[0].to_address
    domain = "@" + next(d.to_address for d in steps if not d.to_address.endswith(person.split("@")[1])).split("@")[1]
    with approved.store.transaction() as s:
        suppress(s, person, "unsubscribe", "test")
        suppress(s, domain, "manual", "test")
    send_due(approved, now=IN_WINDOW)
    recipients = {m["To"].addresses[0].addr_spec for m in outbox(approved)}
    assert recipients and person not in recipients and not any(r.endswith(domain) for r in recipients)
    with approved.store.transaction() as s:
        stopped = s.scalars(select(Enrollment).where(Enrollment.state == EnrollmentState.stopped)).all()
        assert stopped and all(d.state == OutboxState.cancelled for e in stopped for d in e.steps)


def test_a_suppression_after_approval_but_before_sending_still_wins(approved: Workspace) -> None:
    """Even if the sequence were not stopped, the claim re-checks the address at the moment of writing."""
    target = next(d for d in step_one(approved) if d.state == OutboxState.approved)
    with approved.store.transaction() as s:
        from agent.store.tables import Suppression

        s.add(Suppression(value=target.to_address, reason="unsubscribe"))  # no sequence stop, nothing blocked
    send_due(approved, now=IN_WINDOW)
    assert target.to_address not in {m["To"].addresses[0].addr_spec for m in outbox(approved)}
    assert outbox_rows(approved, OutboxMessage.id == target.id)[0].state == OutboxState.blocked


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
        for step in enrollment.steps:
            step.state = OutboxState.approved
        enrollment_id = enrollment.id
    send_due(approved, now=IN_WINDOW)  # a weekday: step 1
    assert send_due(approved, now=IN_WINDOW + timedelta(days=1)).sent == []  # a day later: step 2 not due
    for days in range(2, 25):  # 2 + 4 + 7 business days
        send_due(approved, now=IN_WINDOW + timedelta(days=days))
    with approved.store.transaction() as s:
        enrollment = s.get_one(Enrollment, enrollment_id)
        sent = {d.step_number: d.sent_at for d in enrollment.steps if d.sent_at}
        assert sorted(sent) == [1, 2, 3, 4] and enrollment.state == EnrollmentState.completed
        assert (sent[2] - sent[1]).days >= 2 and all(m.weekday() < 5 for m in sent.values())
        first_id = enrollment.steps[0].message_id
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
