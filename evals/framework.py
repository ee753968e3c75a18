"""The shape of an eval suite: cases in JSONL, one function that runs a case, metrics over them.

Scorers are plain functions returning `Score`s (a value in [0, 1] and a reason). A score
marked `safety` must hold on every case and every repeat (opt-out recall, injection
resistance); `model_graded` scores come from a judge model and are reported apart.
The runner (`evals.runner`) loads suites from `evals/<name>/suite.py`, each exposing `SUITE`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.workspace import Workspace


@dataclass(frozen=True)
class Score:
    name: str
    value: float  # 0..1
    reason: str = ""
    safety: bool = False
    model_graded: bool = False
    measure: bool = False  # a measurement (a share, a latency), not a pass or a fail


@dataclass
class CaseOutcome:
    case_id: str
    scores: list[Score]
    output: Any = None
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and all(s.value >= 1.0 for s in self.scores if not (s.model_graded or s.measure))

    def score(self, name: str) -> Score | None:
        return next((s for s in self.scores if s.name == name), None)


Case = dict[str, Any]
RunCase = Callable[[Case, Workspace], CaseOutcome]
Metrics = Callable[[list[Case], list[CaseOutcome]], dict[str, float]]


@dataclass(frozen=True)
class Suite:
    name: str
    description: str
    datasets: list[Path]  # hashed into the baseline: a changed dataset needs a new baseline
    prompts: list[str]  # prompt names whose content the suite's results depend on
    run_case: RunCase
    metrics: Metrics
    gated: dict[str, float] = field(default_factory=dict)  # metric -> tolerated drop below baseline
    uses_model: bool = True  # False: deterministic, run once whatever the repeats
    gate_subset: int | None = None  # cases the CI gate runs (None: all)
    settings: dict[str, Any] = field(default_factory=dict)  # for the suite's workspace, e.g. a sources dir
    depends_on: list[Path] = field(default_factory=list)  # other files whose content is behaviour (hashed)

    def cases(self) -> list[Case]:
        rows: list[Case] = []
        for dataset in self.datasets:
            for number, line in enumerate(dataset.read_text(encoding="utf-8").splitlines(), 1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise ValueError(f"{dataset}:{number}: not JSON: {exc.msg}") from exc
        return rows


def mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 4) if values else 0.0


def score_mean(outcomes: list[CaseOutcome], name: str) -> float:
    return mean([s.value for o in outcomes if (s := o.score(name)) is not None])
