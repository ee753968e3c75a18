"""The sync ledger's reads and writes (`tables.CrmLedgerEntry`): what each provider holds of ours."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agent.crm.tables import CrmLedgerEntry

CONTACT = "contact"  # a local contact's id in the CRM (imported from it, found or added there)


def remote_id(session: Session, provider: str, kind: str, local_id: int) -> str | None:
    return session.scalar(
        select(CrmLedgerEntry.remote_id).where(
            CrmLedgerEntry.provider == provider, CrmLedgerEntry.kind == kind, CrmLedgerEntry.local_id == local_id
        )
    )


def _entry(session: Session, provider: str, kind: str, local_id: int) -> CrmLedgerEntry:
    entry = session.scalar(
        select(CrmLedgerEntry).where(
            CrmLedgerEntry.provider == provider, CrmLedgerEntry.kind == kind, CrmLedgerEntry.local_id == local_id
        )
    )
    if entry is None:
        entry = CrmLedgerEntry(provider=provider, kind=kind, local_id=local_id, attempts=0)
        try:
            with session.begin_nested():  # another sync recorded it meanwhile: use theirs
                session.add(entry)
        except IntegrityError:
            return _entry(session, provider, kind, local_id)
    return entry


def record_written(session: Session, provider: str, kind: str, local_id: int, remote: str) -> None:
    entry = _entry(session, provider, kind, local_id)
    entry.remote_id, entry.error = remote, None
    entry.attempts += 1


def record_refused(session: Session, provider: str, kind: str, local_id: int, error: str) -> None:
    """The CRM refused it: kept with the CRM's words, tried again by the next sync."""
    entry = _entry(session, provider, kind, local_id)
    entry.error = error
    entry.attempts += 1
