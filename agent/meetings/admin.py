"""Meetings for people: the list, and the demo's calendars."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import select

from agent.campaign.meetings import MeetingsSpec
from agent.meetings import letters
from agent.meetings.tables import Meeting
from agent.store.tables import Contact
from agent.workspace import Workspace


class MeetingRow(BaseModel):
    id: int
    contact: str
    contact_email: str
    account: str
    ae: str
    start: datetime
    ae_local: str
    prospect_local: str
    status: str
    sequence: int
    routing: str
    made_by: str


def list_meetings(ws: Workspace, *, status: str | None = None) -> list[MeetingRow]:
    with ws.store.transaction() as session:
        query = select(Meeting).order_by(Meeting.starts_at)
        if status:
            query = query.where(Meeting.status == status)
        rows = []
        for meeting in session.scalars(query):
            contact = session.get_one(Contact, meeting.contact_id)
            start = meeting.starts_at.replace(tzinfo=UTC)
            rows.append(
                MeetingRow(
                    id=meeting.id,
                    contact=contact.full_name,
                    contact_email=contact.email,
                    account=contact.account.name,
                    ae=meeting.ae_name,
                    start=start,
                    ae_local=letters.when(start, meeting.ae_timezone),
                    prospect_local=letters.when(start, meeting.prospect_timezone),
                    status=meeting.status,
                    sequence=meeting.sequence,
                    routing=str(meeting.routing.get("reason", "")),
                    made_by=meeting.made_by,
                )
            )
        return rows


def seed_calendars(ws: Workspace, spec: MeetingsSpec, source: Path) -> list[Path]:
    """Copy `<slug>.ics` from `source` to each AE's `.ics` path in the workspace, where none exists yet."""
    written = []
    for ae in spec.account_executives:
        if ae.calendar.ics is None:
            continue
        target = ws.settings.workspace / ae.calendar.ics
        origin = source / f"{ae.slug}.ics"
        if origin.is_file() and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(origin, target)
            written.append(target)
    return written
