"""What a real export brings: mail providers, subdomains, duplicates, broken quotes, formulas,
shared mailboxes and throwaway addresses; several files imported as one."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from agent.accounts.domains import registered_domain
from agent.accounts.importer import import_file, import_files
from agent.errors import InputError, InputRejected
from agent.store.tables import Account, Contact
from agent.workspace import Workspace
from tests.accounts.test_importer import CONTACTS, HEADER, counts, write

PROVIDERS = ("orange.fr", "gmx.net", "t-online.de", "uol.com.br", "yahoo.co.uk", "gmail.com", "mailinator.com")


def domains(ws: Workspace) -> list[str]:
    with ws.store.transaction() as session:
        return sorted(session.scalars(select(Account.domain)))


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_address_at_a_mail_provider_never_makes_an_account_named_after_it(
    ws: Workspace, tmp_path: Path, provider: str
) -> None:
    alone = write(tmp_path, "alone.csv", CONTACTS + f"pat@{provider},Pat,,,,,,\n")
    with pytest.raises(InputError, match="cannot tell the company"):
        import_file(ws.store, alone)
    as_company = write(tmp_path, "company.csv", CONTACTS + f"pat@{provider},Pat,,,{provider},,,\n")
    with pytest.raises(InputError, match=f"{provider} is a mail provider, not the company"):
        import_file(ws.store, as_company)
    with_company = write(tmp_path, "ok.csv", CONTACTS + f"pat@{provider},Pat,,,acme.example,,,\n")
    import_file(ws.store, with_company)
    assert domains(ws) == ["acme.example"]


def test_one_account_per_registered_domain(ws: Workspace, tmp_path: Path) -> None:
    accounts = write(
        tmp_path, "a.csv", HEADER + "eu.acme.com,Acme Europe,,,,,,,,\nshop.widgets.co.uk,Widgets,,,,,,,,\n"
    )
    contacts = write(
        tmp_path,
        "c.csv",
        CONTACTS + "pat@eu.acme.com,Pat,,,,,,\nkim@acme.com,Kim,,,,,,\nlee@mail.widgets.co.uk,Lee,,,,,,\n",
    )
    import_files(ws.store, [accounts, contacts])
    assert domains(ws) == ["acme.com", "widgets.co.uk"]
    with ws.store.transaction() as session:
        acme = session.scalar(select(Account).where(Account.domain == "acme.com"))
        assert acme is not None and sorted(c.email for c in acme.contacts) == ["kim@acme.com", "pat@eu.acme.com"]


def test_the_public_suffix_list_is_read_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_connection(*_: Any) -> None:
        raise AssertionError("the suffix list was fetched")

    monkeypatch.setattr(socket.socket, "connect", no_connection)
    registered_domain.cache_clear()
    assert registered_domain("a.b.example.co.jp") == "example.co.jp"
    assert registered_domain("one.myshopify.com") != registered_domain("two.myshopify.com")  # a platform's customers
    assert registered_domain("reno-freight.example") == "reno-freight.example"  # a name the list does not know


def test_several_files_are_imported_all_or_nothing(ws: Workspace, tmp_path: Path) -> None:
    good = write(tmp_path, "good.csv", CONTACTS + "pat@a.example,Pat,,,a.example,,,\n")
    bad = write(tmp_path, "bad.csv", CONTACTS + "bob@,Bob,,,a.example,,,\n")
    with pytest.raises(InputRejected) as error:
        import_files(ws.store, [good, bad])
    assert counts(ws) == (0, 0, 0)
    assert "nothing was imported from any of the 2 files" in str(error.value)
    assert [p.file for p in error.value.problems] == [str(bad)]
    assert [s.contacts_created for s in import_files(ws.store, [good])] == [1]


def test_a_duplicate_address_in_one_file_is_reported_with_both_lines(ws: Workspace, tmp_path: Path) -> None:
    rows = "pat@a.example,Pat,,,a.example,,,\nkim@a.example,Kim,,,a.example,,,\nPAT@A.example,Pat,,,b.example,,,\n"
    with pytest.raises(InputRejected) as error:
        import_file(ws.store, write(tmp_path, "c.csv", CONTACTS + rows))
    problem = error.value.problems[0]
    assert (problem.line, problem.field) == (4, "email")
    assert "pat@a.example is also on line 2" in problem.message
    assert counts(ws) == (0, 0, 0)


@pytest.mark.parametrize(
    ("rows", "line"),
    [
        # an opening quote never closed: everything after it would be one value
        ('a.example,A,,,,,,,,\nb.example,"B,,,,,,,,\nc.example,C,,,,,,,,\nd.example,D,,,,,,,,\n', 3),
        # a quote closed lines later, inside another row: wrong number of values
        ('a.example,"A,,,,,,,,\nb.example,B,,,,,,,,\n",x,,,,,,,,\nd.example,D,,,,,,,,\n', 2),
    ],
)
def test_a_broken_quote_is_reported_where_it_opens(ws: Workspace, tmp_path: Path, rows: str, line: int) -> None:
    with pytest.raises(InputError) as error:
        import_file(ws.store, write(tmp_path, "a.csv", HEADER + rows))
    assert error.value.line == line, str(error.value)
    assert "quote" in str(error.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("first_name", '=HYPERLINK("http://x")'),
        ("title", "+cmd|' /C calc'!A0"),
        ("last_name", "-2+3"),
        ("title", "@SUM(A1)"),
    ],
)
def test_formula_like_cells_are_refused(ws: Workspace, tmp_path: Path, field: str, value: str) -> None:
    columns = CONTACTS.strip().split(",")
    cells = dict.fromkeys(columns, "")
    cells.update(email="pat@a.example", account_domain="a.example", phone="+1 775-555-0142")
    cells[field] = '"' + value.replace('"', '""') + '"'
    path = write(tmp_path, "c.csv", CONTACTS + ",".join(cells[c] for c in columns) + "\n")
    with pytest.raises(InputError) as error:
        import_file(ws.store, path)
    assert error.value.field == field and "looks like a spreadsheet formula" in str(error.value)


def test_phone_numbers_and_negative_free_text_stay(ws: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", CONTACTS + "pat@a.example,Pat,,COO,a.example,,,+1 (775) 555-0142\n")
    import_file(ws.store, path)
    with ws.store.transaction() as session:
        assert session.scalar(select(Contact.phone)) == "+1 (775) 555-0142"


def test_role_mailboxes_and_throwaway_addresses_are_flagged(ws: Workspace, tmp_path: Path) -> None:
    rows = (
        "info@a.example,,,,a.example,,,\nsales+eu@a.example,,,,a.example,,,\n"
        "pat@mailinator.com,Pat,,,a.example,,,\nkim@a.example,Kim,,,a.example,,,\n"
    )
    summary = import_file(ws.store, write(tmp_path, "c.csv", CONTACTS + rows))
    assert summary.contacts_created == 4
    assert summary.role_addresses == ["info@a.example", "sales+eu@a.example"]
    assert summary.disposable_addresses == ["pat@mailinator.com"]


def test_addresses_are_checked_by_their_syntax(ws: Workspace, tmp_path: Path) -> None:
    for bad in ("pat@a..example", "pat smith@a.example", "pat@-a.example"):
        with pytest.raises(InputError, match="is not an email address"):
            import_file(ws.store, write(tmp_path, "c.csv", CONTACTS + f"{bad},Pat,,,a.example,,,\n"))
    summary = import_file(ws.store, write(tmp_path, "c.csv", CONTACTS + "Pat.O'Neil@Bücher.example,Pat,,,,,,\n"))
    assert summary.contacts_created == 1
    with ws.store.transaction() as session:
        assert session.scalar(select(Contact.email)) == "pat.o'neil@xn--bcher-kva.example"
