"""`sdr people purge --older-than 180d` (or `SDR_RETENTION_DAYS`): what people wrote and what was
written to them is kept only as long as it is useful.

Older than the cut-off: a reply's text, subject and reading; a finished message's body, invitation,
attachments and the reviews' copies of its text; an inbound lead's form as sent. What the funnel's
figures need stays (dates, states, intents, routes), and so does whatever is still waiting for
someone (a message not yet sent or settled).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from agent.errors import UserError
from agent.inbound.tables import LeadRecord
from agent.replies.tables import Reply
from agent.states import FINISHED, OutboxState
from agent.store.db import record_event
from agent.store.tables import OutboxMessage, Review
from agent.workspace import Workspace

PURGED = "[purged: older than the retention period]"
_PERIOD = re.compile(r"^\s*(\d+)\s*([dw]?)\s*$")


def retention_period(text: str) -> timedelta:
    """`90`, `90d` or `26w` as a period; a UserError for anything else."""
    match = _PERIOD.match(text.lower())
    if not match or int(match[1]) == 0:
        raise UserError(f"--older-than {text!r}: give a number of days or weeks, e.g. 180d or 26w")
    return timedelta(days=int(match[1]) * (7 if match[2] == "w" else 1))


@dataclass
class PurgeSummary:
    cut_off: datetime
    replies: int = 0
    messages: int = 0
    inbound_leads: int = 0


def purge(ws: Workspace, older_than: timedelta, now: datetime) -> PurgeSummary:
    """Purge what is older than `older_than` before `now` (naive UTC, as stored); running it again
    purges nothing more."""
    summary = PurgeSummary(cut_off=now - older_than)
    with ws.store.transaction() as session:
        for reply in session.scalars(select(Reply).where(Reply.received_at < summary.cut_off, Reply.text != PURGED)):
            reply.text, reply.subject, reply.source, reply.analysis, reply.actions = PURGED, "", None, {}, []
            summary.replies += 1
        settled = [*FINISHED, OutboxState.failed]
        old = func.coalesce(OutboxMessage.sent_at, OutboxMessage.updated_at) < summary.cut_off
        for message in session.scalars(
            select(OutboxMessage).where(old, OutboxMessage.state.in_(settled), OutboxMessage.body != PURGED)
        ):
            message.body, message.ics, message.attachments, message.claims, message.snippets = PURGED, None, [], [], []
            for review in session.scalars(select(Review).where(Review.outbox_id == message.id)):
                review.before, review.after = None, None
            summary.messages += 1
        for lead in session.scalars(select(LeadRecord).where(LeadRecord.received_at < summary.cut_off)):
            if lead.lead:
                lead.lead = {}
                summary.inbound_leads += 1
        record_event(
            session,
            "purged",
            data={
                "cut_off": summary.cut_off.isoformat(),
                "replies": summary.replies,
                "messages": summary.messages,
                "inbound_leads": summary.inbound_leads,
            },
        )
    return summary
