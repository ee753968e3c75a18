"""The people who sign in to the desk, and the sign-ins that failed (kept: they slow the next try)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from agent.clock import utcnow
from agent.store.tables import Base


class Role(StrEnum):
    reviewer = "reviewer"  # approves, edits, rejects what goes out
    ae = "ae"  # receives handoffs and gives the verdict that closes the loop
    operator = "operator"  # watches results
    admin = "admin"  # all of the above


class DeskUser(Base):
    __tablename__ = "desk_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    email: Mapped[str | None] = mapped_column(String(320))  # an AE's: the calendar their meetings are on
    role: Mapped[Role] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # Raised by a reset or a disable: every cookie signed before it stops working.
    session_epoch: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    signed_in_at: Mapped[datetime | None]


class FailedSignIn(Base):
    __tablename__ = "desk_failed_sign_ins"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), index=True)  # as typed, lowercased: unknown names count too
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
