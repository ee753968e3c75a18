"""The booking decision and routing, beyond the evaluation set's phrasings (the time reader: tests/timex)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from agent.campaign.meetings import MeetingsSpec
from agent.meetings.availability import Rules, free_slots, why_not
from agent.meetings.decide import decide
from agent.meetings.routing import choose
from evals.booking.suite import SUITE
from tests.conftest import ROOT
from tests.meetings.conftest import AES
from tools.calendar import Busy

NOW = datetime.fromisoformat("2026-11-18T10:00:00-05:00")  # a Wednesday in New York


RULES = Rules(
    tz="America/Chicago", day_start=time(9), day_end=time(17), days=frozenset(range(5)), meeting=timedelta(minutes=30),
    buffer=timedelta(minutes=15), notice=timedelta(hours=24), daily_cap=4,
)  # fmt: skip


def test_why_not_says_which_rule() -> None:
    now = datetime.fromisoformat("2026-11-30T09:00:00-06:00")
    at = datetime.fromisoformat
    busy = [Busy(at("2026-12-02T10:00:00-06:00"), at("2026-12-02T11:00:00-06:00"))]
    assert why_not(at("2026-11-30T15:00:00-06:00"), RULES, busy, now) == "less than 24 hours' notice"
    assert why_not(at("2026-12-05T10:00:00-06:00"), RULES, busy, now) == "Saturday is not a working day"
    assert "outside working hours" in (why_not(at("2026-12-02T16:45:00-06:00"), RULES, busy, now) or "")
    assert why_not(at("2026-12-02T10:30:00-06:00"), RULES, busy, now) == "busy"
    assert why_not(at("2026-12-02T11:00:00-06:00"), RULES, busy, now) == "too close to another meeting"
    assert why_not(at("2026-12-02T11:15:00-06:00"), RULES, busy, now) is None


def test_offered_slots_are_free_spread_and_inside_the_prospects_day() -> None:
    now = datetime.fromisoformat("2026-11-30T09:00:00-06:00")
    slots = free_slots(RULES, [], now, count=3, prospect_tz="Europe/London")
    assert len(slots) == 3 and len({s.date() for s in slots}) == 3
    assert all(why_not(s, RULES, [], now) is None for s in slots)
    assert all(
        time(8) <= s.astimezone(__import__("zoneinfo").ZoneInfo("Europe/London")).time() <= time(17, 30) for s in slots
    )


def test_a_cancellation_without_a_meeting_is_not_a_booking() -> None:
    decision = decide(["Please cancel"], now=NOW, prospect_tz="America/New_York", rules=RULES, busy=[])
    assert decision.outcome == "offer_new_times"


def spec(routing: str, **extra: Any) -> MeetingsSpec:
    return MeetingsSpec.model_validate({"account_executives": AES, "routing": routing, **extra})


def account(country: str | None, region: str | None = None, employees: int | None = None) -> Any:
    return SimpleNamespace(name="Acme", country=country, region=region, employees=employees)


def test_routing_by_territory_records_why() -> None:
    route = choose(spec("territory"), account("DE", "Bavaria"), {})
    assert route.executive.name == "Hannah Okafor" and route.reason == "Acme is in DE, which Hannah Okafor covers"
    fallback = choose(spec("territory"), account("JP"), {"priya.nair@lumendock.example": 3})
    assert fallback.rule == "round_robin" and fallback.executive.name == "Hannah Okafor"
    assert "no AE covers JP" in fallback.reason


def test_routing_by_segment_and_round_robin() -> None:
    aes = [dict(AES[0], segments=["enterprise"]), dict(AES[1], segments=["mid_market"])]
    segments = {"mid_market": {"min_employees": 200, "max_employees": 1999}, "enterprise": {"min_employees": 2000}}
    by_segment = MeetingsSpec.model_validate({"account_executives": aes, "routing": "segment", "segments": segments})
    assert choose(by_segment, account("US", employees=5000), {}).executive.name == "Priya Nair"
    assert choose(by_segment, account("US", employees=300), {}).executive.name == "Hannah Okafor"
    assert choose(by_segment, account("US", employees=50), {}).rule == "round_robin"
    rr = spec("round_robin")
    assert choose(rr, account("US"), {}).executive.name == "Priya Nair"
    assert choose(rr, account("US"), {"priya.nair@lumendock.example": 1}).executive.name == "Hannah Okafor"


def test_the_meetings_section_is_validated() -> None:
    with pytest.raises(ValueError, match="segment 'smb' is not defined"):
        MeetingsSpec.model_validate({"account_executives": [dict(AES[0], segments=["smb"])]})
    with pytest.raises(ValueError, match="exactly one of ics"):
        MeetingsSpec.model_validate({"account_executives": [dict(AES[0], calendar={})]})
    with pytest.raises(ValueError, match="unknown time zone"):
        MeetingsSpec.model_validate({"account_executives": [dict(AES[0], timezone="Mars/Base")]})


def test_the_booking_evaluation_holds_on_the_rules() -> None:
    """The eval's floor, so that a parser change that breaks a rule fails here first."""
    cases = SUITE.cases()
    outcomes = [SUITE.run_case(case, None) for case in cases]  # type: ignore[arg-type]
    figures = SUITE.metrics(cases, outcomes)
    assert figures["parse.kind_accuracy"] >= 0.98 and figures["parse.first_candidate_exact"] >= 0.98
    assert figures["booking.outcome_accuracy"] >= 0.97 and figures["booking.wrong_booking_rate"] == 0.0


def test_the_batch_parser_answers_every_good_line_and_names_the_bad_ones(tmp_path: Path) -> None:
    lines = [
        {"id": "a", "text": "Tuesday 10:30 PT works for me", "now": "2026-11-20T09:15:00-05:00",
         "prospect_tz": "America/New_York"},
        "not json",
        {"id": "c", "text": "next week", "now": "2026-11-20T09:15:00", "prospect_tz": "America/New_York"},
        {"id": "d", "text": "next week", "now": "2026-11-20T14:15:00Z", "prospect_tz": "America/New_York"},
    ]  # fmt: skip
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    done = subprocess.run(
        [sys.executable, "-m", "agent.cli.app", "meetings", "parse", "--jsonl", str(path)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert answers == [
        {"id": "a", "kind": "slot", "candidates": ["2026-11-24T10:30:00-08:00"], "ambiguous": False},
        {"id": "d", "kind": "vague", "candidates": ["2026-11-23T09:00:00-05:00"], "ambiguous": False},
    ]
    assert f"{path}:2: not JSON" in done.stderr.replace("\n", "")
    assert f"{path}:3: now: needs a UTC offset" in done.stderr.replace("\n", "")
