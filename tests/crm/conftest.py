"""Fake HubSpot and Salesforce on 127.0.0.1 (HTTPS), workspaces that point at them, and a store
holding what the agent did: messages sent, a reply, a meeting booked, a handoff."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from agent import clock
from agent.meetings.tables import Meeting, MeetingStatus
from agent.replies.tables import Handoff, Reply
from agent.states import Audience, Origin, OutboxState
from agent.store.tables import Account, Contact, OutboxMessage
from agent.workspace import Workspace
from tests.conftest import make_workspace
from tests.crm.fake_crm import TOKEN, FakeHubSpot, FakeSalesforce, make_certificate, serving

# Retries that cost milliseconds when the CRM does not say how long to wait.
FAST = {"crm_backoff_seconds": 0.01, "crm_max_wait_seconds": 10.0, "crm_timeout_seconds": 5.0}


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def hubspot(certificate: tuple[Path, Path]) -> Iterator[FakeHubSpot]:
    with serving(FakeHubSpot(), certificate) as fake:
        assert isinstance(fake, FakeHubSpot)
        yield fake


@pytest.fixture
def salesforce(certificate: tuple[Path, Path]) -> Iterator[FakeSalesforce]:
    with serving(FakeSalesforce(), certificate) as fake:
        assert isinstance(fake, FakeSalesforce)
        yield fake


def crm_settings(
    certificate: tuple[Path, Path],
    hubspot: FakeHubSpot | None = None,
    salesforce: FakeSalesforce | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    settings: dict[str, Any] = {"crm_ca_bundle": certificate[0], **FAST}
    if hubspot is not None:
        settings |= {"hubspot_url": hubspot.base_url, "hubspot_token": TOKEN}
    if salesforce is not None:
        settings |= {"salesforce_url": salesforce.base_url, "salesforce_token": TOKEN}
    return settings | overrides


@pytest.fixture
def crm_ws(
    tmp_path: Path, certificate: tuple[Path, Path], hubspot: FakeHubSpot, salesforce: FakeSalesforce
) -> Workspace:
    return make_workspace(tmp_path, **crm_settings(certificate, hubspot, salesforce))


def seed_activity(ws: Workspace) -> dict[str, int]:
    """Two prospects at one account: Dana got two emails and a LinkedIn note, replied, booked a
    meeting and was handed off; Kim got one email. Also what must not go to the CRM: a draft
    awaiting review, a message that failed, a note to the AE."""
    now = clock.utcnow()
    ids: dict[str, int] = {}
    with ws.store.transaction() as session:
        account = Account(domain="acme-freight.example", name="Acme Freight")
        dana = Contact(
            email="dana@acme-freight.example",
            first_name="Dana",
            last_name="Doe",
            title="VP Operations",
            account=account,
        )
        kim = Contact(email="kim@acme-freight.example", first_name="Kim", last_name="Lee", account=account)
        session.add_all([account, dana, kim])
        session.flush()

        def message(contact: Contact, *, state: OutboxState = OutboxState.sent, hours: int = 0, **fields: Any) -> int:
            row = OutboxMessage(
                origin=fields.pop("origin", Origin.sequence_step),
                kind="step",
                contact_id=contact.id,
                from_name="Sam",
                from_address="sam@lumendock.example",
                to_name=contact.full_name,
                to_address=fields.pop("to_address", contact.email),
                subject=fields.pop("subject", "Dock scheduling at Acme"),
                body=fields.pop("body", "Hi, a short note about dock scheduling."),
                state=state,
                sent_at=now - timedelta(days=3) + timedelta(hours=hours) if state == OutboxState.sent else None,
                **fields,
            )
            session.add(row)
            session.flush()
            return row.id

        ids["email_dana_1"] = message(dana, step_number=1)
        ids["linkedin_dana"] = message(
            dana, hours=1, channel="linkedin", subject=None, step_number=2, body="Connecting about dock scheduling."
        )
        ids["email_dana_2"] = message(dana, hours=2, step_number=3, subject="Re: Dock scheduling at Acme")
        ids["email_kim"] = message(kim, hours=3, step_number=1)
        message(kim, state=OutboxState.pending_review, step_number=2)
        message(kim, state=OutboxState.failed, step_number=3)
        message(dana, hours=4, audience=Audience.ae, origin=Origin.meeting_letter, to_address="sofia@lumendock.example")
        reply = Reply(
            contact_id=dana.id,
            matched_by="in-reply-to",
            from_address=dana.email,
            subject="Re: Dock scheduling at Acme",
            text="Yes, let's talk. Thursday 10:30 works.",
            received_at=now - timedelta(days=1),
            intent="meeting_request",
            decided_by="rules",
            confidence=0.97,
            analysis={},
        )
        meeting = Meeting(
            contact_id=dana.id,
            uid="m-1@sdr",
            ae_name="Sofia Marin",
            ae_email="sofia@lumendock.example",
            ae_timezone="America/Chicago",
            prospect_timezone="America/Chicago",
            calendar="file",
            starts_at=now + timedelta(days=2),
            ends_at=now + timedelta(days=2, minutes=30),
            status=MeetingStatus.booked,
            handoff_note="Problem signal: dock congestion at the Joliet site.",
        )
        cancelled = Meeting(
            contact_id=kim.id,
            uid="m-2@sdr",
            ae_name="Sofia Marin",
            ae_email="sofia@lumendock.example",
            ae_timezone="America/Chicago",
            prospect_timezone="America/Chicago",
            calendar="file",
            starts_at=now + timedelta(days=3),
            ends_at=now + timedelta(days=3, minutes=30),
            status=MeetingStatus.cancelled,
        )
        handoff = Handoff(
            contact_id=dana.id,
            next_step="Discovery call on Thursday",
            checklist={"source": "outbound"},
            note="## Handoff\n- Problem signal: dock congestion\n- Source: outbound\n- Next step: Thursday call",
        )
        session.add_all([reply, meeting, cancelled, handoff])
        session.flush()
        ids |= {"reply": reply.id, "meeting": meeting.id, "handoff": handoff.id, "dana": dana.id, "kim": kim.id}
    return ids
