"""Baselines and the gate.

`record` writes `evals/baselines/<model>.json`: per suite, the metrics, every case's outcome, and
the content hash of each prompt and dataset the suite depends on. `check` compares a fresh run
with it and fails when
- a gated metric fell below its baseline by more than the suite's tolerance (compared on the
  same cases: the baseline's metrics are recomputed from its stored case scores);
- a case that passed a safety score in the baseline fails it now (no tolerance);
- a prompt or dataset changed since the baseline was recorded (record it again, with the change).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent import clock
from agent.prompts import prompt_text
from evals.framework import Case, CaseOutcome, Score, Suite
from evals.runner import EVALS, SuiteResult

BASELINES = EVALS / "baselines"
ROOT = EVALS.parent


def slug(model: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", model).strip("-")


def baseline_path(model: str, folder: Path = BASELINES) -> Path:
    return folder / f"{slug(model)}.json"


def hashes(suite: Suite) -> dict[str, dict[str, str]]:
    def digest(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    return {
        "datasets": {
            str(p.relative_to(ROOT)): digest(p.read_text(encoding="utf-8"))
            for p in [*suite.datasets, *suite.depends_on]
        },
        "prompts": {name: digest(prompt_text(name)) for name in suite.prompts},
    }


def record(results: list[SuiteResult], suites: dict[str, Suite], path: Path) -> None:
    """Write (or update, suite by suite) the baseline for the results' model."""
    existing = json.loads(path.read_text()) if path.exists() else {"suites": {}}
    for result in results:
        existing["suites"][result.suite] = {
            "metrics": result.metrics,
            "stderr": result.stderr,
            "repeats": result.repeats,
            "cases": {c.id: c.as_json() for c in result.cases},
            "hashes": hashes(suites[result.suite]),
        }
    existing["model"] = results[0].model if results else existing.get("model")
    existing["recorded_at"] = clock.now().isoformat(timespec="seconds")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(existing, indent=1, sort_keys=True) + "\n")


def rehash(path: Path, suites: dict[str, Suite]) -> None:
    """Re-record only the hashes, without re-running: the gate must still catch a worse behaviour."""
    data = json.loads(path.read_text())
    for name, entry in data["suites"].items():
        entry["hashes"] = hashes(suites[name])
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)  # each one fails the gate
    notes: list[str] = field(default_factory=list)  # worth reading, not failing
    baseline_metrics: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def _baseline_metrics(suite: Suite, entry: dict[str, Any], case_ids: list[str]) -> dict[str, float] | None:
    """The baseline's metrics over exactly these cases, from its stored case scores."""
    stored = entry["cases"]
    if not all(i in stored for i in case_ids):
        return None
    by_id = {c["id"]: c for c in suite.cases()}
    cases: list[Case] = [by_id.get(i, {"id": i}) for i in case_ids]
    outcomes = [
        CaseOutcome(i, [Score(n, v) for n, v in stored[i]["scores"].items()], error=stored[i].get("error"))
        for i in case_ids
    ]
    return suite.metrics(cases, outcomes)


def check(results: list[SuiteResult], suites: dict[str, Suite], path: Path) -> Verdict:
    verdict = Verdict()
    if not path.exists():
        verdict.problems.append(f"no baseline at {path}: run `sdr eval --record` and commit it")
        return verdict
    data = json.loads(path.read_text())
    for result in results:
        suite = suites[result.suite]
        entry = data["suites"].get(result.suite)
        if entry is None:
            verdict.problems.append(f"{result.suite}: not in the baseline; record it")
            continue
        now = hashes(suite)
        for kind in ("prompts", "datasets"):
            for name, digest in now[kind].items():
                if entry["hashes"][kind].get(name) != digest:
                    verdict.problems.append(
                        f"{result.suite}: {kind[:-1]} {name} changed since the baseline was "
                        "recorded: run `sdr eval --record` and commit the new baseline with it"
                    )
        baseline = _baseline_metrics(suite, entry, [c.id for c in result.cases]) or entry["metrics"]
        verdict.baseline_metrics[result.suite] = baseline
        regressed = [c for c in result.cases if entry["cases"].get(c.id, {}).get("passed") and not c.passed]
        named = "; ".join(f"{c.id} ({c.reason[:120]})" for c in regressed[:10]) or "no single case flipped"
        for metric, tolerance in suite.gated.items():
            if (
                metric in result.metrics
                and metric in baseline
                and result.metrics[metric] < baseline[metric] - tolerance
            ):
                verdict.problems.append(
                    f"{result.suite}: {metric} fell from {baseline[metric]:.3f} to {result.metrics[metric]:.3f} "
                    f"(tolerance {tolerance}); cases that got worse: {named}"
                )
        for case in result.cases:
            before = entry["cases"].get(case.id)
            if before is None:
                continue
            for name, value in case.safety.items():
                if value < 1.0 and before.get("safety", {}).get(name, 0.0) >= 1.0:
                    verdict.problems.append(f"{result.suite}: case {case.id} now fails {name} (safety): {case.reason}")
            if before["passed"] and not case.passed and not any(v < 1 for v in case.safety.values()):
                verdict.notes.append(f"{result.suite}: case {case.id} passed before, fails now: {case.reason}")
            if not before["passed"] and case.passed:
                verdict.notes.append(f"{result.suite}: case {case.id} fixed")
    return verdict
