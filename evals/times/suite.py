"""Time expressions people write (evals/times/README.md): the development set and the locked test set.

Cases are scored as the booking parser set is (kind, first candidate with its offset, the
ambiguous flag, the whole list), and reported per part and per language, so that a choice made
on the development set can be checked on cases it was never tuned on.
"""

from __future__ import annotations

import json
from pathlib import Path

from agent.workspace import Workspace
from evals.booking.suite import run_parse
from evals.framework import Case, CaseOutcome, Suite, mean

HERE = Path(__file__).parent
DEV = HERE / "dev.jsonl"
TEST = HERE / "test.jsonl"
LANGUAGES = ("en", "es", "fr", "de", "pt")
SCORES = {"kind": "kind_accuracy", "first_candidate": "first_candidate_exact", "ambiguous": "ambiguous_accuracy",
          "candidates": "candidates_exact"}  # fmt: skip


def _part(case: Case) -> str:
    return "test" if case["id"] in _TEST_IDS else "dev"


def run_case(case: Case, _ws: Workspace) -> CaseOutcome:
    return run_parse(case)


def metrics(cases: list[Case], outcomes: list[CaseOutcome]) -> dict[str, float]:
    out: dict[str, float] = {}
    pairs = list(zip(cases, outcomes, strict=True))
    for part in ("dev", "test"):
        for language in (None, *LANGUAGES):
            picked = [o for c, o in pairs if _part(c) == part and language in (None, c.get("language"))]
            prefix = part if language is None else f"{part}.{language}"
            for score, name in SCORES.items():
                if language is None or score in ("kind", "first_candidate"):
                    out[f"{prefix}.{name}"] = mean([s.value for o in picked if (s := o.score(score)) is not None])
    return out


_TEST_IDS = frozenset(json.loads(line)["id"] for line in TEST.read_text(encoding="utf-8").splitlines() if line.strip())

SUITE = Suite(
    name="times",
    description="Time expressions in EN/ES/FR/DE/PT by failure family: development set and locked test set.",
    datasets=[DEV, TEST],
    prompts=[],
    run_case=run_case,
    metrics=metrics,
    gated={
        "dev.kind_accuracy": 0.0,
        "dev.first_candidate_exact": 0.0,
        "test.kind_accuracy": 0.0,
        "test.first_candidate_exact": 0.0,
        "test.ambiguous_accuracy": 0.0,
    },
    uses_model=False,
)
