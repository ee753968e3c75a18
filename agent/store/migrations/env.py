"""Alembic environment: runs on the connection `agent.store.db.migrate` hands it."""

from alembic import context

from agent.store.tables import Base, import_all_tables

import_all_tables()

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
