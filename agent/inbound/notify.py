"""Notes to the people who follow inbound leads: at most once per lead, through the outbox and the
one send path, at once (they are internal: no review, no compliance footer)."""

from __future__ import annotations

from datetime import datetime

from agent import outbox
from agent.campaign import CampaignSpec
from agent.clock import as_utc
from agent.inbound.tables import LeadRecord
from agent.sending.sender import send_due
from agent.states import Audience, Origin
from agent.workspace import Workspace

NOTIFIER = "policy:inbound_notify"


def notify(
    ws: Workspace, lead_id: int, spec: CampaignSpec, to: list[str], subject: str, text: str, now: datetime,
    *, send: bool = True,
) -> list[int]:  # fmt: skip
    """Queue a note to each address and send them (`send`), or leave them approved for the caller's
    next send; returns the outbox ids (none if already told)."""
    with ws.store.transaction() as session:
        row = session.get_one(LeadRecord, lead_id)
        if row.notified_at is not None:
            return []
        row.notified_at = as_utc(now)
        desk = (f"{spec.sender.company} inbound desk", spec.sender.email)
        ids = [
            outbox.queue(
                session,
                outbox.Envelope(desk, (address, address), Audience.team),
                outbox.Origins(
                    Origin.notification,
                    "lead_note",
                    campaign_id=row.campaign_id,
                    contact_id=row.contact_id,
                    lead_id=lead_id,
                ),
                outbox.Content(subject, text, made_by="rules"),
                approved_by=NOTIFIER,
            ).id
            for address in to
        ]
    if send:
        send_due(ws, now=as_utc(now), only=ids)
    return ids
