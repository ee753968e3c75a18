"""A no-show, by the campaign's rule (the SDR-AE agreement), so that the prospect hears from exactly
one person: a new offer from the SDR, a follow-up by the AE, or back to nurture with a date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from agent import clock
from agent.errors import NotFound, UserError
from agent.meetings import letters
from agent.meetings.booking import Booker, MeetingOutcome, load_lead, queue_letter
from agent.meetings.tables import Meeting, MeetingStatus
from agent.replies.handoff import recycle
from agent.states import Audience
from agent.store.db import record_event
from agent.workspace import Workspace


def mark_no_show(ws: Workspace, meeting_id: int, *, now: datetime | None = None) -> MeetingOutcome | str:
    """Record a no-show and follow the campaign's rule, so the prospect hears from exactly one person."""
    now = now or clock.now()
    with ws.store.transaction() as session:
        meeting = session.get(Meeting, meeting_id)
        if meeting is None:
            raise NotFound(f"no meeting {meeting_id}")
        if meeting.status != MeetingStatus.booked:
            raise UserError(f"meeting {meeting_id} is {meeting.status}, not booked")
        lead = load_lead(session, meeting.contact_id)
        rule = lead.meetings.no_show
        start = meeting.starts_at.replace(tzinfo=UTC)
        if now < start + timedelta(minutes=rule.after_minutes):
            raise UserError(f"meeting {meeting_id} started less than {rule.after_minutes} minutes ago")
        earlier = session.scalar(
            select(func.count()).where(
                Meeting.contact_id == meeting.contact_id, Meeting.status == MeetingStatus.no_show
            )
        )
        meeting.status = MeetingStatus.no_show
        action = rule.action if rule.action != "rebook" or (earlier or 0) < rule.max_rebooks else rule.then
        follow_up = (now + timedelta(days=rule.recycle_after_days)).date() if action == "recycle" else None
        record_event(
            session, "meeting_no_show", campaign_id=lead.campaign_id, contact_id=lead.contact_id,
            data={"meeting": meeting_id, "action": action, "follow_up_on": str(follow_up) if follow_up else None},
        )  # fmt: skip
        ae = lead.meetings.executive(meeting.ae_email)
        if ae is None:
            raise UserError(f"meeting {meeting_id}: its AE {meeting.ae_email} is no longer in the campaign file")
        if action == "ae_follows_up":
            subject, body = letters.ae_follow_up(lead.people(ae), start)
            queue_letter(
                session, lead, kind="no_show", to=(ae.name, ae.email), subject=subject, body=body,
                audience=Audience.ae, meeting_id=meeting_id, approved_by="policy:to_the_ae",
            )  # fmt: skip
    if action == "rebook":
        lead_in = "Sorry we missed each other. "
        return Booker(ws, lead, ae, None, now).offer(lead_in, reason="no-show: one new offer")
    if action == "recycle":
        assert follow_up is not None
        recycle(ws, lead.contact_id, lead.campaign_id, follow_up, f"no-show {(earlier or 0) + 1}: the campaign's rule")
        return f"no-show: back to nurture, follow up on {follow_up}"
    return "no-show: the AE follows up; the SDR stays silent"
