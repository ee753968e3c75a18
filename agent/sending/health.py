"""Mailboxes that stay healthy: each mailbox's cap for today (warm-up included), and circuit breakers
that stop a mailbox, or the whole campaign, when its bounces, complaints or opt-outs over a rolling
window pass the campaign's limits. A tripped breaker stays tripped until a person resumes it
(`sdr mailboxes resume`): the cause (a bad list, a burned domain) needs a person, not time.

A bounce or an opt-out counts against the mailbox that wrote to that person: the message it
answers, or else the last one we sent them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from agent.campaign import CampaignSpec
from agent.campaign.mailboxes import Mailbox
from agent.errors import NotFound
from agent.replies.model import Intent
from agent.replies.tables import Reply
from agent.states import OutboxState
from agent.store.db import record_event
from agent.store.tables import MailboxPause, OutboxMessage, Suppression


@dataclass(frozen=True)
class Rates:
    sent: int
    bounced: int
    complained: int
    opted_out: int

    def over(self, spec: CampaignSpec, min_sent: int | None = None) -> str | None:
        """Why the limits are passed, or None (also None before enough was sent to judge)."""
        health = spec.health
        if self.sent < (min_sent or health.min_sent):
            return None
        for label, count, limit in (
            ("bounce", self.bounced, health.max_bounce_rate),
            ("complaint", self.complained, health.max_complaint_rate),
            ("opt-out", self.opted_out, health.max_opt_out_rate),
        ):
            if count / self.sent > limit:
                return (
                    f"{label} rate {count / self.sent:.1%} over the last {health.window_days} days "
                    f"({count} of {self.sent} sent; the limit is {limit:.1%})"
                )
        return None


def cap_today(box: Mailbox, today: date) -> int:
    return box.warmup.cap_on(today, box.daily_cap) if box.warmup else box.daily_cap


def mailbox_of(spec: CampaignSpec, address: str) -> Mailbox:
    """The campaign's settings for a mailbox (one no longer listed keeps the sender's cap)."""
    found = next((m for m in spec.sender.all_mailboxes() if m.email == address), None)
    return found or Mailbox(email=address, name=spec.sender.name, daily_cap=spec.sender.daily_cap)


def rates(
    session: Session, campaign_id: int, mailbox: str | None, since: datetime, excluding: frozenset[str] = frozenset()
) -> Rates:
    """Sent, bounced, complained and opted out since `since`, for one mailbox or the whole campaign
    (without the mailboxes `excluding`)."""
    ours = OutboxMessage.campaign_id == campaign_id
    sent_by: ColumnElement[bool] = ours
    if mailbox:
        sent_by = ours & (OutboxMessage.from_address == mailbox)
    elif excluding:
        sent_by = ours & OutboxMessage.from_address.not_in(excluding)
    sent = (
        session.scalar(
            select(func.count()).where(
                sent_by,
                OutboxMessage.channel == "email",
                OutboxMessage.state == OutboxState.sent,
                OutboxMessage.sent_at >= since,
            )
        )
        or 0
    )
    last_writer = (
        select(OutboxMessage.from_address)
        .where(ours, OutboxMessage.contact_id == Reply.contact_id, OutboxMessage.state == OutboxState.sent)
        .order_by(OutboxMessage.sent_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    answered = select(OutboxMessage.from_address).where(OutboxMessage.id == Reply.in_reply_to).scalar_subquery()
    writer = func.coalesce(answered, last_writer)

    def replies(intent: Intent) -> int:
        where = [Reply.campaign_id == campaign_id, Reply.intent == intent, Reply.received_at >= since]
        if mailbox:
            where.append(writer == mailbox)
        elif excluding:
            where.append(writer.not_in(excluding))
        return session.scalar(select(func.count()).select_from(Reply).where(*where)) or 0

    complaint_writer = (
        select(OutboxMessage.from_address)
        .where(ours, OutboxMessage.to_address == Suppression.value, OutboxMessage.state == OutboxState.sent)
        .order_by(OutboxMessage.sent_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    complaints = [Suppression.reason == "complaint", Suppression.created_at >= since, complaint_writer.is_not(None)]
    if mailbox:
        complaints.append(complaint_writer == mailbox)
    elif excluding:
        complaints.append(complaint_writer.not_in(excluding))
    complained = session.scalar(select(func.count()).select_from(Suppression).where(*complaints)) or 0
    return Rates(sent, replies(Intent.bounce), complained, replies(Intent.unsubscribe))


def pauses(session: Session, campaign_id: int) -> dict[str | None, MailboxPause]:
    """The open pauses: by mailbox, and None for the whole campaign."""
    rows = session.scalars(
        select(MailboxPause).where(MailboxPause.campaign_id == campaign_id, MailboxPause.resumed_at.is_(None))
    ).all()
    return {row.mailbox: row for row in rows}


def check(session: Session, campaign_id: int, spec: CampaignSpec, now: datetime) -> list[MailboxPause]:
    """Trip the breakers whose limits are passed now; returns the pauses made.

    Mailboxes first, each judged once it sent `min_sent`; then the whole campaign over the mailboxes
    still sending, judged once they sent `min_sent` each: one bad mailbox stops itself, not the
    others, and the campaign stops when the trouble is everywhere (a bad list, a burned domain).
    """
    since = now - timedelta(days=spec.health.window_days)
    open_ = pauses(session, campaign_id)
    made = []

    def trip(mailbox: str | None, why: str) -> None:
        pause = MailboxPause(campaign_id=campaign_id, mailbox=mailbox, reason=why, paused_at=now)
        session.add(pause)
        record_event(session, "mailbox_paused", campaign_id=campaign_id, data={"mailbox": mailbox, "reason": why})
        made.append(pause)
        open_[mailbox] = pause

    boxes = [m.email for m in spec.sender.all_mailboxes()]
    for mailbox in boxes:
        if mailbox not in open_ and (why := rates(session, campaign_id, mailbox, since).over(spec)):
            trip(mailbox, why)
    stopped = frozenset(m for m in open_ if m is not None)
    sending = [m for m in boxes if m not in stopped]
    if None not in open_ and sending:
        campaign = rates(session, campaign_id, None, since, excluding=stopped)
        if why := campaign.over(spec, min_sent=spec.health.min_sent * len(sending)):
            trip(None, why)
    return made


def resume(session: Session, campaign_id: int, mailbox: str | None, who: str, now: datetime) -> None:
    pause = pauses(session, campaign_id).get(mailbox)
    if pause is None:
        raise NotFound(f"{mailbox or 'the campaign'} is not paused")
    pause.resumed_at, pause.resumed_by = now, who
    record_event(session, "mailbox_resumed", campaign_id=campaign_id, data={"mailbox": mailbox, "by": who})
