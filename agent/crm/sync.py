"""`sdr crm sync`: what the CRM does not hold yet, written to it once each.

For each activity, oldest first: the person is found in the CRM (or added), the activity is
upserted by its external id, and the CRM's id goes into the ledger in its own transaction. A write
the CRM refuses (400) is kept with its words and the others go on; refused credentials (401) or a
CRM still busy after the retries stop the sync, and what was written so far stays recorded.
Before writing, it deletes what the agent wrote about people forgotten since (`agent.crm.erasure`).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import update

from agent import clock
from agent.crm import ledger
from agent.crm.activities import pending
from agent.crm.erasure import Erased, erase_requested
from agent.crm.model import Activity, CrmRefused
from agent.crm.providers import Crm, build_crm, configured
from agent.crm.tables import CrmSyncRun
from agent.errors import SdrError
from agent.workspace import Workspace

Progress = Callable[[str, int, int], None]
log = logging.getLogger(__name__)


@dataclass
class SyncSummary:
    provider: str
    pending: int = 0
    written: Counter[str] = field(default_factory=Counter)  # by kind
    refused: list[str] = field(default_factory=list)  # "reply 12: HubSpot: ... 400 ..."
    erased: Erased = field(default_factory=Erased)  # of people forgotten since the last sync

    def as_dict(self) -> dict[str, object]:
        return {
            "provider": self.provider,
            "pending": self.pending,
            "written": dict(self.written),
            "refused": self.refused,
            "erased_activities": self.erased.activities,
            "forgotten_people_records_left": self.erased.records_left,
        }


def start_run(ws: Workspace, provider: str, action: str) -> int:
    with ws.store.transaction() as session:
        run = CrmSyncRun(provider=provider, action=action, written=0, failed=0)
        session.add(run)
        session.flush()
        return run.id


def finish_run(ws: Workspace, run_id: int, *, written: int, failed: int, error: str | None = None) -> None:
    with ws.store.transaction() as session:
        session.execute(
            update(CrmSyncRun)
            .where(CrmSyncRun.id == run_id)
            .values(finished_at=clock.utcnow(), written=written, failed=failed, error=error)
        )


def _person_id(ws: Workspace, crm: Crm, activity: Activity) -> str:
    person = activity.person
    with ws.store.transaction() as session:
        known = ledger.remote_id(session, crm.name, ledger.CONTACT, person.contact_id)
    if known:
        return known
    found = crm.person_id(person)
    with ws.store.transaction() as session:
        ledger.record_written(session, crm.name, ledger.CONTACT, person.contact_id, found)
    return found


def sync_crm(ws: Workspace, crm: Crm, *, progress: Progress | None = None) -> SyncSummary:
    summary = SyncSummary(provider=crm.name)
    with ws.store.transaction() as session:
        activities = pending(session, crm.name, ws.settings.crm_source)
    summary.pending = len(activities)
    run_id = start_run(ws, crm.name, "sync")
    try:
        summary.erased = erase_requested(ws, crm)  # erasure first: a forgotten person waits for nothing
        for done, activity in enumerate(activities, 1):
            try:
                remote = crm.upsert(activity, _person_id(ws, crm, activity))
            except CrmRefused as exc:
                with ws.store.transaction() as session:
                    ledger.record_refused(session, crm.name, activity.kind, activity.local_id, str(exc))
                summary.refused.append(f"{activity.kind} {activity.local_id}: {exc}")
            else:
                with ws.store.transaction() as session:
                    ledger.record_written(session, crm.name, activity.kind, activity.local_id, remote)
                summary.written[activity.kind] += 1
            if progress:
                progress(crm.name, done, len(activities))
    except SdrError as exc:
        finish_run(ws, run_id, written=summary.written.total(), failed=len(summary.refused), error=str(exc))
        raise
    finish_run(ws, run_id, written=summary.written.total(), failed=len(summary.refused))
    return summary


def sync_configured(ws: Workspace) -> list[SyncSummary]:
    """A sync of every CRM with credentials (the worker's schedule): one CRM that refuses or is down
    is logged and the others go on; the next sync starts where this one stopped."""
    done = []
    for name in configured(ws.settings):
        try:
            done.append(sync_crm(ws, build_crm(ws.settings, name)))
        except SdrError as exc:
            log.error("CRM sync with %s stopped: %s", name, exc)
    return done
