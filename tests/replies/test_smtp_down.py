"""A mail server that cannot be reached defers reply answers and meeting emails: nothing is lost,
nothing is sent twice, and none of it goes back to a person for a fault that was not theirs."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from agent.meetings.outbox import deliver
from agent.meetings.tables import MeetingMessage
from agent.replies.responses import send_responses
from agent.replies.tables import Response, ResponseState
from agent.store.tables import Enrollment
from agent.workspace import Workspace
from tests.conftest import make_workspace
from tests.helpers import free_port, smtp_server
from tests.replies.conftest import receive

pytest.importorskip("aiosmtpd", reason="the SMTP tests need aiosmtpd (pip install -e '.[dev]')")
DANA = "dana.ops@acme-freight.example"


def over_smtp(ws: Workspace, port: int) -> Workspace:
    """The same workspace and model, sending through the SMTP server on `port`."""
    return make_workspace(
        ws.settings.workspace.parent,
        model=ws.llm.handle,
        mail_transport="smtp",
        smtp_port=port,
        smtp_starttls=False,
        smtp_timeout_seconds=5,
    )


def test_an_approved_answer_waits_while_the_server_is_down_and_goes_once_when_it_is_up(make_seeded):
    s = make_seeded({"intent": "question", "summary": "asks about SAP"}, {})
    receive(s, DANA, "Does it work with SAP EWM?")
    with s.ws.store.transaction() as session:
        (response,) = session.scalars(select(Response)).all()
        response.state = ResponseState.approved
    port = free_port()
    down = send_responses(over_smtp(s.ws, port))
    assert not down.sent and any(reason.startswith("deferred: ") for reason in down.skipped)
    with s.ws.store.transaction() as session:
        assert session.scalars(select(Response.state)).all() == [ResponseState.approved]
    with smtp_server(port) as (mailbox, _):
        up = send_responses(over_smtp(s.ws, port))
        again = send_responses(over_smtp(s.ws, port))
    assert len(up.sent) == 1 and not again.sent and len(mailbox.received) == 1


def test_meeting_emails_wait_while_the_server_is_down_and_go_once_when_it_is_up(make_seeded):
    s = make_seeded({"intent": "meeting_request", "summary": "Thursday"}, {})
    with s.ws.store.transaction() as session:  # the policy approves this lead's meeting emails
        session.scalar(select(Enrollment)).priority = 100
    port = free_port()
    s.ws = over_smtp(s.ws, port)
    receive(s, DANA, "Thursday at 2pm works. Send an invite.")  # booked while the mail server is down
    with s.ws.store.transaction() as session:
        states = session.scalars(select(MeetingMessage.state)).all()
    assert states and set(states) == {"approved"}
    with smtp_server(port) as (mailbox, _):
        sent = deliver(s.ws)
        again = deliver(s.ws)
    assert len(sent) == len(states) == len(mailbox.received) and not again
