"""Retrieval over past calls: do the chunks that answer an SDR's question come back in the top 5?

Each run builds one index of `examples/calls` in the run's workspace (once, then reused by every
case), asks `find_snippets` exactly as drafting does (filters, similarity floor and all) and
scores recall@5 and the reciprocal rank. No chat model: deterministic, run once.
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Any

from agent.calls.index import call_index
from agent.calls.ingest import IngestReport, ingest
from agent.calls.retrieve import find_snippets
from agent.settings import load_settings
from agent.workspace import Workspace
from evals.framework import Case, CaseOutcome, Score, Suite, score_mean
from evals.retrieval.scoring import score_case, similarity_report

HERE = Path(__file__).parent
CALLS = HERE.parents[1] / "examples" / "calls"
CASES = HERE / "cases.jsonl"
K = 5

_built: dict[str, IngestReport] = {}
_lock = threading.Lock()


def ensure_index(ws: Workspace) -> IngestReport:
    """The demo calls in this workspace's index, ingested once per workspace and process."""
    where = str(ws.settings.workspace.resolve())
    with _lock:
        if where not in _built:
            _built[where] = ingest(ws.settings, CALLS)
        return _built[where]


def run_case(case: Case, ws: Workspace) -> CaseOutcome:
    ensure_index(ws)
    snippets = find_snippets(ws, case["query"], k=K, **(case.get("filters") or {}))
    output = [{"id": s.id, "call_id": s.call_id, "similarity": s.similarity, "relaxed": s.relaxed} for s in snippets]
    if not case.get("relevant"):  # a question the calls cannot answer: nothing should come back
        return CaseOutcome(
            case["id"], [Score("abstained", float(not snippets), f"{len(snippets)} snippets")], output=output
        )
    recall, reciprocal, first = score_case(snippets, case["relevant"])
    wanted = len(case["relevant"])
    reason = (
        f"first answer at rank {first}; {round(recall * wanted)} of {wanted} relevant passages in the top {K}"
        if first
        else f"no answer in the top {K} ({len(snippets)} returned)"
    )
    return CaseOutcome(
        case["id"], [Score("recall_at_5", recall, reason), Score("reciprocal_rank", reciprocal, reason)], output=output
    )


def metrics(cases: list[Case], outcomes: list[CaseOutcome]) -> dict[str, float]:
    """recall@5 and MRR overall, and apart for cases with and without filters (where retrievers fail quietly)."""
    result: dict[str, float] = {}
    for part, keep in (("", lambda _: True), ("_filtered", bool), ("_unfiltered", lambda f: not f)):
        chosen = [o for c, o in zip(cases, outcomes, strict=True) if keep(c.get("filters"))]
        result[f"recall_at_5{part}"] = score_mean(chosen, "recall_at_5")
        result[f"mrr{part}"] = score_mean(chosen, "reciprocal_rank")
    if any(o.score("abstained") for o in outcomes):
        result["abstention"] = score_mean(outcomes, "abstained")
    return result


SUITE = Suite(
    name="retrieval",
    description="Past-call retrieval: recall@5 and MRR of the chunks that answer an SDR's question.",
    datasets=[CASES],
    prompts=[],
    run_case=run_case,
    metrics=metrics,
    gated={"recall_at_5": 0.02, "mrr": 0.02},
    uses_model=False,
)


def evaluate(with_floor_report: bool = False) -> dict[str, Any]:
    """Run the suite in a fresh temporary workspace (what `sdr calls eval` prints)."""
    with tempfile.TemporaryDirectory(prefix="sdr-eval-retrieval-") as tmp:
        ws = Workspace(load_settings(workspace=Path(tmp)))
        cases = SUITE.cases()
        outcomes = [SUITE.run_case(case, ws) for case in cases]
        result: dict[str, Any] = {
            "cases": len(cases),
            **SUITE.metrics(cases, outcomes),
            "misses": [
                {"case": o.case_id, "reason": "; ".join(s.reason for s in o.scores[:1]), "query": c["query"]}
                for c, o in zip(cases, outcomes, strict=True)
                if not o.passed
            ],
        }
        if with_floor_report:
            result["floor"] = similarity_report(call_index(ws.settings), cases, ws.settings.calls_min_similarity)
        return result
