"""The sync ledger: what was written to which CRM (by provider, kind and local row), and each sync.

An entry is written in the same transaction that records the CRM's id for it, so a row with a
remote id was written; one without (an `error`) waits for the next sync. The CRM side is keyed too
(an external id it upserts by), so a crash between the CRM's answer and this write creates nothing
twice: the next sync upserts the same object and records its id. An entry about a person who
was forgotten is marked for erasure and erased from the CRM by the next sync (`agent.crm.erasure`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from agent.clock import utcnow
from agent.store.tables import Base


class CrmLedgerEntry(Base):
    __tablename__ = "crm_ledger"
    __table_args__ = (UniqueConstraint("provider", "kind", "local_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # contact, or an ActivityKind
    local_id: Mapped[int]
    remote_id: Mapped[str | None] = mapped_column(String(64))  # None: not written yet (see error)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # The person it is about asked to be forgotten (`sdr people forget`): the next sync deletes the
    # CRM's copy of what the agent wrote, and says which CRM records of the person are the CRM's own.
    erase_requested_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]


class CrmSyncRun(Base):
    """One `sdr crm sync` (or import): when, what it wrote, and why it stopped if it did."""

    __tablename__ = "crm_sync_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32), index=True)
    action: Mapped[str] = mapped_column(String(16))  # sync, import
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    written: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
