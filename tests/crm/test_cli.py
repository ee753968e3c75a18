"""`sdr crm` as an operator meets it: real processes reading the workspace's settings.env; a
missing extra, missing or refused credentials are one line, never a traceback, never the token."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.settings import load_settings
from agent.workspace import Workspace
from tests.crm.conftest import FAST, seed_activity
from tests.crm.fake_crm import TOKEN, FakeHubSpot

pytestmark = pytest.mark.usefixtures("suite_clock")


def sdr(*args: str, workspace: Path, pythonpath: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SDR_WORKSPACE": str(workspace), "COLUMNS": "200"}
    env = {k: v for k, v in env.items() if not k.startswith(("SDR_HUBSPOT", "HUBSPOT_", "SDR_SALESFORCE"))}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    return subprocess.run(
        [sys.executable, "-m", "agent.cli.app", *args], env=env, capture_output=True, text=True, timeout=120
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert TOKEN not in result.stdout + result.stderr
    return " ".join(result.stderr.split())


def test_sync_and_status_from_the_workspace_settings(
    tmp_path: Path, certificate: tuple[Path, Path], hubspot: FakeHubSpot
) -> None:
    folder = tmp_path / "ws"
    seed_activity(Workspace(load_settings(workspace=folder)))
    missing = sdr("crm", "sync", "--provider", "hubspot", workspace=folder)
    assert one_line_error(missing).startswith("error HubSpot: set SDR_HUBSPOT_TOKEN")

    settings = {"SDR_HUBSPOT_URL": hubspot.base_url, "SDR_HUBSPOT_TOKEN": TOKEN, "SDR_CRM_CA_BUNDLE": certificate[0]}
    settings |= {f"SDR_{k.upper()}": v for k, v in FAST.items()}
    (folder / "settings.env").write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
    synced = sdr("crm", "sync", "--provider", "hubspot", "--json", workspace=folder)
    assert synced.returncode == 0, synced.stderr
    assert json.loads(synced.stdout)["written"] == {"email": 3, "touch": 1, "reply": 1, "meeting": 1, "handoff": 1}
    status = json.loads(sdr("crm", "status", "--provider", "hubspot", "--json", workspace=folder).stdout)
    assert status["pending"] == {} and status["activities_written"] == 7 and status["last_sync"]["error"] is None

    hubspot.token = "rotated-token-0000000000"
    hubspot.lists["42"] = []
    refused = sdr("crm", "import", "--provider", "hubspot", "--list", "42", workspace=folder)
    assert one_line_error(refused) == "error HubSpot refused the access token (401): check SDR_HUBSPOT_TOKEN"


def test_without_the_extra_it_says_what_to_install(tmp_path: Path) -> None:
    shadow = tmp_path / "without-crm"
    (shadow / "hubspot").mkdir(parents=True)
    (shadow / "hubspot" / "__init__.py").write_text("raise ImportError('No module named hubspot')\n")
    folder = tmp_path / "ws"
    folder.mkdir()
    (folder / "settings.env").write_text(f"SDR_HUBSPOT_TOKEN={TOKEN}\n")
    result = sdr("crm", "import", "--provider", "hubspot", "--list", "42", workspace=folder, pythonpath=str(shadow))
    assert one_line_error(result) == ("error HubSpot: the CRM clients are not installed: pip install 'sdr-agent[crm]'")
