"""`sdr import` (and `sdr crm import`): accounts and contacts from CSV, JSON or JSON Lines, or a
CRM's list, all or nothing.

Every row of every file is read and validated first; any problem rejects the whole import (all
its files) with each problem named by file, line and field, and the store is not touched. Valid
files are merged in one transaction: accounts by registered domain, contacts by address; a later
import fills and updates fields, never blanks them. Suppressed addresses are not imported; role
mailboxes (info@, sales@) and throwaway addresses are imported and named in the summary, for a
person to look at before anything is sent to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from agent.accounts.addresses import flags_of
from agent.accounts.reading import read_rows
from agent.accounts.records import Row
from agent.errors import InputError, InputRejected
from agent.store import Store
from agent.store.db import find_or_add, record_event
from agent.store.tables import Account, Contact
from agent.suppression import is_suppressed


@dataclass
class ImportSummary:
    file: str
    rows: int = 0
    accounts_created: int = 0
    accounts_updated: int = 0
    contacts_created: int = 0
    contacts_updated: int = 0
    suppressed_skipped: list[str] = field(default_factory=list)
    role_addresses: list[str] = field(default_factory=list)  # info@, sales@: a shared mailbox
    disposable_addresses: list[str] = field(default_factory=list)  # a throwaway-address service


def _merge(row_obj: Any, fields: dict[str, Any]) -> bool:
    changed = False
    for key, value in fields.items():
        if getattr(row_obj, key) != value:
            setattr(row_obj, key, value)
            changed = True
    return changed


def _store_row(
    session: Session, row: Row, summary: ImportSummary, accounts: dict[str, Account]
) -> tuple[Account, Contact | None]:
    """Merge one row; its account, and its contact (None: no address, or a suppressed one). `accounts`:
    the ones this batch has stored (or the caller read), by domain."""
    account = accounts.get(row.domain or "")
    if account is None:
        account, created = find_or_add(session, Account, "domain", {"domain": row.domain, "name": row.domain,
                                                                     **row.account_fields})  # fmt: skip
        if created:
            summary.accounts_created += 1
        elif _merge(account, row.account_fields):
            summary.accounts_updated += 1
        accounts[account.domain] = account
    else:
        _merge(account, row.account_fields)  # counted once, when this file first named the company
    if not row.email:
        return account, None
    if is_suppressed(session, row.email):
        summary.suppressed_skipped.append(row.email)
        return account, None
    flags = flags_of(row.email)
    if flags.role:
        summary.role_addresses.append(row.email)
    if flags.disposable:
        summary.disposable_addresses.append(row.email)
    values = {"email": row.email, "account_id": account.id, **row.contact_fields}
    contact, created = find_or_add(session, Contact, "email", values)
    if created:
        summary.contacts_created += 1
    elif _merge(contact, row.contact_fields) or contact.account_id != account.id:
        contact.account = account
        summary.contacts_updated += 1
    return account, contact


def import_files(store: Store, paths: Sequence[Path], *, ignore_unknown: bool = False) -> list[ImportSummary]:
    """Import several files as one: every file is read and checked before any is stored, and all
    of them go in one transaction, so a bad file leaves the good ones out too."""
    read: list[RowBatch] = []
    problems: list[InputError] = []
    for path in paths:
        try:
            read.append(RowBatch(str(path), read_rows(path, ignore_unknown=ignore_unknown)))
        except InputRejected as exc:
            problems.extend(exc.problems)
        except InputError as exc:
            problems.append(exc)
    if problems:
        what = "nothing was imported" if len(paths) == 1 else f"nothing was imported from any of the {len(paths)} files"
        raise InputRejected(problems, what=what)
    return import_rows(store, read)


@dataclass(frozen=True)
class RowBatch:
    """Validated rows from one source: a file, or a CRM's list (`reading.validated_rows`)."""

    source: str
    rows: list[tuple[int, Row]]


def import_rows(store: Store, batches: Sequence[RowBatch]) -> list[ImportSummary]:
    """Store validated rows, every batch in one transaction: accounts by registered domain,
    contacts by address, the same rules whatever the rows came from."""
    summaries = []
    with store.transaction() as session:
        for batch in batches:
            summary = ImportSummary(file=batch.source, rows=len(batch.rows))
            accounts: dict[str, Account] = {}  # this batch's accounts, by domain
            for _, row in batch.rows:
                _store_row(session, row, summary, accounts)
            record_event(session, "import", data=_event_data(summary))
            summaries.append(summary)
    return summaries


def _event_data(summary: ImportSummary) -> dict[str, Any]:
    return {
        "file": summary.file,
        "rows": summary.rows,
        "accounts_created": summary.accounts_created,
        "contacts_created": summary.contacts_created,
        "suppressed_skipped": len(summary.suppressed_skipped),
        "role_addresses": len(summary.role_addresses),
        "disposable_addresses": len(summary.disposable_addresses),
    }


def import_file(store: Store, path: Path, *, ignore_unknown: bool = False) -> ImportSummary:
    return import_files(store, [path], ignore_unknown=ignore_unknown)[0]
