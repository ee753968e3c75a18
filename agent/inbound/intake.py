"""A lead is recorded before anything else happens to it (`receive`): the row and the duplicate check,
in one transaction, while the form (or the webhook's sender) waits; then, by whoever answers it,
its account and contact are found or created in the CRM (`file_lead`).

The lead's row is written first, so the transaction holds the store's write lock before it looks
for an earlier lead from the same address: two submissions of one form handled at the same moment
(two server processes, or the server and `sdr inbound answer`) are serialised, and the second sees
the first. The account and contact go through the importer's own merge; a form fills blanks in
the CRM and never overwrites it, since anyone can type anything into a form. That merge was half
of the webhook's acknowledgement (measured under 50 concurrent leads): it is the answerer's work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from pydantic import ValidationError
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from agent.accounts.importer import ImportSummary, _store_row
from agent.accounts.records import Row
from agent.clock import as_utc
from agent.inbound.lead import InboundLead
from agent.inbound.tables import LeadRecord
from agent.store.db import record_event
from agent.store.tables import Account, Contact, keep_receipt

ACCOUNT_FIELDS = ("name", "industry", "employees", "country", "region", "website")
CONTACT_FIELDS = ("first_name", "last_name", "title", "timezone", "phone")


@dataclass(frozen=True)
class Received:
    lead_id: int
    duplicate_of: int | None
    account_id: int | None
    contact_id: int | None
    note: str | None = None  # why there is no account or contact
    # The rows as filed just now, in the caller's session (its identity map holds them only while
    # something does): the worker reads the lead's people from them without a second look.
    account: Account | None = None
    contact: Contact | None = None
    suppressed: bool | None = None  # whether the filing found the address suppressed (None: not looked)


def _row_fields(lead: InboundLead) -> dict[str, object]:
    fields: dict[str, object] = {
        "email": lead.email,
        "name": lead.company,
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "title": lead.title,
        "timezone": lead.timezone,
        "phone": lead.phone,
        "website": lead.website,
        "industry": lead.industry,
        "employees": lead.employees,
        "country": lead.country,
        "region": lead.region,
    }
    return {k: v for k, v in fields.items() if v is not None}


def _blanks_only(session: Session, row: Row) -> tuple[Row, Account | None]:
    """The row with every field the CRM already knows taken out, and the row's account if the CRM has it."""
    keep = row.model_dump(exclude_none=True)
    account = session.scalar(select(Account).where(Account.domain == row.domain))
    if account is not None:
        for name in ACCOUNT_FIELDS:
            if getattr(account, name) not in (None, "", []):
                keep.pop(name, None)
        if account.technologies:
            keep.pop("technologies", None)
    contact = session.scalar(select(Contact).where(Contact.email == row.email))
    if contact is not None:
        for name in CONTACT_FIELDS:
            if getattr(contact, name) not in (None, ""):
                keep.pop(name, None)
        if contact.account_id != (account.id if account else None):
            keep["domain"] = contact.account.domain  # the CRM's company for this person stands
            account = contact.account
    return Row.model_validate(keep), account


def _upsert(session: Session, lead: InboundLead) -> tuple[Account | None, Contact | None, str | None, bool | None]:
    """The lead's account and contact as merged, why there is none, and whether the address was
    found suppressed (None: not looked at)."""
    try:
        row = Row.model_validate(_row_fields(lead))
    except ValidationError as exc:
        return None, None, "no account or contact: " + exc.errors()[0]["msg"].removeprefix("Value error, "), None
    row, known = _blanks_only(session, row)
    summary = ImportSummary(file=f"inbound lead from {lead.email}")
    account, contact = _store_row(session, row, summary, {known.domain: known} if known else {})
    session.flush()
    suppressed = bool(summary.suppressed_skipped)
    note = "address suppressed: no contact created" if suppressed else None
    return account, contact, note, suppressed if suppressed or contact is not None else None


def receive(
    session: Session, lead: InboundLead, campaign_id: int, window_minutes: int, receipt: str | None = None
) -> Received:
    """Record the lead in the caller's transaction; a second one from the same address within the
    window is a duplicate. `receipt`: the webhook request's key (a replay raises `Replayed`)."""
    keep_receipt(session, receipt)
    record = LeadRecord(
        campaign_id=campaign_id,
        received_at=as_utc(lead.received_at),
        email=lead.email,
        name=lead.name,
        company=lead.company,
        source=lead.source,
        lead=lead.model_dump(mode="json"),
    )
    session.add(record)
    session.flush()  # on SQLite this insert holds the database's write lock to the end of the transaction
    if session.get_bind().dialect.name == "postgresql":  # PostgreSQL needs one for the look below
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": lead.email})
    window = timedelta(minutes=window_minutes)
    earlier = session.scalar(
        select(LeadRecord.id)
        .where(
            LeadRecord.email == lead.email,
            LeadRecord.id != record.id,
            LeadRecord.duplicate_of.is_(None),
            LeadRecord.received_at >= record.received_at - window,
            LeadRecord.received_at <= record.received_at + window,
        )
        .order_by(LeadRecord.id)
    )
    if earlier is not None:
        record.duplicate_of = earlier
        first = session.get_one(LeadRecord, earlier)
        record.account_id, record.contact_id = first.account_id, first.contact_id
        return Received(record.id, earlier, first.account_id, first.contact_id)
    record_event(session, "inbound_lead_received", campaign_id=campaign_id,
                 data={"lead": record.id, "source": lead.source})  # fmt: skip
    return Received(record.id, None, None, None)


def file_lead(session: Session, record: LeadRecord, lead: InboundLead) -> Received:
    """The lead's account and contact, found or created in the CRM the first time this is asked
    (again after a crash: the merge fills blanks only, so twice is once); a duplicate takes its
    first lead's. In the caller's transaction (the worker reads the lead in the same one)."""
    if record.account_id is not None or record.contact_id is not None:
        return Received(record.id, record.duplicate_of, record.account_id, record.contact_id)
    if record.duplicate_of is not None:
        first = session.get_one(LeadRecord, record.duplicate_of)
        record.account_id, record.contact_id = first.account_id, first.contact_id
        return Received(record.id, record.duplicate_of, first.account_id, first.contact_id)
    account, contact, note, suppressed = _upsert(session, lead)
    account_id, contact_id = (account.id if account else None), (contact.id if contact else None)
    record.account_id, record.contact_id = account_id, contact_id
    record_event(session, "inbound_lead_filed", campaign_id=record.campaign_id, account_id=account_id,
                 contact_id=contact_id, data={"lead": record.id, "note": note})  # fmt: skip
    return Received(record.id, None, account_id, contact_id, note, account, contact, suppressed)
