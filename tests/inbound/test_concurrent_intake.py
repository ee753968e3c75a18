"""Workers filing leads from one new company at the same moment (a team at the company fills in the
form together) all file them under one account: the account and the contacts are written with
INSERT ... ON CONFLICT DO NOTHING and read back. Before, each worker looked for the account, found
none, and created it; on SQLite, where a transaction's reads take no lock, all but one then failed
on the unique domain and their leads went to a person unanswered."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from agent.inbound import intake
from agent.inbound.answer import receive_lead
from agent.inbound.lead import InboundLead
from agent.inbound.tables import LeadRecord
from agent.store import db
from agent.store.tables import Account, Contact
from tests.inbound.conftest import CAMPAIGN, build_desk

WORKERS = 4
DOMAIN = "tidewater-cold.example"


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_workers_filing_leads_from_one_new_company_at_once_file_them_under_one_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store: str, request: pytest.FixtureRequest
) -> None:
    settings = {"database_url": request.getfixturevalue("postgres_url")} if store == "postgresql" else {}
    desk = build_desk(tmp_path, **settings)
    people = [f"person{n}@{DOMAIN}" for n in range(WORKERS)]
    leads = [desk.lead(email=email, name=f"Person {n}", company="Tidewater Cold") for n, email in enumerate(people)]
    ids = [receive_lead(desk.ws, lead, CAMPAIGN).lead_id for lead in leads]
    looked, inserting = threading.Barrier(WORKERS), threading.Barrier(WORKERS)
    accounts: dict[int, int] = {}  # worker -> accounts it inserted
    blanks_only, add_missing = intake._blanks_only, db.add_missing

    def together(*args: Any) -> Any:
        """Every worker has looked for the company (and found none) before any of them writes it."""
        found = blanks_only(*args)
        looked.wait(timeout=30)
        return found

    def all_insert(*args: Any) -> int:
        """Every worker inserts the company at once: all but one meet it there (ON CONFLICT DO NOTHING)."""
        if threading.get_ident() in accounts:  # the account is in; its contact goes on alone
            return add_missing(*args)
        inserting.wait(timeout=30)
        accounts[threading.get_ident()] = add_missing(*args)
        return accounts[threading.get_ident()]

    monkeypatch.setattr(intake, "_blanks_only", together)
    monkeypatch.setattr(db, "add_missing", all_insert)

    def file(lead_id: int) -> intake.Received:  # as a worker files the lead it claimed
        with desk.ws.store.transaction() as session:
            record = session.get_one(LeadRecord, lead_id)
            return intake.file_lead(session, record, InboundLead.model_validate(record.lead, strict=False))

    with ThreadPoolExecutor(WORKERS) as pool:
        filed = list(pool.map(file, ids))
    with desk.ws.store.transaction() as session:
        account_id = session.scalar(select(Account.id).where(Account.domain == DOMAIN))
        assert session.scalar(select(func.count()).select_from(Account).where(Account.domain == DOMAIN)) == 1
        contacts = select(Contact.email, Contact.id, Contact.account_id).where(Contact.email.in_(people))
        by_address = {email: (contact_id, account) for email, contact_id, account in session.execute(contacts)}
    assert [f.account_id for f in filed] == [account_id] * WORKERS
    assert {by_address[email] for email in people} == {(f.contact_id, account_id) for f in filed}
    assert len(by_address) == WORKERS
    assert sorted(accounts.values()) == [0] * (WORKERS - 1) + [1]  # all tried at once; one inserted
