"""The SQLite plans of the statements a piece of work runs: for tests and benches that say a look is
made through an index, not by reading a whole table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event


def query_plans(engine: Engine, work: Callable[[], object]) -> list[str]:
    """Run `work`, then ask SQLite how it runs each statement `work` ran: every step, in order."""
    statements: list[tuple[str, Any]] = []

    def keep(_conn: object, _cursor: object, sql: str, params: Any, *_: object) -> None:
        statements.append((sql, params))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    with engine.connect() as connection:
        return [
            str(row[-1])
            for sql, params in statements
            for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
        ]
