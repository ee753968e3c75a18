"""Who a request about personal data is about: the rows that are theirs, and the strings that
name them anywhere else (their address, full name, phone, profile URL).

Rows are theirs by reference (a contact id) or by address (a reply from them before they were a
contact, an inbound lead, a colleague's referral). Text elsewhere (a note to an AE, an event, a
saved page, a call transcript) names them by one of the strings; `mentions` finds it in any table
the store has, so a table added later is searched too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, String, Table, Text, cast, or_, select
from sqlalchemy.orm import Session

from agent.inbound.tables import LeadRecord
from agent.replies.tables import ReferredContact
from agent.store.tables import Base, Contact, import_all_tables

ERASED = "[erased]"


@dataclass
class Person:
    address: str
    contact_ids: list[int] = field(default_factory=list)
    names: set[str] = field(default_factory=set)  # full names only: a first name alone names many people
    other: set[str] = field(default_factory=set)  # phone numbers, profile URLs

    @property
    def needles(self) -> list[str]:
        """The strings that name this person, longest first (a name inside an address is replaced whole)."""
        return sorted({self.address, *self.names, *self.other}, key=len, reverse=True)


def _full_name(first: str | None, last: str | None) -> str | None:
    return f"{first.strip()} {last.strip()}" if first and last and first.strip() and last.strip() else None


def find_person(session: Session, address: str) -> Person:
    """Everything that identifies the person at `address`, from every record that names them."""
    person = Person(address.strip().lower())
    for contact in session.scalars(select(Contact).where(Contact.email == person.address)):
        person.contact_ids.append(contact.id)
        if name := _full_name(contact.first_name, contact.last_name):
            person.names.add(name)
        person.other.update(v for v in (contact.phone, contact.linkedin_url) if v)
    for lead in session.scalars(select(LeadRecord).where(LeadRecord.email == person.address)):
        if len(lead.name.split()) > 1:
            person.names.add(lead.name.strip())
        if lead.lead.get("phone"):
            person.other.add(str(lead.lead["phone"]))
    for referred in session.scalars(select(ReferredContact).where(ReferredContact.email == person.address)):
        if len(referred.name.split()) > 1:
            person.names.add(referred.name.strip())
    return person


def redact(value: Any, needles: list[str]) -> Any:
    """`value` with every needle (any case) replaced by "[erased]", inside JSON structures too."""
    if isinstance(value, str):
        for needle in needles:
            value = re.sub(re.escape(needle), ERASED, value, flags=re.IGNORECASE)
        return value
    if isinstance(value, list):
        return [redact(item, needles) for item in value]
    if isinstance(value, dict):
        return {key: redact(item, needles) for key, item in value.items()}
    return value


def _like(needle: str) -> str:
    return "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _text_columns(table: Table) -> list[Any]:
    return [c for c in table.columns if isinstance(c.type, String | Text | JSON)]


def mentions(session: Session, needles: list[str]) -> Iterator[tuple[Table, dict[str, Any], dict[str, Any]]]:
    """(table, primary key, {column: value}) of every row of every table whose text names a needle."""
    import_all_tables()
    # JSON columns hold strings escaped ("M\u00fcller"): look for both spellings.
    spellings = {form for needle in needles for form in (needle, json.dumps(needle)[1:-1])}
    for table in Base.metadata.sorted_tables:
        columns = _text_columns(table)
        if not columns:
            continue
        found = or_(*(cast(c, Text).ilike(_like(s), escape="\\") for c in columns for s in spellings))
        keys = list(table.primary_key.columns)
        for row in session.execute(select(*keys, *columns).where(found)).mappings():
            yield table, {k.name: row[k] for k in keys}, {c.name: row[c] for c in columns}
