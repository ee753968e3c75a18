"""Open the store, bring its schema up to date, and hand out transactional sessions."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, inspect, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from agent.store.tables import Base, Event

MIGRATIONS = Path(__file__).with_name("migrations")
# Alembic's migration context is global to the process: one migration at a time in it.
_MIGRATING = threading.Lock()
# On a server database, processes that open the store at once (a sender, the server) take turns.
_MIGRATION_LOCK_KEY = 0x5D12A6E7
Row = TypeVar("Row", bound=Base)
_RELAXED = "sdr_relaxed"  # a pooled connection's mark: a relaxed transaction set it to flush less


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets `sdr review` read while `sdr send --watch` writes; busy_timeout waits out locks.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_flush_on_commit(dbapi_connection: Any, record: Any) -> None:
    """Back in the pool, a connection a relaxed transaction used flushes its commits again (one that
    was invalidated comes back without its DBAPI connection: a new one opens with the defaults)."""
    if record.info.pop(_RELAXED, False) and dbapi_connection is not None:
        dbapi_connection.execute("PRAGMA synchronous=FULL")


class Store:
    def __init__(self, engine: Engine, info: dict[str, Any] | None = None) -> None:
        self.engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        # `info`: what every session carries (Session.info), e.g. the key that recognises erased addresses
        self._sessions = sessionmaker(engine, expire_on_commit=False, info=info or {})

    @contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[Session]:
        """One unit of work: committed whole on success, rolled back whole on any error.

        `durable=False` is for writes that nothing outside the store acts on before a durable
        transaction comes after them: research, a lead's filing, an answer queued (the send claims it
        in a durable transaction before anything leaves). On SQLite such a commit is not flushed to the
        disk on its own (synchronous=NORMAL: 0.19 -> 0.02 ms a commit); the next durable commit flushes
        it with its own, since both go to the one write-ahead log. It survives the process being
        killed as any commit does; only a power cut may undo it, and then the work is done again from
        what was durable. Elsewhere it is an ordinary transaction."""
        with self._sessions.begin() as session:
            if not durable and self._sqlite:
                record = session.connection().connection  # this transaction's, until it is back in the pool
                record.info[_RELAXED] = True
                record.dbapi_connection.execute("PRAGMA synchronous=NORMAL")  # type: ignore[union-attr]
            yield session

    def session(self) -> Session:
        return self._sessions()


def migrate(engine: Engine) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with _MIGRATING, engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # SQLite rebuilds a table to change it: references are checked once, after (below)
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
                config.attributes["connection"] = connection
                # "heads": capabilities add their tables on branches of their own off the initial schema.
                command.upgrade(config, "heads")
                if sqlite and (broken := connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()):
                    raise RuntimeError(f"the store's upgrade left references that point nowhere: {broken[:5]}")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def open_store(url: str, info: dict[str, Any] | None = None) -> Store:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "checkin", _sqlite_flush_on_commit)
    migrate(engine)
    return Store(engine, info)


def record_event(session: Session, kind: str, **fields: Any) -> Event:
    data = fields.pop("data", None) or {}
    row = Event(kind=kind, data=data, **fields)
    session.add(row)
    return row


def add_missing(session: Session, table: type[Base], rows: list[dict[str, Any]], unique: tuple[str, ...]) -> int:
    """Insert the rows whose `unique` key is not in the table yet, and skip the others, in one statement
    (INSERT ... ON CONFLICT DO NOTHING): processes writing the same row at once both succeed, where a
    look-then-insert lets one of them fail on the unique key. Returns how many rows it inserted."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).on_conflict_do_nothing(index_elements=list(unique))
    added = 0
    # The rows as parameters, not in the statement: it is compiled once and cached (with the rows in
    # it, compiled on every call: 0.30 against 0.15 ms a call of one row). Rows naming the same columns go together.
    alike: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        alike.setdefault(tuple(row), []).append(row)
    for group in alike.values():
        # Counted from RETURNING, which names only the rows inserted: the ORM's rowcount is -1 on PostgreSQL.
        added += len(session.execute(statement.returning(*inspect(table).primary_key), group).all())
    return added


def find_or_add(session: Session, table: type[Row], key: str, values: dict[str, Any]) -> tuple[Row, bool]:
    """The row whose unique `key` column holds `values[key]`, and whether this call added it. Looked for
    first (most such rows are there); a missing one is inserted unless it is there by then, and read
    back: another process may be writing the same row at this moment (two leads from one new company),
    where inserting after looking would fail on the unique key."""
    column = getattr(table, key)
    found = session.scalars(select(table).where(column == values[key])).one_or_none()
    if found is not None:
        return found, False
    added = add_missing(session, table, [values], (key,))
    return session.scalars(select(table).where(column == values[key])).one(), bool(added)
