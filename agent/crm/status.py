"""`sdr crm status`: what waits to be written to a CRM, what it refused, and the last runs."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select

from agent.crm.activities import pending
from agent.crm.tables import CrmLedgerEntry, CrmSyncRun
from agent.workspace import Workspace


class LastRun(BaseModel):
    action: str
    started_at: datetime
    finished_at: datetime | None
    written: int
    failed: int
    error: str | None


class CrmStatus(BaseModel):
    provider: str
    pending: dict[str, int]  # by kind: not in the CRM yet
    refused: list[str]  # "<kind> <id>: <the CRM's words>", waiting for the next sync
    contacts_linked: int  # local contacts whose CRM id is known
    activities_written: int
    last_sync: LastRun | None
    last_import: LastRun | None


def crm_status(ws: Workspace, provider: str) -> CrmStatus:
    with ws.store.transaction() as session:
        waiting = Counter(str(a.kind) for a in pending(session, provider, ws.settings.crm_source))
        entries = session.scalars(select(CrmLedgerEntry).where(CrmLedgerEntry.provider == provider)).all()
        last = {
            action: session.scalars(
                select(CrmSyncRun)
                .where(CrmSyncRun.provider == provider, CrmSyncRun.action == action)
                .order_by(CrmSyncRun.id.desc())
                .limit(1)
            ).first()
            for action in ("sync", "import")
        }
        runs = {
            action: LastRun.model_validate(run, from_attributes=True) if run else None for action, run in last.items()
        }
        return CrmStatus(
            provider=provider,
            pending=dict(waiting),
            refused=[f"{e.kind} {e.local_id}: {e.error}" for e in entries if e.remote_id is None and e.error],
            contacts_linked=sum(1 for e in entries if e.kind == "contact" and e.remote_id),
            activities_written=sum(1 for e in entries if e.kind != "contact" and e.remote_id),
            last_sync=runs["sync"],
            last_import=runs["import"],
        )
