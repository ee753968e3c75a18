"""Reading an import file: CSV, JSON or JSON Lines into validated rows, every problem named by
line and field, before anything touches the store.

A CSV quote that never closes swallows the rest of the file into one value: it is reported on
the line where it opens, not where the file ends. The same address twice in one file is reported
with both lines rather than the later row silently winning.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agent.accounts.columns import field_for, suggestion
from agent.accounts.records import Row
from agent.errors import InputError, InputRejected

MAX_PROBLEMS = 20


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


def _open_quote_line(lines: list[str], first: int) -> int:
    """The line (1-based) on which a quoted value still open at its end begins, reading from line
    `first`, where a row starts; `first` when no line is left open."""
    inside = False
    for number in range(first, len(lines) + 1):
        inside ^= lines[number - 1].count('"') % 2 == 1
        if inside:
            return number
    return first


def _csv_columns(path: Path, header: list[str], ignore_unknown: bool) -> list[str | None]:
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
    return columns


def _csv_rows(path: Path, text: str, ignore_unknown: bool) -> Iterator[tuple[int, dict[str, Any]]]:
    lines = text.splitlines()
    # strict: a stray quote inside a value is an error, not silently part of the value
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header = next(reader)
    columns = _csv_columns(path, header, ignore_unknown)
    while True:
        start = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            opened = _open_quote_line(lines, start)
            raise InputError(f"a quoted value opens here and is never closed ({exc})", file=path, line=opened) from exc
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            if reader.line_num > start:  # the row ran over several lines: a quote left open
                opened = _open_quote_line(lines, start)
                raise InputError(
                    f"{len(values)} values for {len(header)} columns: a quoted value opens here and runs "
                    f"to line {reader.line_num} (a stray quote?)",
                    file=path,
                    line=opened,
                )
            raise InputError(
                f"{len(values)} values for {len(header)} columns (a stray comma or quote?)", file=path, line=start
            )
        yield start, {c: v for c, v in zip(columns, values, strict=True) if c is not None}


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


def _validated(path: str | Path, line: int, data: dict[str, Any]) -> Row | list[InputError]:
    try:
        return Row.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field_name = ".".join(str(p) for p in error["loc"]) or None
            message = error["msg"].removeprefix("Value error, ")
            problems.append(InputError(message, file=path, line=line, field=field_name))
        return problems


def read_rows(path: Path, *, ignore_unknown: bool = False) -> list[tuple[int, Row]]:
    """Every row of the file, validated; raises InputRejected listing each bad row."""
    text = _read_text(path)
    if path.suffix.lower() in (".json", ".jsonl"):
        raw = _json_rows(path, text, ignore_unknown)
    elif path.suffix.lower() in (".csv", ".txt"):
        raw = _csv_rows(path, text, ignore_unknown)
    else:
        raise InputError("unsupported file type: use .csv, .json or .jsonl", file=path)
    return validated_rows(path, raw)


def validated_rows(source: str | Path, raw: Iterable[tuple[int, dict[str, Any]]]) -> list[tuple[int, Row]]:
    """Records in canonical field names (from a file, or a CRM's list as `source`, numbered by
    position), each validated by the same rules; raises InputRejected listing each bad one."""
    rows: list[tuple[int, Row]] = []
    problems: list[InputError] = []
    first_line_of: dict[str, int] = {}  # address -> the line it first appears on
    for line, data in raw:
        checked = _validated(source, line, data)
        if isinstance(checked, list):
            problems.extend(checked)
        elif checked.email and checked.email in first_line_of:
            problems.append(
                InputError(
                    f"{checked.email} is also on line {first_line_of[checked.email]}: keep one row per address",
                    file=source,
                    line=line,
                    field="email",
                )
            )
        else:
            if checked.email:
                first_line_of[checked.email] = line
            rows.append((line, checked))
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise InputRejected(problems)
    if not rows:
        raise InputError("no records after the header", file=source)
    return rows
