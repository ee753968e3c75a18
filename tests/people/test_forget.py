"""Forgetting a person: afterwards no table and no chunk in the vector store names them, the figures
stand, and they are never imported or written to again."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from agent.accounts.importer import import_file
from agent.calls.index import call_index
from agent.calls.ingest import ingest
from agent.errors import ConfigError
from agent.inbound.intake import receive as receive_lead
from agent.inbound.lead import parse_lead
from agent.people.export import export_person
from agent.people.forget import forget
from agent.replies.tables import ReferredContact, Reply
from agent.store.db import record_event
from agent.store.tables import Account, Base, Contact, OutboxMessage, Source, import_all_tables
from agent.suppression import is_suppressed, suppress
from agent.workspace import Workspace
from tests.accounts.test_importer import CONTACTS
from tests.conftest import make_workspace, scripted
from tests.replies.conftest import RECEIVED, Seeded, receive, seed

DANA, KIM = "dana@acme-freight.example", "kim@acme-freight.example"
NAME, PHONE, PROFILE = "Dana Doe", "+1 312-555-0188", "https://www.linkedin.com/in/dana-doe-4821"
SECRET = "a-secret-of-thirty-two-characters"
TRANSCRIPT = """---
call_id: call-acme-1
account: Acme Freight
outcome: won
participants: {"Dana Doe": "VP Operations, Acme Freight", "Priya Nair": "AE, Lumen Dock"}
---
Priya Nair: Thanks for the time. What happens when a truck arrives?
Dana Doe: The guard radios the office, and we look the appointment up in a spreadsheet.
Priya Nair: And how long does a driver wait?
Kim Doe: Two hours on a bad day, more in peak season.
"""


def everything_stored(ws: Workspace) -> list[tuple[str, str]]:
    """(table, text) of every row of every table, each value as text."""
    import_all_tables()
    out = []
    with ws.store.transaction() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(table.select()).mappings():
                text = json.dumps({k: v for k, v in row.items()}, default=str, ensure_ascii=False)
                out.append((table.name, text))
    index = call_index(ws.settings)
    chunks = index.collection.get(include=["documents", "metadatas"])
    for text, metadata in zip(chunks["documents"] or [], chunks["metadatas"] or [], strict=True):
        out.append(("chroma", f"{text} {json.dumps(metadata, ensure_ascii=False)}"))
    return out


def naming(ws: Workspace, *needles: str) -> list[tuple[str, str]]:
    return [(table, text) for table, text in everything_stored(ws) if any(n.lower() in text.lower() for n in needles)]


def dana_everywhere(tmp_path: Path, **settings: Any) -> Seeded:
    """Dana in every place the agent keeps people: contact, messages, a reply, a booked meeting and
    its handoff, an inbound lead, a colleague's referral, an event, a saved page, a call transcript."""
    ws = make_workspace(tmp_path, model=scripted({"intent": "meeting_request", "summary": "Wednesday"}), **settings)
    seeded = seed(ws, [DANA, KIM])
    with ws.store.transaction() as session:
        dana = session.scalar(select(Contact).where(Contact.email == DANA))
        assert dana is not None
        dana.phone, dana.linkedin_url = PHONE, PROFILE
        account = session.scalar(select(Account).where(Account.domain == "acme-freight.example"))
        assert account is not None
        session.add(Source(account_id=account.id, kind="news", title="Acme hires", text=f"{NAME} joins Acme as VP.",
                           content_hash="h1"))  # fmt: skip
        record_event(session, "note", data={"who": f"{NAME} <{DANA}>"})
    receive(seeded, DANA, "Wednesday at 2pm works. Send an invite.")
    lead = parse_lead(
        json.dumps({"name": NAME, "email": DANA, "phone": PHONE, "source": "demo request",
                    "message": "Call me about dock scheduling.", "received_at": RECEIVED.isoformat()})
    )  # fmt: skip
    with ws.store.transaction() as session:
        receive_lead(session, lead, seeded.campaign_id, window_minutes=10)
    with ws.store.transaction() as session:
        kims = session.scalar(select(Reply).where(Reply.contact_id == seeded.contacts[KIM]))
        reply = Reply(contact_id=seeded.contacts[KIM], matched_by="address", from_address=KIM, text=f"Ask {NAME}.",
                      received_at=RECEIVED.replace(tzinfo=None), intent="referral", decided_by="rules",
                      confidence=1.0, analysis={"referral": {"name": NAME, "email": DANA}})  # fmt: skip
        assert kims is None
        session.add(reply)
        session.flush()
        session.add(ReferredContact(reply_id=reply.id, referred_by=seeded.contacts[KIM], name=NAME, email=DANA))
    transcript = tmp_path / "call.txt"
    transcript.write_text(TRANSCRIPT)
    ingest(ws.settings, transcript)
    return seeded


def test_after_forgetting_nothing_stored_names_them(tmp_path: Path) -> None:
    seeded = dana_everywhere(tmp_path, erasure_secret=SECRET)
    ws = seeded.ws
    before = {table for table, _ in naming(ws, DANA, NAME, PHONE, PROFILE)}
    assert {"contacts", "outbox", "replies", "handoffs", "meetings", "inbound_leads", "referred_contacts",
            "events", "sources", "chroma"} <= before  # fmt: skip
    summary = forget(ws, DANA)
    assert summary.found and summary.contacts == 1 and summary.call_chunks >= 1
    assert naming(ws, DANA, NAME, PHONE, PROFILE) == []
    # Kim, a colleague, keeps her data; the figures keep their rows
    assert naming(ws, KIM)
    with ws.store.transaction() as session:
        assert is_suppressed(session, DANA) and is_suppressed(session, DANA.upper())
        assert not is_suppressed(session, KIM)
        assert session.scalar(select(OutboxMessage.sent_at).where(OutboxMessage.contact_id == seeded.contacts[DANA]))
    # never imported again, however the address is written
    again = tmp_path / "again.csv"
    again.write_text(CONTACTS + f"{DANA.upper()},Dana,Doe,VP,acme-freight.example,,,\n")
    assert import_file(ws.store, again).suppressed_skipped == [DANA]
    assert naming(ws, DANA, NAME) == []
    # a second request finds nothing left
    assert not forget(ws, DANA).found


def test_export_lists_what_is_held_and_what_names_them(tmp_path: Path) -> None:
    ws = dana_everywhere(tmp_path, erasure_secret=SECRET).ws
    held = json.loads(json.dumps(export_person(ws, DANA.upper()), default=str))
    assert held["address"] == DANA and held["contacts"][0]["phone"] == PHONE
    assert held["replies"][0]["text"].startswith("Wednesday at 2pm")
    assert held["meetings"] and held["handoffs"] and held["inbound_leads"] and held["referrals"]
    assert {m["table"] for m in held["mentioned_in"]} >= {"sources", "events", "replies"}  # Kim's reply names her
    assert any("Dana Doe:" in chunk["text"] for chunk in held["call_chunks"])
    assert held["do_not_contact"]["suppressed"] is False


def test_forgetting_needs_a_real_secret(tmp_path: Path) -> None:
    for secret in (None, "change-me", "short"):
        ws = make_workspace(tmp_path / str(secret), erasure_secret=secret)
        with pytest.raises(ConfigError, match="SDR_ERASURE_SECRET"):
            forget(ws, DANA)


def test_erased_people_are_recognised_only_with_the_secret_they_were_erased_with(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, erasure_secret=SECRET)
    with ws.store.transaction() as session:
        suppress(session, "@elsewhere.example", "manual")
    forget(ws, DANA)
    for other in (None, "another-secret-of-thirty-two-chars"):
        stranger = make_workspace(tmp_path, erasure_secret=other)
        with stranger.store.transaction() as session, pytest.raises(ConfigError, match="SDR_ERASURE_SECRET"):
            is_suppressed(session, KIM)  # a send or an import stops rather than miss an erased person
    with make_workspace(tmp_path, erasure_secret=SECRET).store.transaction() as session:
        assert is_suppressed(session, DANA) and not is_suppressed(session, KIM)
        assert is_suppressed(session, "x@elsewhere.example")


@pytest.mark.parametrize("secret", [SECRET, None])
def test_the_look_for_erased_entries_seeks_in_their_own_index_however_many_there_are(
    tmp_path: Path, secret: str | None
) -> None:
    # Every transaction that checks a suppression first makes sure no erased entry was made with another
    # key (or, without a secret, that there is none): with the whole list read for it, 100,000
    # suppressions cost 8 ms a transaction; with every erased entry read, 10,000 erased people cost
    # 7.6 ms (0.3 ms seeking, bench/suppressions.py).
    ws = make_workspace(tmp_path, erasure_secret=secret)
    if secret:
        forget(ws, DANA)
    statements: list[tuple[str, Any]] = []
    event.listen(
        ws.store.engine, "before_cursor_execute", lambda _c, _k, sql, params, *_: statements.append((sql, params))
    )
    with ws.store.transaction() as session:
        assert is_suppressed(session, DANA) == bool(secret)
        [(sql, params)] = [(q, p) for q, p in statements if "EXISTS" in q and "suppressions.source" in q]
        plan = [str(row[-1]) for row in session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)]
    seeks = [step for step in plan if "suppressions" in step]
    index = "SEARCH suppressions USING INDEX ix_suppressions_erased"
    assert seeks and all(step.startswith(index) for step in seeks), plan


def test_retention_purges_old_replies_and_bodies_and_keeps_what_waits(tmp_path: Path) -> None:
    from agent.people.retention import PURGED, purge

    seeded = dana_everywhere(tmp_path)
    ws, now = seeded.ws, RECEIVED.replace(tzinfo=None) + timedelta(days=200)
    summary = purge(ws, timedelta(days=180), now)
    assert summary.replies == 2 and summary.messages >= 1 and summary.inbound_leads == 1
    with ws.store.transaction() as session:
        assert {r.text for r in session.scalars(select(Reply))} == {PURGED}
        waiting = session.scalars(select(OutboxMessage).where(OutboxMessage.state.in_(["approved", "pending_review"])))
        assert all(m.body != PURGED for m in waiting)
    assert purge(ws, timedelta(days=180), now).replies == 0
    assert purge(ws, timedelta(days=365), now).messages == 0  # nothing that old
