"""The outbox: every message the agent sends to anyone waits here, in one lifecycle.

Capabilities compose a message and `queue` it: it is blocked if the address is suppressed,
flagged if it failed its checks, approved if a policy the campaign states lets it go, and
otherwise waits for a person. People approve, reject, retry a refused one, or say whether an
uncertain one went out; every decision is kept (`reviews`). Only `agent.sending` delivers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from agent.campaign import CampaignSpec
from agent.campaign.mailboxes import mailbox_for
from agent.clock import utcnow
from agent.errors import NotFound, UserError
from agent.states import AWAITING_PERSON, UNSENT, Audience, Origin, OutboxState
from agent.store.db import record_event
from agent.store.tables import OutboxMessage, Review
from agent.suppression import is_suppressed

# Which state may follow which: anything else is a bug, refused loudly.
MOVES: dict[OutboxState, set[OutboxState]] = {
    OutboxState.pending_review: {
        OutboxState.pending_review,
        OutboxState.flagged,
        OutboxState.approved,
        OutboxState.rejected,
        OutboxState.blocked,
        OutboxState.cancelled,
    },
    OutboxState.flagged: {
        OutboxState.pending_review,
        OutboxState.flagged,
        OutboxState.rejected,
        OutboxState.blocked,
        OutboxState.cancelled,
    },
    OutboxState.approved: {
        OutboxState.pending_review,
        OutboxState.flagged,
        OutboxState.sending,
        OutboxState.rejected,
        OutboxState.blocked,
        OutboxState.cancelled,
    },
    OutboxState.sending: {OutboxState.sent, OutboxState.uncertain, OutboxState.failed, OutboxState.approved},
    OutboxState.uncertain: {OutboxState.sent, OutboxState.approved},
    OutboxState.failed: {OutboxState.approved, OutboxState.rejected, OutboxState.blocked},
    OutboxState.sent: set(),
    OutboxState.blocked: set(),
    OutboxState.rejected: set(),
    OutboxState.cancelled: set(),
}
REJECT_REASONS = ("off-brand or wrong tone", "wrong facts", "not relevant to them", "bad timing", "other")


class Conflict(UserError):
    """Someone else (a reviewer, a sender) moved the message first: this change was not made."""


def move(session: Session, row: OutboxMessage, to: OutboxState, **values: Any) -> None:
    """Compare-and-set: the message moves only if it is still in the state this session read, so of
    two writers at once (two reviewers, two senders) exactly one wins; the other gets `Conflict`.
    The row holds what was written (not read back: the update says it all)."""
    seen = OutboxState(row.state)
    if to not in MOVES[seen]:
        raise AssertionError(f"outbox message {row.id}: {seen} -> {to} is not a move of the lifecycle")
    values = {"state": to, "updated_at": utcnow(), **values}
    done = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row.id, OutboxMessage.state == seen)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(row)
        raise Conflict(f"message {row.id} is {row.state} now (someone else decided it meanwhile): nothing changed")
    for key, value in values.items():
        set_committed_value(row, key, value)


@dataclass(frozen=True)
class Envelope:
    """Who a message goes from and to: (name, address) pairs."""

    sender: tuple[str, str]
    to: tuple[str, str]
    audience: Audience = Audience.prospect
    channel: str = "email"


@dataclass(frozen=True)
class Origins:
    """Where a message came from: the rows it answers or belongs to."""

    origin: Origin
    kind: str
    campaign_id: int | None = None
    contact_id: int | None = None
    enrollment_id: int | None = None
    step_number: int | None = None
    reply_id: int | None = None
    meeting_id: int | None = None
    lead_id: int | None = None


@dataclass(frozen=True)
class Content:
    subject: str | None
    body: str
    thread: Sequence[str] = ()  # Message-IDs it answers, oldest first
    ics: str | None = None
    attachments: Sequence[dict[str, Any]] = ()
    headers: dict[str, str] = field(default_factory=dict)
    claims: Sequence[dict[str, Any]] = ()
    checks: Sequence[dict[str, Any]] = ()  # [{check, ok, detail}]
    snippets: Sequence[dict[str, Any]] = ()
    made_by: str = "template"
    prompt_version: str | None = None


def queue(
    session: Session,
    envelope: Envelope,
    origins: Origins,
    content: Content,
    *,
    approved_by: str | None = None,
    priority: float = 0.0,
) -> OutboxMessage:
    """Put a message in the outbox: blocked (suppressed), flagged (a check failed), approved
    (`approved_by` names the policy or person), or awaiting review."""
    if is_suppressed(session, envelope.to[1]):
        state = OutboxState.blocked
    elif any(not c["ok"] for c in content.checks):
        state = OutboxState.flagged
    elif approved_by:
        state = OutboxState.approved
    else:
        state = OutboxState.pending_review
    row = OutboxMessage(
        origin=origins.origin,
        kind=origins.kind,
        audience=envelope.audience,
        channel=envelope.channel,
        campaign_id=origins.campaign_id,
        contact_id=origins.contact_id,
        enrollment_id=origins.enrollment_id,
        step_number=origins.step_number,
        reply_id=origins.reply_id,
        meeting_id=origins.meeting_id,
        lead_id=origins.lead_id,
        from_name=envelope.sender[0],
        from_address=envelope.sender[1],
        to_name=envelope.to[0],
        to_address=envelope.to[1],
        subject=content.subject[:255] if content.subject is not None else None,
        body=content.body,
        thread=list(content.thread),
        ics=content.ics,
        attachments=list(content.attachments),
        headers=dict(content.headers),
        claims=list(content.claims),
        checks=list(content.checks),
        snippets=list(content.snippets),
        made_by=content.made_by,
        prompt_version=content.prompt_version,
        priority=priority,
        state=state,
        reviewer=approved_by if state is OutboxState.approved else None,
    )
    session.add(row)
    session.flush()
    if state is OutboxState.approved and approved_by:
        _keep(session, row, "auto_approve" if approved_by.startswith("policy") else "approve", approved_by)
    record_event(
        session,
        "outbox_queued",
        campaign_id=row.campaign_id,
        contact_id=row.contact_id,
        outbox_id=row.id,
        data={"origin": row.origin, "kind": row.kind, "audience": row.audience, "state": row.state},
    )
    return row


def thread_sender(session: Session, spec: CampaignSpec, contact_id: int | None) -> tuple[str, str]:
    """(name, address) a message to this prospect goes out from: the mailbox their thread is on (the
    last one that wrote to them in this campaign), else the one the campaign gives them."""
    boxes = spec.sender.all_mailboxes()
    if contact_id is None:
        return spec.sender.name, boxes[0].email
    last = session.scalar(
        select(OutboxMessage.from_address)
        .where(
            OutboxMessage.contact_id == contact_id,
            OutboxMessage.audience == Audience.prospect,
            OutboxMessage.state == OutboxState.sent,
            OutboxMessage.from_address.in_([b.email for b in boxes]),
        )
        .order_by(OutboxMessage.sent_at.desc())
        .limit(1)
    )
    box = next((b for b in boxes if b.email == last), None) or mailbox_for(boxes, contact_id)
    return box.name or spec.sender.name, box.email


def get(session: Session, outbox_id: int) -> OutboxMessage:
    row = session.get(OutboxMessage, outbox_id)
    if row is None:
        raise NotFound(f"no message {outbox_id} in the outbox")
    return row


def snapshot(row: OutboxMessage) -> dict[str, Any]:
    return {"subject": row.subject, "body": row.body, "state": row.state, "version": row.version}


def _keep(
    session: Session,
    row: OutboxMessage,
    action: str,
    reviewer: str,
    reason: str | None = None,
    before: dict[str, Any] | None = None,
) -> None:
    session.add(
        Review(outbox_id=row.id, action=action, reviewer=reviewer, reason=reason, before=before, after=snapshot(row))
    )
    record_event(
        session,
        f"outbox_{action}",
        campaign_id=row.campaign_id,
        contact_id=row.contact_id,
        outbox_id=row.id,
        data={"reviewer": reviewer, "reason": reason},
    )


def decide(
    session: Session,
    row: OutboxMessage,
    to: OutboxState,
    action: str,
    reviewer: str,
    reason: str | None = None,
    before: dict[str, Any] | None = None,
) -> None:
    """Move a message and keep the decision, attributed."""
    before = before or snapshot(row)
    move(session, row, to, **({"reviewer": reviewer} if to is OutboxState.approved else {}))
    _keep(session, row, action, reviewer, reason, before)


def approve(session: Session, outbox_ids: Iterable[int], reviewer: str) -> list[int]:
    """Approve messages awaiting review; refuses (changing nothing: the caller's transaction rolls
    back) if any is not awaiting review, e.g. another reviewer decided it first."""
    rows = [get(session, i) for i in outbox_ids]
    for row in rows:
        if row.state != OutboxState.pending_review:
            raise UserError(f"message {row.id} is {row.state}, not pending_review: nothing approved")
    for row in rows:
        decide(session, row, OutboxState.approved, "approve", reviewer)
    return [r.id for r in rows]


def reject(session: Session, outbox_id: int, reason: str, reviewer: str) -> None:
    if not reason.strip():
        raise UserError("a rejection needs a reason (it teaches the next draft)")
    row = get(session, outbox_id)
    allowed = (OutboxState.pending_review, OutboxState.flagged, OutboxState.approved, OutboxState.failed)
    if row.state not in allowed:
        raise UserError(f"message {outbox_id} is {row.state}; it can no longer be rejected")
    decide(session, row, OutboxState.rejected, "reject", reviewer, reason)


def retry(session: Session, outbox_id: int, reviewer: str) -> None:
    """A person sends a message the transport refused once more (after fixing what was wrong)."""
    row = get(session, outbox_id)
    if row.state != OutboxState.failed:
        raise UserError(f"message {outbox_id} is {row.state}, not failed: nothing to retry")
    if is_suppressed(session, row.to_address):
        decide(session, row, OutboxState.blocked, "block", reviewer, "the address is suppressed")
        return
    decide(session, row, OutboxState.approved, "retry", reviewer)


def cancel(session: Session, rows: Iterable[OutboxMessage], reason: str) -> int:
    """No longer wanted (the sequence stopped, the meeting moved, the answer was superseded)."""
    count = 0
    for row in rows:
        if row.state in UNSENT:
            decide(session, row, OutboxState.cancelled, "cancel", "agent", reason)
            count += 1
    return count


def history(session: Session, outbox_id: int) -> list[dict[str, Any]]:
    get(session, outbox_id)
    rows = session.scalars(select(Review).where(Review.outbox_id == outbox_id).order_by(Review.id)).all()
    return [
        {
            "action": r.action,
            "reviewer": r.reviewer,
            "reason": r.reason,
            "at": r.at.isoformat(),
            "before": r.before,
            "after": r.after,
        }
        for r in rows
    ]


def awaiting(session: Session) -> dict[str, int]:
    """How many messages await a person, by origin."""
    rows = session.execute(
        select(OutboxMessage.origin, OutboxMessage.state).where(OutboxMessage.state.in_([*AWAITING_PERSON]))
    ).all()
    counts: dict[str, int] = {}
    for origin, _state in rows:
        counts[origin] = counts.get(origin, 0) + 1
    return counts
