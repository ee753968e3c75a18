"""One reply, end to end: match it, read it, record it, act on it, draft the answer; and a
person's reading of a reply the agent was unsure of (`decide`), acted on the same way.

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
from sqlalchemy.orm import Session

from agent import outbox, suppression
from agent.campaign import CampaignSpec
from agent.clock import as_utc, utcnow
from agent.errors import UserError
from agent.replies import actions, responses
from agent.replies.classify import ReplyReader
from agent.replies.handoff import unsettled
from agent.replies.ingest import Inbound, parse_message, read_messages
from agent.replies.matching import match
from agent.replies.model import DecidedBy, Flag, Intent, ReplyAnalysis
from agent.replies.tables import NurtureTouch, Reply
from agent.store.db import record_event
from agent.store.tables import Campaign, Contact, OutboxMessage
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
    return ReplyReader.for_workspace(ws.settings.models_dir, ws.llm)


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
    response_id = _respond(ws, reply_id, plan, analysis, inbound.message_id, found.contact_id, now)
    return Handled(
        reply_id, email, analysis.intent, analysis.decided_by, list(analysis.flags), plan.actions, response_id
    )


def _respond(
    ws: Workspace,
    reply_id: int,
    plan: actions.Plan,
    analysis: ReplyAnalysis,
    their_id: str | None,
    contact_id: int | None,
    now: datetime,
) -> int | None:
    """The answer or the booking the plan asked for, drafted after the transaction that acted."""
    if not plan.response or not contact_id:
        return None
    if plan.response == "meeting":
        return actions.route_meeting(ws, reply_id, analysis, their_id, now)
    return responses.draft(ws, reply_id, plan.response, analysis, their_id)


def decide(
    ws: Workspace, reply_id: int, intent: Intent, *, by: str = "a person", now: datetime | None = None
) -> Handled:
    """A person's reading of a reply the agent was unsure of replaces the agent's, and the agent acts
    on it: a held opt-out is confirmed (suppressed for good) or released, what the agent drafted on
    its own reading is cancelled, and the person's intent gets its answer, booking or nurture."""
    now = now or utcnow()
    with ws.store.transaction() as session:
        reply = session.get(Reply, reply_id)
        if reply is None:
            raise UserError(f"reply {reply_id}: no such reply (see `sdr replies list --review`)")
        if not reply.needs_review:
            raise UserError(f"reply {reply_id}: not waiting for a person (read as {reply.intent})")
        analysis = ReplyAnalysis.model_validate(reply.analysis)
        before = analysis.intent
        analysis.intent, analysis.decided_by, analysis.confidence = intent, DecidedBy.person, 1.0
        analysis.flags = [f for f in analysis.flags if f not in (Flag.needs_review, Flag.opt_out_in_doubt)]
        analysis.reasons.append(f"read by {by} as {intent} (the agent read {before})")
        settled = [
            f"{'confirmed' if intent is Intent.unsubscribe else 'released'} the hold on {address}"
            for address in sorted({reply.from_address} | _contact_address(session, reply.contact_id))
            if suppression.settle_hold(
                session, address, opted_out=intent is Intent.unsubscribe, source=f"{by}, reply {reply_id}"
            )
        ]
        superseded = outbox.cancel(
            session,
            session.scalars(select(OutboxMessage).where(OutboxMessage.reply_id == reply_id)),
            f"superseded: {by} read the reply as {intent}",
        )
        for touch in session.scalars(
            select(NurtureTouch).where(NurtureTouch.reply_id == reply_id, NurtureTouch.state == "scheduled")
        ):
            touch.state = "cancelled"
        if reply.contact_id is not None:
            unsettled(session, reply.contact_id, reply_id, None)  # settled: what it changes, the next step says
        campaign = session.get(Campaign, reply.campaign_id) if reply.campaign_id else None
        spec = CampaignSpec.model_validate(campaign.spec) if campaign else None
        plan = actions.act(session, reply, analysis, responses.policy_of(spec), now)
        plan.actions[:0] = settled + ([f"cancelled {superseded} draft(s) of the agent's reading"] if superseded else [])
        reply.intent, reply.decided_by, reply.confidence = intent, DecidedBy.person, 1.0
        reply.needs_review, reply.analysis = False, analysis.model_dump(mode="json")
        reply.actions = [*reply.actions, *plan.actions]
        record_event(
            session,
            "reply_decided",
            campaign_id=reply.campaign_id,
            contact_id=reply.contact_id,
            data={"reply": reply_id, "by": by, "intent": intent, "was": before, "actions": plan.actions},
        )
        their_id, contact_id = reply.message_id, reply.contact_id
        email = session.get_one(Contact, contact_id).email if contact_id else None
    response_id = _respond(ws, reply_id, plan, analysis, their_id, contact_id, now)
    return Handled(reply_id, email, intent, DecidedBy.person, list(analysis.flags), plan.actions, response_id)


def _contact_address(session: Session, contact_id: int | None) -> set[str]:
    contact = session.get(Contact, contact_id) if contact_id else None
    return {contact.email} if contact else set()


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
