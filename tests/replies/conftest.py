"""A seeded workspace: the demo campaign, one account, contacts with an email already sent to them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import select

from agent.pipeline import register_campaign
from agent.replies.classify import ReplyReader
from agent.replies.handling import Handled, handle
from agent.replies.ingest import parse_message
from agent.store.tables import (
    Account,
    Contact,
    Enrollment,
    EnrollmentState,
    LeadStage,
    Origin,
    OutboxMessage,
    OutboxState,
)
from agent.workspace import Workspace
from tests.conftest import EXAMPLES, make_workspace, scripted

RECEIVED = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # a Tuesday, 09:00 in Chicago


@dataclass
class Seeded:
    ws: Workspace
    campaign_id: int
    contacts: dict[str, int]  # email -> id
    sent: dict[str, str]  # email -> the Message-ID we sent


def seed(ws: Workspace, emails: list[str], *, title: str = "VP of Operations") -> Seeded:
    campaign_id, _ = register_campaign(ws, EXAMPLES / "campaign.yaml")
    contacts, sent = {}, {}
    with ws.store.transaction() as session:
        account = session.scalar(select(Account).where(Account.domain == "acme-freight.example"))
        if account is None:
            account = Account(domain="acme-freight.example", name="Acme Freight", industry="Logistics", employees=800)
            session.add(account)
            session.flush()
        for email in emails:
            first = email.split("@")[0].split(".")[0].capitalize()
            contact = Contact(
                account_id=account.id,
                email=email,
                first_name=first,
                last_name="Doe",
                title=title,
                timezone="America/Chicago",
                stage=LeadStage.contacted,
            )
            session.add(contact)
            session.flush()
            enrollment = Enrollment(campaign_id=campaign_id, contact_id=contact.id, state=EnrollmentState.active)
            session.add(enrollment)
            session.flush()
            step = {"campaign_id": campaign_id, "contact_id": contact.id, "enrollment_id": enrollment.id}
            people = {"from_name": "Maya Lindgren", "from_address": "maya.lindgren@lumendock.example",
                      "to_name": contact.full_name, "to_address": email}  # fmt: skip
            message_id = f"<sdr.test.{contact.id}@lumendock.example>"
            session.add_all(
                [
                    OutboxMessage(
                        origin=Origin.sequence_step, kind="step", step_number=1, subject="Dock scheduling",
                        body="Hi there, a short note about dock scheduling.", state=OutboxState.sent,
                        message_id=message_id, transport="outbox", claimed_at=datetime(2026, 11, 20, 15, 0),
                        sent_at=datetime(2026, 11, 20, 15, 0), **step, **people,
                    ),
                    OutboxMessage(
                        origin=Origin.sequence_step, kind="step", step_number=3, subject="Truck wait times",
                        body="Following up.", state=OutboxState.approved, **step, **people,
                    ),
                ]
            )  # fmt: skip
            contacts[email], sent[email] = contact.id, message_id
    return Seeded(ws, campaign_id, contacts, sent)


def email(
    sender: str,
    body: str,
    *,
    in_reply_to: str | None = None,
    subject: str = "Re: Dock scheduling",
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "maya.lindgren@lumendock.example"
    message["Subject"] = subject
    message["Date"] = "Tue, 24 Nov 2026 09:00:00 -0600"
    message["Message-ID"] = message_id or f"<{abs(hash((sender, body))) % 10**12}@prospect.example>"
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message


def model_reader(ws: Workspace) -> ReplyReader:
    """No classifier: the scripted model decides what the rules leave (it counts as a capable model)."""
    return ReplyReader(classifier=None, llm=ws.llm, trust_model_intent=True)


def receive(s: Seeded, who: str, body: str, **kwargs: Any) -> Handled:
    message = email(who, body, in_reply_to=s.sent.get(who), **kwargs)
    return handle(s.ws, parse_message(message), reader=model_reader(s.ws), now=RECEIVED.replace(tzinfo=None))


@pytest.fixture
def make_seeded(tmp_path):  # type: ignore[no-untyped-def]
    def build(
        *answers: Any, emails: list[str] | None = None, writer: bool = False, title: str = "VP of Operations"
    ) -> Seeded:
        ws = make_workspace(tmp_path, model=scripted(*answers, writer=writer))
        return seed(ws, emails or ["dana.ops@acme-freight.example"], title=title)

    return build
