"""A forgotten person's data in the CRMs: what the agent wrote there goes too.

`sdr people forget` marks, in its own transaction, every ledger entry about the person (each
activity the agent wrote and the person's record it wrote them on); the next `sdr crm sync`
deletes those activities in the CRM (one already gone counts as deleted) before it writes anything.
The person's record itself may be the CRM's own (imported from it, or kept by other teams), so it
is not deleted: the sync names it for the CRM's owner to erase with the CRM's own tools.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from agent import clock
from agent.crm import ledger
from agent.crm.model import ActivityKind, CrmRefused
from agent.crm.providers import Crm
from agent.crm.tables import CrmLedgerEntry
from agent.meetings.tables import Meeting
from agent.replies.tables import Handoff, Reply
from agent.store.tables import OutboxMessage
from agent.workspace import Workspace


@dataclass
class Erased:
    activities: int = 0  # deleted in the CRM
    records_left: list[str] = field(default_factory=list)  # the CRM's ids of the people's own records


def request_erasure(session: Session, contact_ids: Sequence[int]) -> int:
    """Mark every ledger entry about these contacts, in every CRM; returns how many were marked."""
    ids = list(contact_ids)
    theirs = {
        ActivityKind.email: select(OutboxMessage.id).where(OutboxMessage.contact_id.in_(ids)),
        ActivityKind.touch: select(OutboxMessage.id).where(OutboxMessage.contact_id.in_(ids)),
        ActivityKind.reply: select(Reply.id).where(Reply.contact_id.in_(ids)),
        ActivityKind.meeting: select(Meeting.id).where(Meeting.contact_id.in_(ids)),
        ActivityKind.handoff: select(Handoff.id).where(Handoff.contact_id.in_(ids)),
    }
    about_them = or_(
        and_(CrmLedgerEntry.kind == ledger.CONTACT, CrmLedgerEntry.local_id.in_(ids)),
        *(and_(CrmLedgerEntry.kind == str(kind), CrmLedgerEntry.local_id.in_(rows)) for kind, rows in theirs.items()),
    )
    entries = session.scalars(
        select(CrmLedgerEntry).where(about_them, CrmLedgerEntry.erase_requested_at.is_(None))
    ).all()
    for entry in entries:
        entry.erase_requested_at = clock.utcnow()
    return len(entries)


def erase_requested(ws: Workspace, crm: Crm) -> Erased:
    """Delete in this CRM what the agent wrote about forgotten people; each deletion recorded as it
    is done, so a sync that stops halfway starts again where it stopped."""
    done = Erased()
    with ws.store.transaction() as session:
        waiting = [
            (e.id, e.kind, e.remote_id)
            for e in session.scalars(
                select(CrmLedgerEntry)
                .where(CrmLedgerEntry.provider == crm.name, CrmLedgerEntry.erase_requested_at.is_not(None))
                .where(CrmLedgerEntry.erased_at.is_(None))
                .order_by(CrmLedgerEntry.id)
            )
        ]
    for entry_id, kind, remote_id in waiting:
        if kind == ledger.CONTACT:
            if remote_id:
                done.records_left.append(remote_id)
        elif remote_id:
            try:
                crm.delete(ActivityKind(kind), remote_id)
            except CrmRefused as exc:
                if exc.status != 404:  # gone already: what erasure wants
                    raise
            done.activities += 1
        with ws.store.transaction() as session:
            entry = session.get_one(CrmLedgerEntry, entry_id)
            entry.erased_at = clock.utcnow()
    return done
