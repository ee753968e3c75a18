"""The inbound desk's record: every lead as received, where it was routed and why, and the
speed-to-lead. Its first answer is a message in the outbox (`answer_id`), whose state is the
answer's state: nothing about it is kept twice.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from agent.clock import utcnow
from agent.store.tables import Base


class Route(StrEnum):
    meeting = "meeting"  # a fit that wants to talk: real slots on an AE's calendar
    answer = "answer"  # a fit with a question: the answer, and an offer to talk
    review = "review"  # a partial fit, or a fit whose ask is unclear: a person decides
    not_qualified = "not_qualified"  # student, job seeker, vendor, competitor, outside the ICP
    do_not_contact = "do_not_contact"  # opted out in the message, or already suppressed
    flagged = "flagged"  # spam or an attempt to steer the agent: no answer, a person looks
    duplicate = "duplicate"  # the same address again within minutes: one answer only


class AnswerVia(StrEnum):
    """How the first answer was written."""

    meeting = "meeting"  # the meetings capability offered slots or booked the time named
    response = "response"  # an answer to a question, where the conversation continues like a reply's
    letter = "letter"  # a holding answer or a polite decline


class AnswerState(StrEnum):
    """The first answer's state: its outbox message's, or `none` (no answer is due) or `failed`
    (it could not be written: a person takes the lead)."""

    none = "none"
    pending_review = "pending_review"
    flagged = "flagged"
    approved = "approved"
    sending = "sending"
    sent = "sent"
    uncertain = "uncertain"
    failed = "failed"
    blocked = "blocked"
    rejected = "rejected"
    cancelled = "cancelled"


class LeadRecord(Base):
    __tablename__ = "inbound_leads"
    __table_args__ = (Index("ix_inbound_leads_email_received", "email", "received_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    received_at: Mapped[datetime]  # naive UTC; the lead as sent keeps its offset
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(255))
    company: Mapped[str | None] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(255))
    lead: Mapped[dict[str, Any]]  # agent.inbound.lead.InboundLead, as received
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("inbound_leads.id"))
    # received -> answering -> routed; indexed: a worker's claim reads the waiting ones, oldest first
    state: Mapped[str] = mapped_column(String(16), default="received", index=True)
    claimed_at: Mapped[datetime | None]  # when a worker started answering it
    claimed_by: Mapped[str | None] = mapped_column(String(255))  # which worker (agent.claims)
    route: Mapped[str | None] = mapped_column(String(32), index=True)
    reasons: Mapped[list[Any]] = mapped_column(default=list)  # why this route, in order
    disposition: Mapped[str | None] = mapped_column(String(32))  # not_qualified
    disposition_reason: Mapped[str | None] = mapped_column(Text)
    needs_review: Mapped[bool] = mapped_column(default=False, index=True)
    fit: Mapped[float | None]
    priority: Mapped[float | None]
    persona: Mapped[str | None] = mapped_column(String(64))
    intent: Mapped[str | None] = mapped_column(String(32))
    flags: Mapped[list[Any]] = mapped_column(default=list)
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))  # the first answer
    answered_at: Mapped[datetime | None]  # the first answer sent or queued (naive UTC)
    speed_to_lead_seconds: Mapped[float | None]
    notified_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
