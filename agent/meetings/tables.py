"""The meetings capability's records: booked meetings and the slots offered (the emails about them
are in the outbox).

Times are naive UTC, like the rest of the store. A contact has at most one meeting that is being
booked or is booked (a partial unique index), so two replies handled at once cannot book twice.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from agent.clock import utcnow
from agent.store.tables import Base


class MeetingStatus(StrEnum):
    booking = "booking"  # claimed in the store, not yet on the calendar: a crash leaves it for recovery
    booked = "booked"
    cancelled = "cancelled"
    no_show = "no_show"
    failed = "failed"  # the time was taken at the moment of writing; the prospect was offered others


ACTIVE = (MeetingStatus.booking.value, MeetingStatus.booked.value)


class Meeting(Base):
    __tablename__ = "meetings"
    __table_args__ = (
        Index(
            "uq_meetings_one_active_per_contact",
            "contact_id",
            unique=True,
            sqlite_where=text("status IN ('booking', 'booked')"),
            postgresql_where=text("status IN ('booking', 'booked')"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    uid: Mapped[str] = mapped_column(String(255), unique=True)  # the iCalendar UID, kept across moves
    ae_name: Mapped[str] = mapped_column(String(255))
    ae_email: Mapped[str] = mapped_column(String(320), index=True)
    ae_timezone: Mapped[str] = mapped_column(String(64))
    prospect_timezone: Mapped[str] = mapped_column(String(64))
    calendar: Mapped[str] = mapped_column(String(1024))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    status: Mapped[MeetingStatus] = mapped_column(String(16), default=MeetingStatus.booking, index=True)
    sequence: Mapped[int] = mapped_column(default=0)  # iCalendar SEQUENCE: +1 on every move or cancel
    routing: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {rule, reason}
    handoff_note: Mapped[str | None] = mapped_column(Text)
    made_by: Mapped[str] = mapped_column(String(128), default="rules")  # rules, or model:<name>
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MeetingOffer(Base):
    """Slots shown to a prospect, in the order shown: "the second one" is read against these."""

    __tablename__ = "meeting_offers"
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    ae_email: Mapped[str] = mapped_column(String(320))
    slots: Mapped[list[Any]]  # ISO 8601 starts with offsets
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
