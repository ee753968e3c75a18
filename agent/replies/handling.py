"""One reply, end to end: match it, read it, record it, act on it, draft the answer.

`handle_message` is what the inbound server calls with one RFC 5322 message; `ingest_path`
does the same for `.eml` files, an mbox or a maildir. Model calls (reading, drafting) run
outside the write transactions; a message ingested twice (same Message-ID) is handled once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import Message
from pathlib import Path

from sqlalchemy import select

from agent.campaign import CampaignSpec
from agent.clock import as_utc, utcnow
from agent.replies import actions, responses
from agent.replies.classify import ReplyReader
from agent.replies.ingest import Inbound, parse_message, read_messages
from agent.replies.matching import match
from agent.replies.model import Flag
from agent.replies.tables import NurtureTouch, Reply
from agent.store.db import record_event
from agent.store.tables import Campaign, Contact
from agent.workspace import Workspace


@dataclass(frozen=True)
class Handled:
    reply_id: int
    contact: str | None
    intent: str
    decided_by: str
    flags: list[str]
    actions: list[str]
    response_id: int | None
    duplicate: bool = False


def reader_for(ws: Workspace) -> ReplyReader:
    return ReplyReader.for_workspace(ws.settings.workspace / "models", ws.llm)


def _ours(ws: Workspace) -> frozenset[str]:
    with ws.store.transaction() as session:
        specs = [CampaignSpec.model_validate(s) for s in session.scalars(select(Campaign.spec))]
    return frozenset(s.sender.email.lower() for s in specs)


def handle(
    ws: Workspace, inbound: Inbound, *, reader: ReplyReader | None = None, now: datetime | None = None
) -> Handled:
    now = now or utcnow()
    reader = reader or reader_for(ws)
    reader.ours = reader.ours or _ours(ws)
    with ws.store.transaction() as session:
        if (
            inbound.message_id
            and (seen := session.scalar(select(Reply).where(Reply.message_id == inbound.message_id))) is not None
        ):
            return Handled(
                seen.id,
                None,
                seen.intent,
                seen.decided_by,
                seen.analysis.get("flags", []),
                seen.actions,
                None,
                duplicate=True,
            )
        first = match(session, inbound)
        contact = session.get(Contact, first.contact_id) if first.contact_id else None
        timezone, contact_id = (contact.timezone if contact else None), first.contact_id
    analysis = reader.read(
        inbound,
        timezone=timezone,
        received_at=inbound.received_at or now.replace(tzinfo=UTC),
        ids={"contact_id": contact_id},
    )
    with ws.store.transaction() as session:
        found = match(session, inbound, analysis.bounced_address)
        campaign = session.get(Campaign, found.campaign_id) if found.campaign_id else None
        spec = CampaignSpec.model_validate(campaign.spec) if campaign else None
        if found.contact_id is None:
            analysis.flag(Flag.needs_review)
        reply = Reply(
            message_id=inbound.message_id,
            contact_id=found.contact_id,
            campaign_id=found.campaign_id,
            in_reply_to=found.outbox_id,
            matched_by=found.matched_by,
            from_address=inbound.from_address,
            subject=inbound.subject[:998],
            text=inbound.visible,
            received_at=as_utc(inbound.received_at) if inbound.received_at else now,
            source=inbound.source or None,
            intent=analysis.intent,
            decided_by=analysis.decided_by,
            confidence=analysis.confidence,
            needs_review=Flag.needs_review in analysis.flags,
            analysis=analysis.model_dump(mode="json"),
        )
        session.add(reply)
        session.flush()
        plan = actions.act(session, reply, analysis, responses.policy_of(spec), now)
        reply.actions = plan.actions
        record_event(
            session,
            "reply_received",
            campaign_id=found.campaign_id,
            contact_id=found.contact_id,
            data={
                "reply": reply.id,
                "intent": analysis.intent,
                "decided_by": analysis.decided_by,
                "flags": analysis.flags,
                "actions": plan.actions,
            },
        )
        reply_id, email = reply.id, session.get_one(Contact, found.contact_id).email if found.contact_id else None
    response_id = None
    if plan.response and found.contact_id:
        if plan.response == "meeting":
            response_id = actions.route_meeting(ws, reply_id, analysis, inbound.message_id, now)
        else:
            response_id = responses.draft(ws, reply_id, plan.response, analysis, inbound.message_id)
    return Handled(
        reply_id, email, analysis.intent, analysis.decided_by, list(analysis.flags), plan.actions, response_id
    )


def handle_message(ws: Workspace, message: Message, *, source: str = "", reader: ReplyReader | None = None) -> Handled:
    """The inbound server's entry point: one received message."""
    return handle(ws, parse_message(message, source=source), reader=reader)


def ingest_path(ws: Workspace, path: Path, progress: Callable[[Handled], None] | None = None) -> Iterator[Handled]:
    reader = reader_for(ws)
    for source, message in read_messages(path):
        handled = handle(ws, parse_message(message, source=source), reader=reader)
        if progress:
            progress(handled)
        yield handled


def due_touches(ws: Workspace, today: date | None = None) -> list[int]:
    """Nurture touches whose date has come: a drafted message each, for review."""
    today = today or utcnow().date()
    with ws.store.transaction() as session:
        due = [
            (t.id, t.contact_id, t.campaign_id, t.reply_id)
            for t in session.scalars(
                select(NurtureTouch).where(NurtureTouch.state == "scheduled", NurtureTouch.due_on <= today)
            )
        ]
    drafted = []
    for touch_id, contact_id, campaign_id, reply_id in due:
        written = responses.write(ws, reply_id, "nurture") if reply_id else None
        stored = (
            responses.store(ws, reply_id, contact_id, campaign_id, "nurture", written, None, None, [])
            if written
            else None
        )
        with ws.store.transaction() as session:
            touch = session.get_one(NurtureTouch, touch_id)
            touch.state = "drafted" if stored else "cancelled"
        if stored:
            drafted.append(stored.id)
    return drafted
