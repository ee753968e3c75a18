"""The store: SQLAlchemy tables, migrations and the one way to open a session."""

from agent.store.db import Store, open_store

__all__ = ["Store", "open_store"]
