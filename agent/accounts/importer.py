"""`sdr import`: accounts and contacts from CSV, JSON or JSON Lines, all or nothing.

Every row is read and validated first; any problem rejects the whole file with each problem
named by line and field, and the store is not touched. A valid file is merged in one
transaction: accounts by domain, contacts by email (case-insensitive); a later import fills
and updates fields, never blanks them. Suppressed addresses are not imported.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.accounts.columns import field_for, suggestion
from agent.accounts.records import Row
from agent.errors import InputError, InputRejected
from agent.store import Store
from agent.store.db import record_event
from agent.store.tables import Account, Contact
from agent.suppression import is_suppressed

MAX_PROBLEMS = 20


@dataclass
class ImportSummary:
    file: str
    rows: int = 0
    accounts_created: int = 0
    accounts_updated: int = 0
    contacts_created: int = 0
    contacts_updated: int = 0
    suppressed_skipped: list[str] = field(default_factory=list)


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError("no such file", file=path) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            f"not UTF-8 (byte 0x{raw[exc.start]:02x}); re-export the file as UTF-8", file=path, line=line
        ) from exc
    if not text.strip():
        raise InputError("the file is empty", file=path)
    return text


def _csv_rows(path: Path, text: str, ignore_unknown: bool) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    columns: list[str | None] = []
    for column in header:
        try:
            columns.append(field_for(column))
        except KeyError:
            if not ignore_unknown:
                raise InputError(
                    f"unknown column{suggestion(column)}; rename it, or pass --ignore-unknown-columns",
                    file=path,
                    line=1,
                    field=column or "(blank)",
                ) from None
            columns.append(None)
    if "email" not in columns and not {"domain", "website", "name"} & set(columns):
        raise InputError(
            "no email, domain, website or company column: is this an accounts or contacts export?",
            file=path,
            line=1,
        )
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            raise InputError(
                f"{len(values)} values for {len(header)} columns (a stray comma or quote?)",
                file=path,
                line=line,
            )
        yield line, {c: v for c, v in zip(columns, values, strict=True) if c is not None}


def _json_objects(path: Path, text: str) -> Iterator[tuple[int, Any]]:
    """Objects with the line each starts on: JSON Lines, a JSON array, or {accounts, contacts}."""
    if path.suffix == ".jsonl":
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"not JSON: {exc.msg}", file=path, line=number) from exc
        return
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg}", file=path, line=exc.lineno) from exc
    # json does not say where items start: walk each array again to number the lines.
    if isinstance(document, list):
        yield from _array_items(text, text.index("["))
    elif isinstance(document, dict) and set(document) <= {"accounts", "contacts"}:
        decoder = json.JSONDecoder()
        position = text.index("{") + 1
        while match := re.compile(r'\s*,?\s*"(accounts|contacts)"\s*:\s*').match(text, position):
            yield from _array_items(text, match.end())
            _, position = decoder.raw_decode(text, match.end())
    else:
        raise InputError('expected a list of records, or {"accounts": [...], "contacts": [...]}', file=path)


def _array_items(text: str, start: int) -> Iterator[tuple[int, Any]]:
    """(line, item) for each item of the JSON array that opens at `start`."""
    decoder, position = json.JSONDecoder(), start + 1
    while True:
        while text[position] in " \t\r\n,":
            position += 1
        if text[position] == "]":
            return
        item, end = decoder.raw_decode(text, position)
        yield text.count("\n", 0, position) + 1, item
        position = end


def _json_rows(path: Path, text: str, ignore_unknown: bool) -> Iterator[tuple[int, dict[str, Any]]]:
    for line, item in _json_objects(path, text):
        if not isinstance(item, dict):
            raise InputError("expected an object", file=path, line=line)
        row: dict[str, Any] = {}
        for key, value in item.items():
            try:
                if (name := field_for(key)) is not None:
                    row[name] = value
            except KeyError:
                if not ignore_unknown:
                    raise InputError(f"unknown field{suggestion(key)}", file=path, line=line, field=key) from None
        yield line, row


def read_rows(path: Path, *, ignore_unknown: bool = False) -> list[tuple[int, Row]]:
    """Every row of the file, validated; raises InputRejected listing each bad row."""
    text = _read_text(path)
    if path.suffix.lower() in (".json", ".jsonl"):
        raw = _json_rows(path, text, ignore_unknown)
    elif path.suffix.lower() in (".csv", ".txt"):
        raw = _csv_rows(path, text, ignore_unknown)
    else:
        raise InputError("unsupported file type: use .csv, .json or .jsonl", file=path)
    rows, problems = [], []
    try:
        for line, data in raw:
            try:
                rows.append((line, Row.model_validate(data)))
            except ValidationError as exc:
                for error in exc.errors():
                    field_name = ".".join(str(p) for p in error["loc"]) or None
                    message = error["msg"].removeprefix("Value error, ")
                    problems.append(InputError(message, file=path, line=line, field=field_name))
            if len(problems) >= MAX_PROBLEMS:
                break
    except csv.Error as exc:
        raise InputError(f"broken CSV: {exc}", file=path) from exc
    if problems:
        raise InputRejected(problems)
    if not rows:
        raise InputError("no records after the header", file=path)
    return rows


def _merge(row_obj: Any, fields: dict[str, Any]) -> bool:
    changed = False
    for key, value in fields.items():
        if getattr(row_obj, key) != value:
            setattr(row_obj, key, value)
            changed = True
    return changed


def _store_row(session: Session, row: Row, summary: ImportSummary, accounts: dict[str, Account]) -> None:
    account = accounts.get(row.domain or "")
    if account is None:
        account = session.scalar(select(Account).where(Account.domain == row.domain))
    if account is None:
        fields = row.account_fields
        fields.setdefault("name", row.domain)
        account = Account(domain=row.domain, **fields)
        session.add(account)
        summary.accounts_created += 1
        accounts[account.domain] = account
    elif _merge(account, row.account_fields) and account.domain not in accounts:
        summary.accounts_updated += 1
    accounts.setdefault(account.domain, account)
    if not row.email:
        return
    if is_suppressed(session, row.email):
        summary.suppressed_skipped.append(row.email)
        return
    contact = session.scalar(select(Contact).where(Contact.email == row.email))
    if contact is None:
        session.add(Contact(email=row.email, account=account, **row.contact_fields))
        session.flush()
        summary.contacts_created += 1
    else:
        moved = contact.account_id != account.id
        if _merge(contact, row.contact_fields) or moved:
            contact.account = account
            summary.contacts_updated += 1


def import_file(store: Store, path: Path, *, ignore_unknown: bool = False) -> ImportSummary:
    rows = read_rows(path, ignore_unknown=ignore_unknown)
    summary = ImportSummary(file=str(path), rows=len(rows))
    with store.transaction() as session:
        accounts: dict[str, Account] = {}  # this file's accounts, by domain
        for _, row in rows:
            _store_row(session, row, summary, accounts)
        record_event(
            session,
            "import",
            data={
                "file": str(path),
                "rows": summary.rows,
                "accounts_created": summary.accounts_created,
                "contacts_created": summary.contacts_created,
                "suppressed_skipped": len(summary.suppressed_skipped),
            },
        )
    return summary
