"""CRM write-back through the official clients, against the fake HubSpot and Salesforce of the
tests (HTTPS on 127.0.0.1): how many calls each activity costs and how many activities a second
one sync writes, before the CRM's own rate limits (HubSpot: 100-190 calls per 10 s per app).

    PYTHONPATH=. .venv/bin/python bench/crm_sync.py [people]

Each person got three emails and replied once. Prints, per CRM: activities, calls, calls per
activity, seconds, activities per second, and the calls a second sync makes (0: the ledger knows).
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from agent import clock
from agent.crm.providers import build_crm
from agent.crm.sync import sync_crm
from agent.replies.tables import Reply
from agent.settings import load_settings
from agent.states import OutboxState
from agent.store.tables import Account, Contact, OutboxMessage
from agent.workspace import Workspace
from tests.crm.conftest import crm_settings
from tests.crm.fake_crm import FakeCrm, FakeHubSpot, FakeSalesforce, make_certificate, serving


def seeded(folder: Path, settings: dict[str, object], people: int) -> Workspace:
    ws = Workspace(load_settings(workspace=folder, **settings))
    now = clock.utcnow()
    with ws.store.transaction() as session:
        account = Account(domain="acme-freight.example", name="Acme Freight")
        session.add(account)
        for n in range(people):
            contact = Contact(email=f"p{n}@acme-freight.example", last_name=f"P{n}", account=account)
            session.add(contact)
            session.flush()
            for step in range(3):
                session.add(
                    OutboxMessage(
                        origin="sequence_step",
                        kind="step",
                        contact_id=contact.id,
                        from_name="Sam",
                        from_address="sam@lumendock.example",
                        to_name=f"P{n}",
                        to_address=contact.email,
                        subject="Dock scheduling",
                        body="Hi.",
                        state=OutboxState.sent,
                        sent_at=now - timedelta(days=3 - step),
                    )
                )
            session.add(
                Reply(
                    contact_id=contact.id,
                    matched_by="address",
                    from_address=contact.email,
                    text="Not now.",
                    received_at=now,
                    intent="not_now",
                    decided_by="rules",
                    confidence=0.9,
                    analysis={},
                )
            )
    return ws


def measure(name: str, fake: FakeCrm, certificate: tuple[Path, Path], people: int) -> None:
    with serving(fake, certificate), tempfile.TemporaryDirectory() as folder:
        servers = {"hubspot": fake} if name == "hubspot" else {"salesforce": fake}
        ws = seeded(Path(folder), crm_settings(certificate, **servers), people)  # type: ignore[arg-type]
        started = time.perf_counter()
        summary = sync_crm(ws, build_crm(ws.settings, name))
        seconds = time.perf_counter() - started
        calls = len(fake.requests)
        sync_crm(ws, build_crm(ws.settings, name))
        again = len(fake.requests) - calls
        written = summary.written.total()
        print(
            f"{name:10} {written} activities, {calls} calls ({calls / written:.2f} per activity), "
            f"{seconds:.1f} s ({written / seconds:.0f} activities/s); a second sync: {again} calls"
        )


def main() -> None:
    people = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    with tempfile.TemporaryDirectory() as tls:
        certificate = make_certificate(Path(tls))
        measure("hubspot", FakeHubSpot(), certificate, people)
        measure("salesforce", FakeSalesforce(), certificate, people)


if __name__ == "__main__":
    main()
