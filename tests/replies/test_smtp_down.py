"""A mail server that cannot be reached defers reply answers and meeting emails: nothing is lost,
nothing is sent twice, and none of it goes back to a person for a fault that was not theirs."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from agent.sending.sender import send_due
from agent.states import Origin, OutboxState
from agent.store.tables import Enrollment, OutboxMessage
from agent.workspace import Workspace
from tests.conftest import make_workspace
from tests.helpers import UNSUBSCRIBE_SECRET, free_port, outbox_rows, smtp_server
from tests.replies.conftest import receive

pytest.importorskip("aiosmtpd", reason="the SMTP tests need aiosmtpd (pip install -e '.[dev]')")
DANA = "dana.ops@acme-freight.example"


def over_smtp(ws: Workspace, port: int) -> Workspace:
    """The same workspace and model, sending through the SMTP server on `port`."""
    return make_workspace(
        ws.settings.workspace.parent,
        model=ws.llm.handle,
        mail_transport="smtp",
        unsubscribe_secret=UNSUBSCRIBE_SECRET,
        smtp_port=port,
        smtp_starttls=False,
        smtp_timeout_seconds=5,
    )


def test_an_approved_answer_waits_while_the_server_is_down_and_goes_once_when_it_is_up(make_seeded):
    s = make_seeded({"intent": "question", "summary": "asks about SAP"}, {})
    receive(s, DANA, "Does it work with SAP EWM?")
    with s.ws.store.transaction() as session:
        (response,) = session.scalars(select(OutboxMessage).where(OutboxMessage.origin == Origin.reply_answer)).all()
        response.state = OutboxState.approved
    port = free_port()
    down = send_due(over_smtp(s.ws, port), steps=False)
    assert not down.sent and down.unavailable
    assert [r.state for r in outbox_rows(s.ws, OutboxMessage.origin == Origin.reply_answer)] == ["approved"]
    with smtp_server(port) as (mailbox, _):
        up = send_due(over_smtp(s.ws, port), steps=False)
        again = send_due(over_smtp(s.ws, port), steps=False)
    assert len(up.sent) == 1 and not again.sent and len(mailbox.received) == 1


def test_meeting_emails_wait_while_the_server_is_down_and_go_once_when_it_is_up(make_seeded):
    s = make_seeded({"intent": "meeting_request", "summary": "Thursday"}, {})
    with s.ws.store.transaction() as session:  # the policy approves this lead's meeting emails
        session.scalar(select(Enrollment)).priority = 100
    port = free_port()
    s.ws = over_smtp(s.ws, port)
    receive(s, DANA, "Thursday at 2pm works. Send an invite.")  # booked
    down = send_due(s.ws, steps=False)  # while the mail server is down
    states = [r.state for r in outbox_rows(s.ws, OutboxMessage.origin == Origin.meeting_letter)]
    assert down.unavailable and states and set(states) == {"approved"}
    with smtp_server(port) as (mailbox, _):
        sent = send_due(s.ws, steps=False)
        again = send_due(s.ws, steps=False)
    assert len(sent.sent) == len(states) == len(mailbox.received) and not again.sent
