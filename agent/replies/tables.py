"""The replies capability's records: each reply and what it decided, the referred colleagues, the
nurture touches it scheduled, and the handoffs to account executives (its answers are in the outbox).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from agent.clock import utcnow
from agent.store.tables import Base


class Disposition(StrEnum):
    opportunity_created = "opportunity_created"
    recycle_to_nurture = "recycle_to_nurture"
    not_qualified = "not_qualified"


class Reply(Base):
    __tablename__ = "replies"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str | None] = mapped_column(String(255), unique=True)  # theirs: ingesting twice is a no-op
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    in_reply_to: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))  # what we sent, when matched
    matched_by: Mapped[str] = mapped_column(String(32))  # in-reply-to, references, address, bounced address, none
    from_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(998), default="")
    text: Mapped[str] = mapped_column(Text)  # the visible reply, quoted history stripped
    received_at: Mapped[datetime]
    source: Mapped[str | None] = mapped_column(String(1024))
    intent: Mapped[str] = mapped_column(String(32), index=True)
    decided_by: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[float]
    needs_review: Mapped[bool] = mapped_column(default=False, index=True)
    analysis: Mapped[dict[str, Any]]  # agent.replies.model.ReplyAnalysis, as JSON
    actions: Mapped[list[Any]] = mapped_column(default=list)  # what the agent did, in order
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReferredContact(Base):
    """A colleague a prospect pointed us to: created for a person to review, never enrolled by itself."""

    __tablename__ = "referred_contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    reply_id: Mapped[int] = mapped_column(ForeignKey("replies.id"), index=True)
    referred_by: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))  # created when an email was given
    name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    title: Mapped[str | None] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(32), default="pending_review")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NurtureTouch(Base):
    """A date to reach a not-now prospect again (or a recycled handoff)."""

    __tablename__ = "nurture_touches"
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id"))
    due_on: Mapped[date] = mapped_column(index=True)
    reason: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16), default="scheduled")  # scheduled, drafted, cancelled
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Handoff(Base):
    """A qualified lead handed to an account executive, closed with exactly one disposition."""

    __tablename__ = "handoffs"
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    next_step: Mapped[str] = mapped_column(String(512))
    checklist: Mapped[dict[str, Any]]
    note: Mapped[str] = mapped_column(Text)  # Markdown, as the AE reads it
    disposition: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    recycle_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]


class MailboxMessage(Base):
    """A message read from an IMAP mailbox: its place there (UIDs are only unique within one
    UIDVALIDITY) and the reply it became, so that no restart handles it twice."""

    __tablename__ = "mailbox_messages"
    __table_args__ = (UniqueConstraint("mailbox", "uidvalidity", "uid"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(512))  # user@host/folder
    uidvalidity: Mapped[int]
    uid: Mapped[int]
    message_id: Mapped[str | None] = mapped_column(String(255), index=True)
    digest: Mapped[str] = mapped_column(String(64), index=True)  # of the raw message: for mail without a Message-ID
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id"))
    filed: Mapped[bool] = mapped_column(default=False)  # moved (or copied) into the folder asked for
    read_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReceivedMail(Base):
    """A message a mail provider's webhook handed over, kept whole before the webhook is answered:
    accepted means stored, and a worker reads and acts on it (once: it claims it first)."""

    __tablename__ = "received_mail"
    id: Mapped[int] = mapped_column(primary_key=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    source: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16), default="received", index=True)  # received, handling, handled
    claimed_by: Mapped[str | None] = mapped_column(String(255))
    claimed_at: Mapped[datetime | None]
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id"))
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None]
