"""Notes to the people who follow inbound leads: at most once per lead, queued as the lead is closed,
through the outbox and the one send path, at once (they are internal: no review, no compliance
footer)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from agent import outbox
from agent.campaign import CampaignSpec
from agent.clock import as_utc
from agent.inbound.tables import LeadRecord
from agent.states import Audience, Origin

NOTIFIER = "policy:inbound_notify"


def queue_notes(
    session: Session, row: LeadRecord, spec: CampaignSpec, to: list[str], subject: str, text: str, now: datetime
) -> list[int]:
    """Queue a note to each address, approved, in the caller's transaction (the one that closes the
    lead: it is told of once it is routed, never routed untold); returns the outbox ids (none if
    already told). The caller sends them."""
    if row.notified_at is not None:
        return []
    row.notified_at = as_utc(now)
    desk = (f"{spec.sender.company} inbound desk", spec.sender.email)
    return [
        outbox.queue(
            session,
            outbox.Envelope(desk, (address, address), Audience.team),
            outbox.Origins(
                Origin.notification, "lead_note", campaign_id=row.campaign_id, contact_id=row.contact_id, lead_id=row.id
            ),
            outbox.Content(subject, text, made_by="rules"),
            approved_by=NOTIFIER,
        ).id
        for address in to
    ]
