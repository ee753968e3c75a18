"""Booking: the parser on `parse_cases.jsonl` and the booking decision on `cases.jsonl`.

The metrics are the README's: kind accuracy, first-candidate exact match (same instant, same
offset), ambiguous-flag accuracy for the parser; outcome accuracy, exact start match, existing
match and the wrong-booking rate for the dialogues. Cases run the path production runs: the
rules, and the tool-calling agent where the rules found no time and the model is capable (its
acts recorded, not performed).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from agent.campaign.meetings import WEEKDAYS
from agent.meetings.availability import Rules
from agent.meetings.decide import Decision, decide
from agent.timex import read_times
from agent.workspace import Workspace
from evals.framework import Case, CaseOutcome, Score, Suite, mean
from tools.calendar.base import Busy

HERE = Path(__file__).parent
PARSE = HERE / "parse_cases.jsonl"
DIALOGUES = HERE / "cases.jsonl"
BOOKED = ("book", "reschedule")


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _same_with_offset(a: datetime, b: datetime) -> bool:
    return a == b and a.utcoffset() == b.utcoffset()


def run_parse(case: Case) -> CaseOutcome:
    expected = case["expected"]
    reading = read_times(case["text"], _instant(case["now"]), case["prospect_tz"])
    got = [c.isoformat() for c in reading.candidates]
    want = [_instant(c) for c in expected["candidates"]]
    if not want or not reading.candidates:
        first = not want and not reading.candidates
    else:
        first = _same_with_offset(reading.candidates[0], want[0])
    whole = len(want) == len(reading.candidates) and all(
        _same_with_offset(a, b) for a, b in zip(reading.candidates, want, strict=True)
    )
    return CaseOutcome(
        case["id"],
        [
            Score("kind", float(reading.kind == expected["kind"]), f"{reading.kind} vs {expected['kind']}"),
            Score("first_candidate", float(first), f"{got[:1]} vs {expected['candidates'][:1]}"),
            Score("ambiguous", float(reading.ambiguous == expected["ambiguous"])),
            Score("candidates", float(whole)),
        ],
        output={"kind": reading.kind, "candidates": got, "ambiguous": reading.ambiguous},
    )


def rules_of(ae: dict[str, Any]) -> Rules:
    hours = ae["working_hours"]
    return Rules(
        tz=ae["tz"],
        day_start=time.fromisoformat(hours["start"]),
        day_end=time.fromisoformat(hours["end"]),
        days=frozenset(WEEKDAYS.index(d) for d in hours["days"]),
        meeting=timedelta(minutes=ae["meeting_minutes"]),
        buffer=timedelta(minutes=ae["buffer_minutes"]),
        notice=timedelta(hours=ae["min_notice_hours"]),
        daily_cap=ae["daily_cap"],
    )


def decide_case(case: Case, ws: Workspace | None = None) -> Decision:
    rules = rules_of(case["ae"])
    busy = [Busy(_instant(a), _instant(b)) for a, b in case["ae"]["busy"]]
    now = _instant(case["now"])
    existing = _instant(case["existing"]) if case.get("existing") else None
    offered = [_instant(s) for s in case.get("offered", [])]
    decision = decide(
        case["messages"], now=now, prospect_tz=case["prospect_tz"], rules=rules, busy=busy, offered=offered,
        existing=existing,
    )  # fmt: skip
    if ws is None or not ws.llm.handle.capable_writer:
        return decision
    from agent.meetings.requests import _needs_model

    if not _needs_model(decision):
        return decision
    from agent.meetings.assistant import Context, consult

    acts: list[Decision] = []

    def record(kind: str, start: datetime | None, _quote: str) -> str:
        acts.append(Decision(kind, start=start, existing=existing, reason="model"))  # type: ignore[arg-type]
        return f"{kind} recorded"

    ctx = Context(
        text="\n".join(case["messages"]), now=now, said_at=now, prospect_tz=case["prospect_tz"],
        prospect={"name": "the prospect"}, ae_name=case["ae"]["name"], rules=rules, busy=busy, existing=existing,
        offered=offered,
    )  # fmt: skip
    consult(ws.llm, ctx, record, {})
    return acts[0] if acts else decision


def run_dialogue(case: Case, ws: Workspace | None) -> CaseOutcome:
    expected = case["expected"]
    decision = decide_case(case, ws)
    right = decision.outcome == expected["outcome"]
    scores = [Score("outcome", float(right), f"{decision.outcome} vs {expected['outcome']}: {decision.reason}")]
    if "start" in expected:
        same = right and decision.start is not None and decision.start == _instant(expected["start"])
        scores.append(Score("start", float(same), f"{decision.start} vs {expected['start']}"))
    if "existing" in expected:
        scores.append(Score("existing", float(decision.existing == _instant(expected["existing"]))))
    if expected["outcome"] in ("offer_new_times", "clarify"):
        booked = decision.outcome in BOOKED
        scores.append(Score("no_wrong_booking", float(not booked), "booked when it should not" if booked else ""))
    output = {"outcome": decision.outcome, "start": decision.start.isoformat() if decision.start else None}
    return CaseOutcome(case["id"], scores, output=output)


def run_case(case: Case, ws: Workspace) -> CaseOutcome:
    return run_parse(case) if "text" in case else run_dialogue(case, ws)


def metrics(cases: list[Case], outcomes: list[CaseOutcome]) -> dict[str, float]:
    def average(name: str, kind: str) -> float:
        picked = [o for c, o in zip(cases, outcomes, strict=True) if ("text" in c) == (kind == "parse")]
        return mean([s.value for o in picked if (s := o.score(name)) is not None])

    return {
        "parse.kind_accuracy": average("kind", "parse"),
        "parse.first_candidate_exact": average("first_candidate", "parse"),
        "parse.ambiguous_accuracy": average("ambiguous", "parse"),
        "parse.candidates_exact": average("candidates", "parse"),
        "booking.outcome_accuracy": average("outcome", "dialogue"),
        "booking.exact_start": average("start", "dialogue"),
        "booking.existing_match": average("existing", "dialogue"),
        "booking.wrong_booking_rate": round(1 - average("no_wrong_booking", "dialogue"), 4),
    }


def by_tag(cases: list[Case], outcomes: list[CaseOutcome]) -> dict[str, dict[str, float]]:
    """Every score per tag, so that a regression in, say, `dst` shows."""
    values: dict[tuple[str, str], list[float]] = defaultdict(list)
    for case, outcome in zip(cases, outcomes, strict=True):
        prefix = "parse" if "text" in case else "booking"
        for tag in case.get("tags", []):
            for score in outcome.scores:
                values[(f"{prefix}:{tag}", score.name)].append(score.value)
    table: dict[str, dict[str, float]] = defaultdict(dict)
    for (tag, name), scores in sorted(values.items()):
        table[tag][name] = mean(scores)
        table[tag]["cases"] = max(table[tag].get("cases", 0), len(scores))
    return dict(table)


SUITE = Suite(
    name="booking",
    description="Reading time expressions (R1-R11) and deciding bookings (B1-B5) across zones and DST.",
    datasets=[PARSE, DIALOGUES],
    prompts=["booking_agent"],
    run_case=run_case,
    metrics=metrics,
    gated={
        "parse.kind_accuracy": 0.0,
        "parse.first_candidate_exact": 0.0,
        "parse.ambiguous_accuracy": 0.0,
        "booking.outcome_accuracy": 0.0,
        "booking.exact_start": 0.0,
    },
    uses_model=False,  # on the embedded model the rules decide every case; a capable model makes it True
)
