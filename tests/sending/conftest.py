"""The live PostgreSQL of the store's tests, for the senders that race on it."""

from tests.store.conftest import postgres, postgres_url  # noqa: F401 (fixtures)
