"""Intent that generalises (evals/intent/README.md): the development set and the locked test set.

Each reply is read as production reads it without a model (the rules, then the classifier) and
scored on three things the issue's targets name: the intent; opt-outs (every one found, none
invented); and what is decided without a person (no `needs_review` flag) and how often that is
right. Reported per part, per language and per intent, so that a choice made on the development
set is checked on cases it was never tuned on.
"""

from __future__ import annotations

import json
from pathlib import Path

from agent.replies.classifier import training_file
from agent.replies.model import Flag, Intent
from agent.workspace import Workspace
from evals.framework import Case, CaseOutcome, Score, Suite, mean
from evals.replies.suite import analyse

HERE = Path(__file__).parent
DEV = HERE / "dev.jsonl"
TEST = HERE / "test.jsonl"
LANGUAGES = ("en", "es", "fr", "de", "pt")


def run_case(case: Case, ws: Workspace) -> CaseOutcome:
    analysis, _ = analyse(case, ws, "no_llm")
    gold = Intent(case["expected"]["intent"])
    right = analysis.intent is gold
    decided = Flag.needs_review not in analysis.flags
    scores = [Score("intent", float(right), f"gold {gold} got {analysis.intent} by {analysis.decided_by}")]
    # Read as an opt-out, the address is blocked at once either way: suppressed for good, or held
    # (an opt-out in doubt) until a person confirms or releases it.
    opted_out = analysis.intent is Intent.unsubscribe
    held = opted_out and Flag.opt_out_in_doubt in analysis.flags
    if gold is Intent.unsubscribe:
        scores.append(Score("opt_out", float(opted_out), "a missed opt-out", safety=True))
    else:
        suppressed = opted_out and not held
        scores.append(Score("no_false_opt_out", float(not suppressed), "suppressed a prospect who did not opt out"))
    scores.append(Score("held", float(held), measure=True))
    # Measures, not pass/fail: whether a person is asked, and whether what was not asked is right.
    scores.append(Score("decided", float(decided), measure=True))
    if decided:
        scores.append(Score("decided_right", float(right), measure=True))
    return CaseOutcome(case["id"], scores, output=analysis.model_dump(mode="json"))


def _part(case: Case) -> str:
    return "test" if case["id"] in _TEST_IDS else "dev"


def _values(outcomes: list[CaseOutcome], name: str) -> list[float]:
    return [s.value for o in outcomes if (s := o.score(name)) is not None]


def _summary(prefix: str, outcomes: list[CaseOutcome], out: dict[str, float]) -> None:
    out[f"{prefix}.intent_accuracy"] = mean(_values(outcomes, "intent"))
    out[f"{prefix}.decided_share"] = mean(_values(outcomes, "decided"))
    out[f"{prefix}.decided_precision"] = mean(_values(outcomes, "decided_right"))


def metrics(cases: list[Case], outcomes: list[CaseOutcome]) -> dict[str, float]:
    out: dict[str, float] = {}
    pairs = list(zip(cases, outcomes, strict=True))
    for part in ("dev", "test"):
        mine = [(c, o) for c, o in pairs if _part(c) == part]
        picked = [o for _, o in mine]
        _summary(part, picked, out)
        out[f"{part}.opt_out_recall"] = mean(_values(picked, "opt_out"))
        out[f"{part}.false_opt_outs"] = float(sum(1 for v in _values(picked, "no_false_opt_out") if v < 1))
        out[f"{part}.no_false_opt_out"] = mean(_values(picked, "no_false_opt_out"))
        opted_out = [o for c, o in mine if c["expected"]["intent"] == Intent.unsubscribe]
        out[f"{part}.held_opt_outs"] = sum(_values(opted_out, "held"))  # real opt-outs a person confirms
        out[f"{part}.held_others"] = sum(_values(picked, "held")) - out[f"{part}.held_opt_outs"]
        for language in LANGUAGES:
            _summary(f"{part}.{language}", [o for c, o in mine if c.get("language") == language], out)
        for intent in Intent:
            chosen = [o for c, o in mine if c.get("expected", {}).get("intent") == intent]
            if chosen:
                out[f"{part}.recall.{intent}"] = mean(_values(chosen, "intent"))
    return out


_TEST_IDS = frozenset(json.loads(line)["id"] for line in TEST.read_text(encoding="utf-8").splitlines() if line.strip())

SUITE = Suite(
    name="intent",
    description="Reply intent on replies written apart from the training set, EN/ES/FR/DE/PT: dev and locked test.",
    datasets=[DEV, TEST],
    prompts=[],
    run_case=run_case,
    metrics=metrics,
    gated={
        "dev.intent_accuracy": 0.0,
        "test.intent_accuracy": 0.0,
        "dev.opt_out_recall": 0.0,
        "test.opt_out_recall": 0.0,
        "dev.no_false_opt_out": 0.0,
        "test.no_false_opt_out": 0.0,
        "dev.decided_precision": 0.0,
        "test.decided_precision": 0.0,
    },
    uses_model=False,
    depends_on=[training_file()],  # the classifier is trained on it: a new training set, a new baseline
)
