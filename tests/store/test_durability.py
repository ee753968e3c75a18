"""A transaction is flushed to the disk when it commits, unless it says nothing outside the store acts
on it before a durable one comes after it (`durable=False`): on SQLite such a commit is left to the
next durable one, which flushes the one write-ahead log both went to."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import PendingRollbackError

from agent.store.db import open_store, record_event
from agent.store.tables import Event

FULL, NORMAL = 2, 1  # PRAGMA synchronous


def test_only_a_transaction_that_says_so_commits_without_its_own_flush(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'sdr.db'}")
    with store.transaction() as session:
        assert session.execute(text("PRAGMA synchronous")).scalar() == FULL
    with store.transaction(durable=False) as session:
        assert session.execute(text("PRAGMA synchronous")).scalar() == NORMAL
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1  # otherwise the same connection
        record_event(session, "relaxed")
    with store.transaction() as session:  # the same database: the next durable commit flushes both
        assert session.execute(text("PRAGMA synchronous")).scalar() == FULL
        record_event(session, "durable")
        assert session.scalar(select(func.count()).select_from(Event)) == 2


def test_a_relaxed_transaction_whose_connection_broke_raises_its_own_error(tmp_path: Path) -> None:
    # A connection invalidated mid-transaction comes back to the pool without its DBAPI connection:
    # resetting its flushing must not hide the transaction's error behind one of its own.
    store = open_store(f"sqlite:///{tmp_path / 'sdr.db'}")
    with pytest.raises(PendingRollbackError), store.transaction(durable=False) as session:
        session.connection().invalidate()
    with store.transaction() as session:
        assert session.execute(text("PRAGMA synchronous")).scalar() == FULL
