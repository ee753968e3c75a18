"""`sdr people` as an operator runs it: export, forget (asked to confirm), purge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.accounts.test_importer import CONTACTS
from tests.test_cli import sdr

DANA = "dana@acme.example"


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SDR_ERASURE_SECRET", "a-secret-of-thirty-two-characters")
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(CONTACTS + f"{DANA},Dana,Doe,COO,acme.example,,,+1 312-555-0188\nkim@acme.example,Kim,,,,,,\n")
    sdr("import", str(contacts), workspace=tmp_path / "ws")
    return tmp_path / "ws"


def test_export_then_forget_then_nothing_left(workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "dana.json"
    sdr("people", "export", DANA, "--out", str(out), workspace=workspace)
    assert json.loads(out.read_text())["contacts"][0]["phone"] == "+1 312-555-0188"
    refused = sdr("people", "forget", DANA, workspace=workspace, check=False)  # no one to say yes
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert DANA in sdr("contacts", "list", "--json", workspace=workspace).stdout
    forgotten = sdr("people", "forget", DANA, "--yes", "--json", workspace=workspace)
    assert json.loads(forgotten.stdout)["contacts"] == 1
    listed = sdr("contacts", "list", "--json", workspace=workspace).stdout
    assert DANA not in listed and "Doe" not in listed and "kim@acme.example" in listed
    export = json.loads(sdr("people", "export", DANA, workspace=workspace).stdout)
    assert export["contacts"] == [] and export["do_not_contact"]["suppressed"] is True


def test_forget_without_the_secret_is_one_line(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SDR_ERASURE_SECRET")
    result = sdr("people", "forget", DANA, "--yes", workspace=workspace, check=False)
    assert result.returncode == 1 and result.stderr.startswith("error SDR_ERASURE_SECRET must be set")
    assert len(result.stderr.strip().splitlines()) == 1


def test_purge_takes_the_period_from_the_option_or_the_setting(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = sdr("people", "purge", workspace=workspace, check=False)
    assert missing.returncode == 1 and "SDR_RETENTION_DAYS" in missing.stderr
    bad = sdr("people", "purge", "--older-than", "soon", workspace=workspace, check=False)
    assert bad.returncode == 1 and "give a number of days or weeks" in bad.stderr
    monkeypatch.setenv("SDR_RETENTION_DAYS", "180")
    done = sdr("people", "purge", "--json", workspace=workspace)
    assert json.loads(done.stdout)["replies"] == 0
