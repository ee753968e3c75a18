"""Mistakes an operator makes at the command line: the usage and one line, never a traceback; the
workspace named on the command line brings its own settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.accounts.test_importer import CONTACTS
from tests.test_cli import sdr


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["import"], "Error: Missing argument"),
        (["import", "--bogus", "x.csv"], "Error: No such option: --bogus"),
        (["imprt"], "Error: No such command 'imprt'."),
        (["send", "--interval", "soon"], "Error: Invalid value for '--interval'"),
    ],
)
def test_usage_mistakes_print_the_usage_and_one_error_line(tmp_path: Path, args: list[str], error: str) -> None:
    result = sdr(*args, workspace=tmp_path / "ws", check=False)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("Usage: sdr")
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and errors[0].startswith(error)


def test_an_import_of_several_files_with_one_bad_imports_none(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(CONTACTS + "pat@a.example,Pat,,,a.example,,,\n")
    bad.write_text(CONTACTS + "kim@a.example,=1+1,,,a.example,,,\n")
    workspace = tmp_path / "ws"
    result = sdr("import", str(good), str(bad), workspace=workspace, check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == f"{bad}: nothing was imported from any of the 2 files"
    listed = sdr("contacts", "list", "--json", workspace=workspace)
    assert listed.stdout.strip() == "[]"


def test_the_workspace_option_reads_that_workspace_settings_file(tmp_path: Path) -> None:
    chosen, elsewhere = tmp_path / "chosen", tmp_path / "elsewhere"
    chosen.mkdir()
    store = tmp_path / "from-settings-file.db"
    (chosen / "settings.env").write_text(f"SDR_DATABASE_URL=sqlite:///{store}\n")
    contacts = tmp_path / "c.csv"
    contacts.write_text(CONTACTS + "pat@a.example,Pat,,,a.example,,,\n")
    # SDR_WORKSPACE names another folder: the option wins, and so does its settings file
    sdr("--workspace", str(chosen), "import", str(contacts), workspace=elsewhere)
    assert store.exists() and not (chosen / "sdr.db").exists()
