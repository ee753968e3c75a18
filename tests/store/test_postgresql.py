"""The same code on PostgreSQL: the demo campaign gives the same results as on SQLite, a rejected
import changes nothing, and senders racing on a server database still send each message once."""

from __future__ import annotations

import email
import threading
from datetime import date, datetime
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent.accounts.importer import import_file
from agent.campaign import load_campaign
from agent.clock import utcnow
from agent.errors import InputError
from agent.pipeline import run_campaign
from agent.review import bulk_approve
from agent.sending.schedule import next_business_morning
from agent.sending.sender import SendSummary, claim, plan, send_due
from agent.store.tables import Account, Contact, Enrollment, OutboxMessage, OutboxState
from agent.workspace import Workspace
from tests.conftest import EXAMPLES, make_workspace
from tools.mail import Outgoing

TODAY = date(2026, 11, 24)  # a Tuesday
CAMPAIGN = EXAMPLES / "campaign.yaml"


def _demo(ws: Workspace) -> dict[str, object]:
    """Import and run the demo campaign, send as of the next business morning; what came of it."""
    for name in ("accounts.csv", "contacts.csv"):
        import_file(ws.store, EXAMPLES / name)
    summary = run_campaign(ws, CAMPAIGN, today=TODAY)
    sent = send_due(ws, now=_morning())
    with ws.store.transaction() as session:
        by_state = select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
        states = dict(session.execute(by_state).all())
        priorities = sorted(session.scalars(select(Enrollment.priority)))
    return {"enrolled": summary.enrolled, "drafted": summary.drafted, "sent": len(sent.sent), "drafts": states,
            "priorities": priorities}  # fmt: skip


def _morning() -> datetime:
    """When the demo sends: the steps just drafted are due, inside the campaign's window."""
    return next_business_morning(utcnow(), load_campaign(CAMPAIGN).sending)


def test_the_demo_campaign_gives_the_same_results_on_postgresql_as_on_sqlite(tmp_path: Path, postgres_url: str):
    on_sqlite = _demo(make_workspace(tmp_path / "sqlite"))
    on_postgres = _demo(make_workspace(tmp_path / "postgres", database_url=postgres_url))
    assert on_sqlite["sent"] and on_postgres == on_sqlite


def test_a_rejected_import_changes_nothing_on_postgresql(tmp_path: Path, postgres_url: str):
    ws = make_workspace(tmp_path, database_url=postgres_url)
    import_file(ws.store, EXAMPLES / "accounts.csv")
    bad = tmp_path / "contacts.csv"
    good = (EXAMPLES / "contacts.csv").read_text().splitlines()
    bad.write_text("\n".join([*good[:5], "bob@,Bob,,,acme-freight.example,,,", *good[5:]]) + "\n")

    def counts() -> tuple[int, int]:
        with ws.store.transaction() as session:
            return (
                session.scalar(select(func.count()).select_from(Account)) or 0,
                session.scalar(select(func.count()).select_from(Contact)) or 0,
            )

    before = counts()
    with pytest.raises(InputError):
        import_file(ws.store, bad)
    assert counts() == before


def test_senders_racing_on_postgresql_send_each_message_once(tmp_path: Path, postgres_url: str):
    ws = make_workspace(tmp_path, database_url=postgres_url)
    for name in ("accounts.csv", "contacts.csv"):
        import_file(ws.store, EXAMPLES / name)
    run_campaign(ws, CAMPAIGN, today=TODAY)
    bulk_approve(ws, campaign="q4-dock-ops", reviewer="test")
    start = threading.Barrier(3)
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            start.wait()
            send_due(make_workspace(tmp_path, database_url=postgres_url), now=_morning())
        except BaseException as exc:  # reported below, with the others
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    with ws.store.transaction() as session:
        sent = session.scalars(select(OutboxMessage.message_id).where(OutboxMessage.state == OutboxState.sent)).all()
    written = [
        email.message_from_bytes(path.read_bytes(), policy=policy.default)["Message-ID"]
        for path in ws.settings.outbox_dir.glob("*.eml")
    ]
    assert len(sent) > 10 and sorted(written) == sorted(sent)  # every message once, in the store and the outbox


def test_a_sender_passes_over_a_message_another_sender_is_claiming(tmp_path: Path, postgres_url: str):
    """Senders on one server database go through the same due messages: one that another sender holds
    in its claim is passed over at once (not waited on, then lost to it), and sent by its holder."""
    ws = make_workspace(tmp_path, database_url=postgres_url)
    for name in ("accounts.csv", "contacts.csv"):
        import_file(ws.store, EXAMPLES / name)
    run_campaign(ws, CAMPAIGN, today=TODAY)
    bulk_approve(ws, campaign="q4-dock-ops", reviewer="test")
    now = _morning()
    row_id = plan(ws, now, SendSummary())[0]
    done: list[Outgoing | str] = []
    with ws.store.engine.connect() as holder, holder.begin():  # another sender, mid-claim
        holder.execute(select(OutboxMessage.id).where(OutboxMessage.id == row_id).with_for_update())
        other = threading.Thread(target=lambda: done.append(claim(ws, row_id, now)), daemon=True)
        other.start()
        other.join(timeout=10)
        assert done == ["claimed or decided by someone else meanwhile"]
    with ws.store.transaction() as session:
        assert session.get_one(OutboxMessage, row_id).state == OutboxState.approved  # still its holder's to send
