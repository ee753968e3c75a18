"""The system of record: every account, contact, outgoing message, decision and model call.

Tables follow the funnel. State that can be derived (what is due next, a campaign's totals) is
computed from these rows, not stored twice. Times are stored as naive UTC.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy import text as sql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from agent.clock import utcnow
from agent.errors import Replayed
from agent.states import Audience, EnrollmentState, LeadStage, Origin, OutboxState


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012


__all__ = ["Audience", "EnrollmentState", "LeadStage", "Origin", "OutboxState"]  # re-exported for callers

# Capabilities that own tables keep them beside their code, in these modules.
TABLE_MODULES = (
    "agent.replies.tables",
    "agent.meetings.tables",
    "agent.inbound.tables",
    "agent.desk.tables",
    "agent.crm.tables",
)


def import_all_tables() -> None:
    """Register every capability's tables on Base.metadata (for migrations)."""
    import importlib

    for module in TABLE_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if not exc.name or not module.startswith(exc.name):
                raise


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    domain: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    industry: Mapped[str | None] = mapped_column(String(255))
    employees: Mapped[int | None]
    country: Mapped[str | None] = mapped_column(String(64))
    region: Mapped[str | None] = mapped_column(String(128))
    city: Mapped[str | None] = mapped_column(String(128))
    technologies: Mapped[list[Any]] = mapped_column(default=list)
    website: Mapped[str | None] = mapped_column(String(512))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    contacts: Mapped[list[Contact]] = relationship(back_populates="account")


class Contact(Base):
    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    first_name: Mapped[str | None] = mapped_column(String(128))
    last_name: Mapped[str | None] = mapped_column(String(128))
    title: Mapped[str | None] = mapped_column(String(255))
    timezone: Mapped[str | None] = mapped_column(String(64))
    linkedin_url: Mapped[str | None] = mapped_column(String(512))
    phone: Mapped[str | None] = mapped_column(String(64))
    stage: Mapped[LeadStage] = mapped_column(String(32), default=LeadStage.new)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    account: Mapped[Account] = relationship(back_populates="contacts")

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.email


# An erased person's entry is this prefix and a keyed hash of the address (`agent.erasure`). Every
# transaction that looks for suppressions first reads these entries' sources (which key made them):
# they have an index of their own, since a prefix match cannot use the index on the value (the
# whole list was read, 8 ms a transaction with 100,000 suppressions).
ERASED_PREFIX = "erased:"
ERASED = sql(f"value LIKE '{ERASED_PREFIX}%'")


class Suppression(Base):
    """An address or a whole domain never to be written to again. Rows are never deleted, except a
    hold (an opt-out in doubt) that a person releases."""

    __tablename__ = "suppressions"
    __table_args__ = (Index("ix_suppressions_erased", "source", sqlite_where=ERASED, postgresql_where=ERASED),)
    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[str] = mapped_column(String(320), unique=True)  # "a@b.com" or "@b.com"
    reason: Mapped[str] = mapped_column(String(32))  # one of agent.suppression.REASONS
    source: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Campaign(Base):
    __tablename__ = "campaigns"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    file_path: Mapped[str] = mapped_column(String(1024))
    spec: Mapped[dict[str, Any]]
    spec_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Source(Base):
    """A piece of text the research read: a CRM record, a saved page, a fetched site."""

    __tablename__ = "sources"
    __table_args__ = (UniqueConstraint("account_id", "content_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(512))
    uri: Mapped[str | None] = mapped_column(String(1024))
    published_on: Mapped[date | None]
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    retrieved_at: Mapped[datetime] = mapped_column(default=utcnow)


class Brief(Base):
    """What research concluded about an account; every item cites facts from its sources."""

    __tablename__ = "briefs"
    __table_args__ = (UniqueConstraint("account_id", "sources_hash", "made_by"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    sources_hash: Mapped[str] = mapped_column(String(64))
    made_by: Mapped[str] = mapped_column(String(128))
    content: Mapped[dict[str, Any]]  # agent.research.brief.Brief, as JSON
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Score(Base):
    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("campaign_id", "account_id", "contact_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    fit: Mapped[float]
    intent: Mapped[float]
    priority: Mapped[float]
    reasons: Mapped[list[Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Enrollment(Base):
    """A contact's place in a campaign's sequence."""

    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("campaign_id", "contact_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    state: Mapped[EnrollmentState] = mapped_column(String(32), default=EnrollmentState.active, index=True)
    stop_reason: Mapped[str | None] = mapped_column(String(255))
    paused_until: Mapped[datetime | None]
    priority: Mapped[float] = mapped_column(default=0.0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    contact: Mapped[Contact] = relationship()
    campaign: Mapped[Campaign] = relationship()
    steps: Mapped[list[OutboxMessage]] = relationship(back_populates="enrollment", order_by="OutboxMessage.step_number")


class OutboxMessage(Base):
    """Everything the agent sends to anyone, from its draft to its delivery: one row, one lifecycle
    (`OutboxState`). Capabilities compose and queue (`agent.outbox`); only the send path
    (`agent.sending`) hands a message to a transport, and the unique claim on the row (approved ->
    sending, in one conditional update) is what makes sending at-most-once."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "step_number"),
        Index("ix_outbox_state_origin", "state", "origin"),
        Index("ix_outbox_mailbox_claimed", "from_address", "claimed_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    origin: Mapped[Origin] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))  # step; answer, offer_times, nurture; offer, confirm...
    audience: Mapped[Audience] = mapped_column(String(16), default=Audience.prospect)
    channel: Mapped[str] = mapped_column(String(16), default="email")  # email, linkedin, call
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    # Where it came from (capabilities' rows on their own migration branches: ids, no foreign key).
    enrollment_id: Mapped[int | None] = mapped_column(ForeignKey("enrollments.id"), index=True)
    step_number: Mapped[int | None]
    reply_id: Mapped[int | None] = mapped_column(index=True)
    meeting_id: Mapped[int | None] = mapped_column(index=True)
    lead_id: Mapped[int | None] = mapped_column(index=True)
    from_name: Mapped[str] = mapped_column(String(255))
    from_address: Mapped[str] = mapped_column(String(320))  # the mailbox it goes out from
    to_name: Mapped[str] = mapped_column(String(255))
    to_address: Mapped[str] = mapped_column(String(320), index=True)
    subject: Mapped[str | None] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    thread: Mapped[list[Any]] = mapped_column(default=list)  # Message-IDs it answers, oldest first
    ics: Mapped[str | None] = mapped_column(Text)  # an invitation's text/calendar part
    attachments: Mapped[list[Any]] = mapped_column(default=list)  # [{filename, content_type, text}]
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)  # extra headers, e.g. X-SDR-Inbound-Lead
    claims: Mapped[list[Any]] = mapped_column(default=list)  # [{text, fact_id, source_id}]
    checks: Mapped[list[Any]] = mapped_column(default=list)  # [{check, ok, detail}]
    snippets: Mapped[list[Any]] = mapped_column(default=list)  # past-call snippets: [{id, call_id, text, drew_on}]
    made_by: Mapped[str] = mapped_column(String(128), default="template")  # template, rules, model:<name>
    prompt_version: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=1)
    priority: Mapped[float] = mapped_column(default=0.0)
    state: Mapped[OutboxState] = mapped_column(String(16), default=OutboxState.pending_review)
    reviewer: Mapped[str | None] = mapped_column(String(128))  # who approved it: person:<name> or policy:<rule>
    message_id: Mapped[str | None] = mapped_column(String(255), unique=True)  # ours, from the first claim on
    transport: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(255))  # the sender process: host:pid:start
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    enrollment: Mapped[Enrollment | None] = relationship(back_populates="steps")
    contact: Mapped[Contact | None] = relationship()


class Review(Base):
    """Every decision on an outgoing message, kept: approve, edit, reject, regenerate, retry, resolve."""

    __tablename__ = "reviews"
    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    reviewer: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str | None] = mapped_column(Text)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Event(Base):
    """Append-only log of everything that happened (the store refuses updates and deletes)."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_contact", "contact_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    campaign_id: Mapped[int | None]
    account_id: Mapped[int | None]
    contact_id: Mapped[int | None]
    outbox_id: Mapped[int | None]
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class MailboxPause(Base):
    """A mailbox (or, with no mailbox, a whole campaign) stopped sending because its bounces,
    complaints or opt-outs passed the campaign's limits; it stays stopped until a person resumes it."""

    __tablename__ = "mailbox_pauses"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    mailbox: Mapped[str | None] = mapped_column(String(320))
    reason: Mapped[str] = mapped_column(Text)
    paused_at: Mapped[datetime] = mapped_column(default=utcnow)
    resumed_at: Mapped[datetime | None]
    resumed_by: Mapped[str | None] = mapped_column(String(128))


class WebhookReceipt(Base):
    """A webhook request accepted, by what makes it unique (a signature, or the sender's event id):
    every process refuses a replay, also after a restart."""

    __tablename__ = "webhook_receipts"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


def keep_receipt(session: Session, key: str | None) -> None:
    """Record a webhook request's key first in its transaction; a key seen before raises `Replayed`
    (and the caller's transaction, with nothing else in it yet, rolls back)."""
    if key is None:
        return
    session.add(WebhookReceipt(key=key))
    try:
        session.flush()
    except IntegrityError as exc:
        raise Replayed(f"this request was received before ({key.split(':', 1)[0]})") from exc


class LlmCall(Base):
    """Every model call: what for, which model and prompt version, tokens, time, outcome."""

    __tablename__ = "llm_calls"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    task: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(255))
    prompt_version: Mapped[str] = mapped_column(String(64))
    tokens_in: Mapped[int] = mapped_column(default=0)
    tokens_out: Mapped[int] = mapped_column(default=0)
    latency_ms: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=1)
    outcome: Mapped[str] = mapped_column(String(16))  # ok, repaired, invalid, error
    error: Mapped[str | None] = mapped_column(Text)
    campaign_id: Mapped[int | None] = mapped_column(index=True)
    account_id: Mapped[int | None]
    contact_id: Mapped[int | None]
