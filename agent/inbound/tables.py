"""The inbound desk's record: every lead as received, where it was routed and why, its first answer,
and the speed-to-lead.

The first answer lives where its kind lives (a meeting offer in `meeting_messages`, an answer to
a question in `reply_responses`); a polite decline is sent by the desk itself, from this row.
Those tables sit on other migration branches, so they are referenced by id without a foreign key.
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
    meeting = "meeting"  # agent.meetings.tables.MeetingMessage
    response = "response"  # agent.replies.tables.Response
    letter = "letter"  # this row's own answer_* columns


class AnswerState(StrEnum):
    none = "none"  # no answer is due
    pending_review = "pending_review"
    approved = "approved"
    sending = "sending"  # claimed by the desk's sender: a crash leaves it for the transport to confirm
    sent = "sent"
    rejected = "rejected"
    blocked = "blocked"  # the address became suppressed before it went out
    failed = "failed"  # the transport refused it, or the answer could not be written

    @classmethod
    def of(cls, state: str) -> AnswerState:
        """The state of a meeting message or a reply response, in the desk's words."""
        if state == "cancelled":  # a response cancelled because the contact opted out
            return cls.blocked
        return cls(state) if state in cls._value2member_map_ else cls.failed


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
    state: Mapped[str] = mapped_column(String(16), default="received")  # received -> answering -> routed
    claimed_at: Mapped[datetime | None]  # when a worker started answering it
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
    answer_via: Mapped[str | None] = mapped_column(String(16))
    answer_ref: Mapped[int | None]  # the MeetingMessage or Response id
    answer_state: Mapped[str] = mapped_column(String(16), default=AnswerState.none)
    answer_subject: Mapped[str | None] = mapped_column(String(255))
    answer_body: Mapped[str | None] = mapped_column(Text)
    answer_made_by: Mapped[str | None] = mapped_column(String(128))
    answer_message_id: Mapped[str | None] = mapped_column(String(255), unique=True)  # ours, for a letter
    reviewer: Mapped[str | None] = mapped_column(String(128))  # who approved the first answer
    checks: Mapped[list[Any]] = mapped_column(default=list)  # [{check, ok, detail}]
    answered_at: Mapped[datetime | None]  # the first answer sent or queued (naive UTC)
    speed_to_lead_seconds: Mapped[float | None]
    sent_at: Mapped[datetime | None]
    notified_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
