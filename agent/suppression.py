"""The do-not-contact list: addresses and whole domains that nothing is ever sent to.

An unsubscribe, a bounce or a complaint adds a row; rows are never removed (an erased person's
address becomes its keyed hash, `agent.erasure`), except a hold that a person releases. Every path
that writes to a person asks `is_suppressed` at the moment of writing, and suppressing blocks every
message still waiting in the outbox for that address.

A hold (reason `held`) is an opt-out in doubt: it blocks exactly as a suppression does, at once,
until a person confirms it (it becomes an unsubscribe) or releases it (the row goes, an event stays).
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from agent.enrollments import stop_sequences
from agent.erasure import erased_value, session_key
from agent.errors import UserError
from agent.states import UNSENT, OutboxState
from agent.store.db import find_or_add, record_event
from agent.store.tables import Contact, OutboxMessage, Suppression

HELD = "held"
REASONS = ("unsubscribe", "bounce", "complaint", "manual", "erasure", HELD)


def _keys(address: str) -> list[str]:
    address = address.strip().lower()
    return [address, "@" + address.rsplit("@", 1)[-1]]


def is_suppressed(session: Session, address: str) -> bool:
    keys = _keys(address)
    if key := session_key(session):
        keys.append(erased_value(key, address))
    return session.scalar(select(Suppression.id).where(Suppression.value.in_(keys))) is not None


def suppress(session: Session, value: str, reason: str, source: str | None = None) -> bool:
    """Add an address (`a@b.com`) or a domain (`@b.com`); False when it was already there (a hold
    is made a suppression for good by any other reason)."""
    value = value.strip().lower()
    if reason not in REASONS:
        raise UserError(f"unknown suppression reason {reason!r} (one of: {', '.join(REASONS)})")
    if "@" not in value or (not value.startswith("@") and value.count("@") != 1):
        raise UserError(f"{value!r}: give an address (a@b.com) or a domain (@b.com)")
    # Added unless there (an unsubscribe click and a reply saying the same may land at once).
    existing, added = find_or_add(session, Suppression, "value", {"value": value, "reason": reason, "source": source})
    if not added and not (existing.reason == HELD and reason != HELD):
        return False
    if not added:  # a real opt-out (or bounce, complaint) supersedes a hold: no release undoes it
        existing.reason, existing.source = reason, source
    matching = Contact.email.endswith(value) if value.startswith("@") else Contact.email == value
    contact_ids = list(session.scalars(select(Contact.id).where(matching)))
    stop_sequences(session, contact_ids, f"suppressed: {reason}")
    to = OutboxMessage.to_address
    blocked = session.execute(  # whatever else waits for this address (answers, meeting emails) never goes
        update(OutboxMessage)
        .where(to.endswith(value) if value.startswith("@") else to == value, OutboxMessage.state.in_([*UNSENT]))
        .values(state=OutboxState.blocked)
        .execution_options(synchronize_session="fetch")
    )
    record_event(
        session,
        "suppressed",
        contact_id=contact_ids[0] if len(contact_ids) == 1 else None,
        data={
            "value": value,
            "reason": reason,
            "source": source,
            "contacts": len(contact_ids),
            "blocked": blocked.rowcount,  # type: ignore[attr-defined]
        },
    )
    return True


def settle_hold(session: Session, address: str, *, opted_out: bool, source: str) -> bool:
    """A person's answer to a hold: an opt-out (kept for good) or not (released). False when the
    address is not held (already suppressed for another reason, or settled before)."""
    value = address.strip().lower()
    row = session.scalar(select(Suppression).where(Suppression.value == value, Suppression.reason == HELD))
    if row is None:
        return False
    if opted_out:
        row.reason, row.source = "unsubscribe", f"{row.source}; confirmed by {source}"
    else:
        session.delete(row)
    contact_id = session.scalar(select(Contact.id).where(Contact.email == value))
    record_event(
        session,
        "hold_confirmed" if opted_out else "hold_released",
        contact_id=contact_id,
        data={"value": value, "source": source},
    )
    return True
