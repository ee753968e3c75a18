"""Rows with a natural key (a company's domain, a person's address, a suppression) are added once and
say whether this call added them, on SQLite and on PostgreSQL alike: the importer counts what it
created from it, `suppress` answers False for an address already suppressed, `sdr run` records an
enrollment only when it made one. (PostgreSQL reports no row count for these inserts: counting it
once made every call look like an insert there.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent.store.db import add_missing, find_or_add
from agent.store.tables import Account, Suppression
from agent.suppression import suppress
from tests.conftest import make_workspace


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_rows_with_a_natural_key_are_added_once_and_say_so(
    tmp_path: Path, store: str, request: pytest.FixtureRequest
) -> None:
    settings = {"database_url": request.getfixturevalue("postgres_url")} if store == "postgresql" else {}
    ws = make_workspace(tmp_path, **settings)
    with ws.store.transaction() as session:
        first, added = find_or_add(session, Account, "domain", {"domain": "once.example", "name": "Once"})
        again, added_again = find_or_add(session, Account, "domain", {"domain": "once.example", "name": "Twice"})
        assert (added, added_again, again.id, again.name) == (True, False, first.id, "Once")
        rows = [{"domain": "once.example", "name": "x"}, {"domain": "new.example", "name": "New"}]
        assert add_missing(session, Account, rows, ("domain",)) == 1
        assert add_missing(session, Account, rows, ("domain",)) == 0
        assert suppress(session, "ana@once.example", "held") is True
        assert suppress(session, "ana@once.example", "held") is False
        assert suppress(session, "ana@once.example", "unsubscribe") is True  # an opt-out supersedes a hold
        assert suppress(session, "ana@once.example", "bounce") is False
        kept = session.scalars(select(Suppression).where(Suppression.value == "ana@once.example")).one()
        assert kept.reason == "unsubscribe"
        assert session.scalar(select(func.count()).select_from(Account)) == 2
