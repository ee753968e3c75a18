"""The command line as an operator meets it: real processes, real exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from tests.helpers import IN_WINDOW


def sdr(*args: str, workspace: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SDR_WORKSPACE": str(workspace),
        "SDR_SOURCES_DIR": str(EXAMPLES / "sources"),
        "COLUMNS": "200",
    }
    result = subprocess.run(
        [sys.executable, "-m", "agent.cli.app", *args],
        env=env,
        cwd=workspace.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return tmp_path / "ws"


def test_bad_files_get_one_line_per_problem_and_no_traceback(workspace: Path, tmp_path: Path) -> None:
    bad = tmp_path / "contacts.csv"
    bad.write_text("email,first_name,titel\npat@a.example,Pat,COO\n")
    result = sdr("import", str(bad), workspace=workspace, check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert (
        lines[0] == f"error {bad}:1: titel: unknown column (did you mean 'title'?); rename it, or pass "
        "--ignore-unknown-columns"
    )


def test_an_import_rejected_whole_lists_every_problem(workspace: Path, tmp_path: Path) -> None:
    bad = tmp_path / "contacts.csv"
    bad.write_text("email,first_name\nok@a.example,Ok\nbroken@,B\nalso@@x,C\n")
    result = sdr("import", str(bad), workspace=workspace, check=False)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and [line.split(":")[1] for line in lines[:2]] == ["3", "4"]
    assert lines[-1] == f"{bad}: nothing was imported"
    listed = json.loads(sdr("contacts", "list", "--json", workspace=workspace).stdout)
    assert listed == []


def test_a_campaign_typo_names_file_and_line(workspace: Path, tmp_path: Path) -> None:
    campaign = tmp_path / "campaign.yaml"
    campaign.write_text((EXAMPLES / "campaign.yaml").read_text().replace("sequence:", "sequense:", 1))
    result = sdr("run", str(campaign), workspace=workspace, check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    line = campaign.read_text().splitlines().index("sequense:") + 1
    assert result.stderr.startswith(f"error {campaign}:{line}: sequense: unknown key (did you mean 'sequence'?)")
    assert result.stderr.count("\n") == 1


def test_import_run_review_send_status_end_to_end(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The product as `make demo` installs it: no chat model, so every decision is rules, templates
    # and the classifiers, and no task asks for a model.
    monkeypatch.setenv("SDR_MODEL", "none")
    for name in ("accounts.csv", "contacts.csv"):
        sdr("import", str(EXAMPLES / name), workspace=workspace)
    run = json.loads(sdr("run", str(EXAMPLES / "campaign.yaml"), "--json", workspace=workspace).stdout)
    assert run["enrolled"] > 0 and run["drafted"] == run["enrolled"] and run["errors"] == []
    pending = json.loads(sdr("review", "list", "--state", "pending_review", "--json", workspace=workspace).stdout)
    assert pending and all(d["state"] == "pending_review" for d in pending)
    sdr("review", "approve", str(pending[0]["id"]), workspace=workspace)
    sent = json.loads(sdr("send", "--as-of", IN_WINDOW.isoformat() + "+00:00", "--json", workspace=workspace).stdout)
    assert pending[0]["id"] in sent["sent"] or pending[0]["step"] > 1
    status = json.loads(sdr("status", "--json", workspace=workspace).stdout)
    campaign = status["campaigns"][0]
    steps = campaign["outbox"]["sequence_step"]
    assert campaign["campaign"] == "q4-dock-ops" and steps.get("sent") == len(sent["sent"])
    assert status["accounts"] == 20 and status["accounts_researched"] > 0
    assert status["chat_model"] == "none" and campaign["model"]["calls"] == 0
    assert "pip install 'sdr-agent[local]'" in sdr("status", workspace=workspace).stdout
    accounts = json.loads(sdr("accounts", "list", "--json", workspace=workspace).stdout)
    assert {"domain", "fit", "intent", "reasons"} <= set(accounts[0])


def test_suppress_from_the_command_line(workspace: Path) -> None:
    sdr("suppress", "add", "@competitor.example", "--reason", "manual", workspace=workspace)
    listed = json.loads(sdr("suppress", "list", "--json", workspace=workspace).stdout)
    assert listed[0]["value"] == "@competitor.example"
    bad = sdr("suppress", "add", "not-an-address", workspace=workspace, check=False)
    assert bad.returncode == 1 and bad.stderr.startswith("error ")


def test_a_failed_eval_gate_exits_non_zero(workspace: Path, tmp_path: Path) -> None:
    """A gate that fails must fail the build: the exit code, not only the printout."""
    result = sdr(
        "eval", "booking", "--check", "--gate", "--baselines", str(tmp_path / "none"), workspace=workspace, check=False
    )
    assert result.returncode == 1 and "no baseline" in result.stdout
