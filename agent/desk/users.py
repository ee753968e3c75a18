"""Desk users: added, listed, disabled and reset by an operator (`sdr users`); signed in by password.

Passwords are hashed with Argon2id (argon2-cffi's defaults, re-hashed when they are raised).
A sign-in that fails is kept; after `FREE_TRIES` failures for one name within `WINDOW` (or
`CLIENT_FREE_TRIES` from one address, for someone trying one password on many names), the next
try is refused until a wait that doubles with every further failure has passed (up to `MAX_WAIT`),
whatever the password: guessing slows to a crawl and the real person is only delayed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agent.desk.tables import DeskUser, FailedSignIn, Role
from agent.errors import NotFound, UserError
from agent.workspace import Workspace

log = logging.getLogger("uvicorn.error")
HASHER = PasswordHasher()
# Checked when the name is unknown, so that a wrong name takes as long as a wrong password.
_NOBODY = HASHER.hash("a password nobody has")
MIN_PASSWORD_LENGTH = 12
FREE_TRIES = 5
CLIENT_FREE_TRIES = 20
WINDOW = timedelta(minutes=15)
FIRST_WAIT = timedelta(seconds=30)
MAX_WAIT = timedelta(minutes=15)


class DeskUserView(BaseModel):
    id: int
    name: str
    email: str | None
    role: Role
    active: bool
    signed_in_at: datetime | None


@dataclass(frozen=True)
class SignedIn:
    """Who is signed in: what a request carries once its cookie checks out."""

    id: int
    name: str
    role: Role
    email: str | None
    epoch: int


class TooManyTries(UserError):
    """Sign-ins for this name failed too often lately: refused until `retry_after` (naive UTC)."""

    def __init__(self, retry_after: datetime) -> None:
        self.retry_after = retry_after
        super().__init__("too many failed sign-ins for this name: wait a little and try again")


def _valid_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return password


def _user(session: Session, name: str) -> DeskUser:
    row = session.scalar(select(DeskUser).where(DeskUser.name == name))
    if row is None:
        raise NotFound(f"no desk user {name!r} (sdr users list)")
    return row


def _view(row: DeskUser) -> DeskUserView:
    return DeskUserView(
        id=row.id, name=row.name, email=row.email, role=Role(row.role), active=row.active, signed_in_at=row.signed_in_at
    )


def add(ws: Workspace, name: str, role: Role, password: str, email: str | None = None) -> DeskUserView:
    name = name.strip()
    if not name or len(name) > 128:
        raise UserError("a user's name is 1 to 128 characters")
    if role is Role.ae and not email:
        raise UserError("an AE needs --email: the address their meetings are booked under")
    hashed = HASHER.hash(_valid_password(password))
    with ws.store.transaction() as session:
        if session.scalar(select(DeskUser.id).where(DeskUser.name == name)) is not None:
            raise UserError(f"desk user {name!r} exists already (sdr users reset to change the password)")
        row = DeskUser(name=name, email=email.lower() if email else None, role=role, password_hash=hashed)
        session.add(row)
        session.flush()
        return _view(row)


def list_users(ws: Workspace) -> list[DeskUserView]:
    with ws.store.transaction() as session:
        return [_view(row) for row in session.scalars(select(DeskUser).order_by(DeskUser.name))]


def disable(ws: Workspace, name: str) -> None:
    """The user can no longer sign in, and every session they have ends at its next request."""
    with ws.store.transaction() as session:
        row = _user(session, name)
        row.active, row.session_epoch = False, row.session_epoch + 1


def reset(ws: Workspace, name: str, password: str) -> None:
    """A new password (the account is active again); every session signed with the old one ends."""
    hashed = HASHER.hash(_valid_password(password))
    with ws.store.transaction() as session:
        row = _user(session, name)
        row.password_hash, row.active, row.session_epoch = hashed, True, row.session_epoch + 1


def _wait_until(failures: int, last: datetime | None, free: int, now: datetime) -> datetime | None:
    if failures < free or last is None:
        return None
    wait = min(FIRST_WAIT * 2 ** (failures - free), MAX_WAIT)
    return last + wait if last + wait > now else None


def _retry_after(session: Session, name: str, client: str, now: datetime) -> datetime | None:
    """When the next try is allowed, if failures for this name (since its last sign-in) or from this
    address passed the free ones lately."""
    since = now - WINDOW
    last_in = session.scalar(select(DeskUser.signed_in_at).where(func.lower(DeskUser.name) == name))
    counted = select(func.count(), func.max(FailedSignIn.at))
    by_name = session.execute(
        counted.where(FailedSignIn.name == name, FailedSignIn.at > max(since, last_in or since))
    ).one()
    by_client = session.execute(counted.where(FailedSignIn.client == client, FailedSignIn.at > since)).one()
    waits = [_wait_until(*by_name, FREE_TRIES, now), _wait_until(*by_client, CLIENT_FREE_TRIES, now)]
    return max((w for w in waits if w is not None), default=None)


def sign_in(ws: Workspace, name: str, password: str, *, client: str, now: datetime) -> SignedIn | None:
    """The user, if the name and password match an active account; None otherwise (the failure is kept
    and logged). Raises `TooManyTries`, checking nothing, while this name must wait."""
    key, client = name.strip().lower()[:128], client[:64]
    with ws.store.transaction() as session:
        if (retry_after := _retry_after(session, key, client, now)) is not None:
            log.warning("desk sign-in refused for %r from %s: too many failures", key, client)
            raise TooManyTries(retry_after)
        row = session.scalar(select(DeskUser).where(func.lower(DeskUser.name) == key))
        try:
            HASHER.verify(row.password_hash if row else _NOBODY, password)
            ok = row is not None and row.active
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok or row is None:
            session.add(FailedSignIn(name=key, client=client, at=now))
            log.warning("desk sign-in failed for %r from %s", key, client)
            return None
        if HASHER.check_needs_rehash(row.password_hash):
            row.password_hash = HASHER.hash(password)
        row.signed_in_at = now
        return SignedIn(id=row.id, name=row.name, role=Role(row.role), email=row.email, epoch=row.session_epoch)


def sign_out(ws: Workspace, user_id: int) -> None:
    """Every session of this user ends (a copied cookie stops working too)."""
    with ws.store.transaction() as session:
        row = session.get(DeskUser, user_id)
        if row is not None:
            row.session_epoch += 1


def current(ws: Workspace, user_id: int, epoch: int) -> SignedIn | None:
    """The user a session names, if still active and the session is not older than their last reset."""
    with ws.store.transaction() as session:
        row = session.get(DeskUser, user_id)
        if row is None or not row.active or row.session_epoch != epoch:
            return None
        return SignedIn(id=row.id, name=row.name, role=Role(row.role), email=row.email, epoch=row.session_epoch)
