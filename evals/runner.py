"""Run eval suites: each in a fresh workspace, cases in parallel within the model's limits.

Repeats ("epochs") matter only for a nondeterministic backend: a suite that uses no model runs
once. Each repeat gets its own answers (the cache key carries the epoch). A case passes a
safety score only if it passes it in every repeat; quality metrics are the mean over repeats
with their standard error.
"""

from __future__ import annotations

import importlib
import math
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.errors import EndpointUnusable
from agent.llm import ModelHandle
from agent.llm.cache import AnswerCache
from agent.settings import load_settings
from agent.workspace import Workspace
from evals.framework import Case, CaseOutcome, Suite

EVALS = Path(__file__).parent


def discover() -> dict[str, Suite]:
    """Every suite: a folder of `evals/` with a `suite.py` that defines SUITE."""
    suites = {}
    for folder in sorted(p for p in EVALS.iterdir() if (p / "suite.py").is_file()):
        suite = importlib.import_module(f"evals.{folder.name}.suite").SUITE
        suites[suite.name] = suite
    return suites


@dataclass
class CaseResult:
    """One case over every repeat."""

    id: str
    passed: bool  # in every repeat
    scores: dict[str, float]  # mean over repeats
    safety: dict[str, float]  # minimum over repeats: one failure is a failure
    model_graded: list[str]
    reason: str  # why it failed, where it did
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "scores": self.scores,
            "safety": self.safety,
            "reason": self.reason,
            "error": self.error,
        }


@dataclass
class SuiteResult:
    suite: str
    model: str
    cases: list[CaseResult]
    metrics: dict[str, float]
    stderr: dict[str, float]
    repeats: int
    seconds: float
    cache_hits: int = 0
    cache_misses: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def failing(self) -> list[CaseResult]:
        return [c for c in self.cases if not c.passed]


def _fold(case_id: str, runs: list[CaseOutcome]) -> CaseResult:
    names = [s.name for s in runs[0].scores]
    safety_names = {s.name for s in runs[0].scores if s.safety}
    graded = [s.name for s in runs[0].scores if s.model_graded]
    values: dict[str, list[float]] = {}
    for run in runs:
        for score in run.scores:
            values.setdefault(score.name, []).append(score.value)
    reason = next(
        (
            f"{s.name}: {s.reason}" if s.reason else s.name
            for run in runs
            for s in run.scores
            if s.value < 1.0 and not (s.model_graded or s.measure)
        ),
        "",
    )
    error = next((run.error for run in runs if run.error), None)
    return CaseResult(
        id=case_id,
        passed=all(run.passed for run in runs),
        scores={n: round(statistics.fmean(values[n]), 4) for n in names if n in values},
        safety={n: min(values[n]) for n in safety_names if n in values},
        model_graded=graded,
        reason=error or reason,
        error=error,
    )


def _safe_run(suite: Suite, case: Case, ws: Workspace) -> CaseOutcome:
    try:
        return suite.run_case(case, ws)
    except EndpointUnusable:
        raise  # not the case's failure: scores of a model that never answered would measure nothing
    except Exception as exc:  # a case that crashes is a failing case, not a crashed run
        return CaseOutcome(str(case.get("id")), [], error=f"{type(exc).__name__}: {exc}"[:500])


def select_cases(suite: Suite, gate: bool, only: set[str] | None = None) -> list[Case]:
    cases = suite.cases()
    if only:
        cases = [c for c in cases if c["id"] in only]
    if gate and suite.gate_subset is not None:
        cases = cases[: suite.gate_subset]
    return cases


def run_suite(
    suite: Suite,
    handle: ModelHandle,
    *,
    cache: AnswerCache | None,
    repeats: int = 1,
    gate: bool = False,
    only: set[str] | None = None,
) -> SuiteResult:
    cases = select_cases(suite, gate, only)
    epochs = repeats if suite.uses_model else 1
    started = time.perf_counter()
    hits, misses = (cache.hits, cache.misses) if cache else (0, 0)
    per_epoch: list[list[CaseOutcome]] = []
    with tempfile.TemporaryDirectory(prefix=f"sdr-eval-{suite.name}-") as folder:
        settings = load_settings(workspace=Path(folder), **suite.settings)
        ws = Workspace(settings, model=handle)
        ws.llm.cache = cache
        workers = handle.concurrency if suite.uses_model else 1
        for epoch in range(epochs):
            if cache is not None:
                cache.epoch = epoch
            with ThreadPoolExecutor(max_workers=workers) as pool:
                try:
                    per_epoch.append(list(pool.map(lambda case: _safe_run(suite, case, ws), cases)))
                except EndpointUnusable:
                    pool.shutdown(cancel_futures=True)
                    raise
        if cache is not None:
            cache.epoch = 0
    results = [_fold(str(case["id"]), [epoch[i] for epoch in per_epoch]) for i, case in enumerate(cases)]
    by_epoch = [
        suite.metrics(cases, [o if o.scores else CaseOutcome(o.case_id, [], error=o.error) for o in run])
        for run in per_epoch
    ]
    metrics = {k: round(statistics.fmean(m[k] for m in by_epoch), 4) for k in by_epoch[0]}
    stderr = (
        {k: round(statistics.stdev(m[k] for m in by_epoch) / math.sqrt(len(by_epoch)), 4) for k in by_epoch[0]}
        if len(by_epoch) > 1
        else {}
    )
    return SuiteResult(
        suite=suite.name,
        model=handle.name,
        cases=results,
        metrics=metrics,
        stderr=stderr,
        repeats=epochs,
        seconds=round(time.perf_counter() - started, 2),
        cache_hits=(cache.hits - hits) if cache else 0,
        cache_misses=(cache.misses - misses) if cache else 0,
    )
