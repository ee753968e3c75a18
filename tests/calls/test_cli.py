"""`sdr calls ingest | search | list` as an operator uses them (in-process, the real model and store)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from agent.cli.app import app

FIXTURES = Path(__file__).parent / "fixtures"


def sdr(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_ingest_search_and_list() -> None:
    code, out, _ = sdr("calls", "ingest", str(FIXTURES))
    assert code == 0 and "4 calls added" in out
    code, out, _ = sdr("calls", "ingest", str(FIXTURES))
    assert code == 0 and "0 calls added" in out and "4 already ingested" in out and "0 moments added" in out

    code, out, _ = sdr(
        "calls", "search", "what does the budget look like against detention", "--outcome", "won", "--json"
    )
    found = json.loads(out)
    assert code == 0 and found and all(s["metadata"]["outcome"] == "won" and s["id"].startswith("C") for s in found)
    code, out, _ = sdr("calls", "search", "how to grow tomatoes on a balcony")
    assert code == 0 and "no call snippet is close enough" in out

    code, out, _ = sdr("calls", "list", "--json")
    calls = {c["call_id"]: c for c in json.loads(out)}
    assert set(calls) == {"fx-cold-discovery", "fx-3pl-objection", "fx-food-pricing", "fx-mfg-stall"}
    assert calls["fx-3pl-objection"]["outcome"] == "lost" and calls["fx-3pl-objection"]["moments"] >= 1
    assert calls["fx-3pl-objection"]["source"].endswith("tpl-objection.vtt")


def test_a_bad_file_is_one_line_with_its_place_and_exit_1(tmp_path: Path) -> None:
    folder = tmp_path / "calls"
    folder.mkdir()
    shutil.copy(FIXTURES / "food-pricing.srt", folder / "ok.srt")
    (folder / "bad.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nA: Hi.\n\n2\nB: no timing\n")
    code, out, err = sdr("calls", "ingest", str(folder))
    assert code == 1 and "1 calls added" in out
    assert err.strip().splitlines()[-1] == (
        f"error {folder / 'bad.srt'}:6: expected a timing line like '00:00:01,000 --> 00:00:04,000' "
        "(nothing from this file was ingested)"
    )
