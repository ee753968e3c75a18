from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent.accounts.importer import import_file
from agent.errors import InputError, InputRejected
from agent.store.tables import Account, Contact, Event
from agent.suppression import suppress
from agent.workspace import Workspace
from tests.conftest import EXAMPLES

HEADER = "domain,name,industry,employees,country,region,city,technologies,website,description\n"
CONTACTS = "email,first_name,last_name,title,account_domain,timezone,linkedin_url,phone\n"


def counts(ws: Workspace) -> tuple[int, int, int]:
    with ws.store.transaction() as s:
        return (
            s.scalar(select(func.count()).select_from(Account)) or 0,
            s.scalar(select(func.count()).select_from(Contact)) or 0,
            s.scalar(select(func.count()).select_from(Event)) or 0,
        )


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def test_native_accounts_and_contacts(ws: Workspace) -> None:
    accounts = import_file(ws.store, EXAMPLES / "accounts.csv")
    contacts = import_file(ws.store, EXAMPLES / "contacts.csv")
    assert accounts.accounts_created == 20 and accounts.contacts_created == 0
    assert contacts.contacts_created == contacts.rows and contacts.accounts_created == 0
    with ws.store.transaction() as s:
        reno = s.scalar(select(Account).where(Account.domain == "reno-freight.example"))
        assert reno is not None and reno.technologies and reno.employees
        assert all(c.account_id == reno.id for c in reno.contacts) and reno.contacts


def test_hubspot_export_merges_duplicates_case_insensitively(ws: Workspace) -> None:
    import_file(ws.store, EXAMPLES / "accounts.csv")
    import_file(ws.store, EXAMPLES / "contacts.csv")
    before = counts(ws)
    summary = import_file(ws.store, EXAMPLES / "hubspot_contacts.csv")
    after = counts(ws)
    assert summary.accounts_created == 3
    # one row repeats a known contact with other capitals: merged, not duplicated
    assert summary.contacts_created == summary.rows - 1
    assert after[1] == before[1] + summary.rows - 1


def test_salesforce_export(ws: Workspace) -> None:
    summary = import_file(ws.store, EXAMPLES / "salesforce_leads.csv")
    assert summary.contacts_created == summary.rows == 5
    assert summary.accounts_created >= 1


def test_reimport_is_idempotent(ws: Workspace) -> None:
    import_file(ws.store, EXAMPLES / "accounts.csv")
    again = import_file(ws.store, EXAMPLES / "accounts.csv")
    assert again.accounts_created == 0 and again.accounts_updated == 0


def test_later_import_updates_but_never_blanks(ws: Workspace, tmp_path: Path) -> None:
    first = write(tmp_path, "a.csv", HEADER + "acme.example,Acme,Logistics,500,US,NV,Reno,,,\n")
    second = write(tmp_path, "b.csv", HEADER + "https://www.ACME.example/about,Acme Inc,,800,,,,,,\n")
    import_file(ws.store, first)
    summary = import_file(ws.store, second)
    assert summary.accounts_updated == 1 and summary.accounts_created == 0
    with ws.store.transaction() as s:
        acme = s.scalar(select(Account).where(Account.domain == "acme.example"))
        assert acme is not None
        assert (acme.name, acme.employees, acme.industry, acme.city) == ("Acme Inc", 800, "Logistics", "Reno")


def test_json_and_jsonl(ws: Workspace, tmp_path: Path) -> None:
    doc = {
        "accounts": [{"domain": "a.example", "name": "A"}],
        "contacts": [{"email": "Pat@A.example", "first_name": "Pat", "title": "COO"}],
    }
    import_file(ws.store, write(tmp_path, "x.json", json.dumps(doc, indent=2)))
    lines = "\n".join(
        json.dumps(r) for r in [{"Email": "kim@b.example", "Company": "B"}, {"domain": "c.example", "name": "C"}]
    )
    import_file(ws.store, write(tmp_path, "y.jsonl", lines))
    with ws.store.transaction() as s:
        assert {a.domain for a in s.scalars(select(Account))} == {"a.example", "b.example", "c.example"}
        assert s.scalar(select(Contact.email).where(Contact.first_name == "Pat")) == "pat@a.example"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.csv", "", "empty.csv: the file is empty"),
        (
            "latin1.csv",
            HEADER.encode() + "m\xfcller.example,M\xfcller GmbH,,,,,,,,\n".encode("latin-1"),
            "latin1.csv:2: not UTF-8 (byte 0xfc)",
        ),
        (
            "typo.csv",
            CONTACTS.replace("email", "emial"),
            "typo.csv:1: emial: unknown column (did you mean 'email'?)",
        ),
        (
            "bad_email.csv",
            CONTACTS + "pat@a.example,Pat,,,a.example,,,\nbob@,Bob,,,a.example,,,\n",
            "bad_email.csv:3: email: 'bob@' is not an email address",
        ),
        ("broken.csv", HEADER + 'a.example,"A,Logistics\n', "broken.csv"),
        ("ragged.csv", HEADER + "a.example,A\n", "ragged.csv:2: 2 values for 10 columns"),
        (
            "tz.csv",
            CONTACTS + "pat@a.example,Pat,,,a.example,Mars/Olympus,,\n",
            "tz.csv:2: timezone: unknown time zone",
        ),
        ("free.csv", CONTACTS + "pat@gmail.com,Pat,,,,,,\n", "free.csv:2: cannot tell the company"),
        (
            "domain.csv",
            HEADER + "a.example,A,,,,,,,,\nacme freight,Acme Freight,,,,,,,,\n",
            "domain.csv:3: domain 'acme freight' is not a web domain",
        ),
        ("bad.json", '{"accounts": [', "bad.json:1: not JSON"),
    ],
)
def test_bad_files_are_rejected_whole_with_the_place(
    ws: Workspace, tmp_path: Path, name: str, content: str | bytes, expected: str
) -> None:
    path = write(tmp_path, name, content)
    before = counts(ws)
    with pytest.raises(InputError) as error:
        import_file(ws.store, path)
    message = str(error.value)
    assert message.startswith(str(tmp_path / expected.split(":")[0])) and expected.split(":", 1)[-1] in message
    assert "\n" not in message
    assert counts(ws) == before  # nothing half-imported, not even an event


def test_websites_and_international_domains_become_the_domain_dns_knows(ws: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", HEADER + "https://www.Acme.example/about,Acme,,,,,,,,\nbücher.example,B,,,,,,,,\n")
    import_file(ws.store, path)
    with ws.store.transaction() as session:
        assert sorted(session.scalars(select(Account.domain))) == ["acme.example", "xn--bcher-kva.example"]


def test_every_bad_row_is_reported(ws: Workspace, tmp_path: Path) -> None:
    rows = "".join(f"p{i}@a.example,P,,,a.example,,,\n" for i in range(3)) + "x@,X,,,a.example,,,\ny@,Y,,,,,,\n"
    with pytest.raises(InputRejected) as error:
        import_file(ws.store, write(tmp_path, "c.csv", CONTACTS + rows))
    assert [p.line for p in error.value.problems] == [5, 6]
    assert counts(ws) == (0, 0, 0)


def test_unknown_columns_can_be_skipped_on_request(ws: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "email,favourite colour\npat@a.example,blue\n")
    assert import_file(ws.store, path, ignore_unknown=True).contacts_created == 1


def test_suppressed_addresses_are_not_imported(ws: Workspace, tmp_path: Path) -> None:
    with ws.store.transaction() as s:
        suppress(s, "gone@a.example", "unsubscribe")
        suppress(s, "@blocked.example", "manual")
    path = write(
        tmp_path,
        "c.csv",
        CONTACTS + "gone@a.example,G,,,a.example,,,\nok@a.example,O,,,a.example,,,\n"
        "x@blocked.example,X,,,blocked.example,,,\n",
    )
    summary = import_file(ws.store, path)
    assert summary.contacts_created == 1
    assert sorted(summary.suppressed_skipped) == ["gone@a.example", "x@blocked.example"]
