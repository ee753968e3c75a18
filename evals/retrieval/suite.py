"""Retrieval over past calls: do the moments that answer an SDR's question come back in the top 5?

Each run builds one index of `examples/calls` in the run's workspace (once, then reused by every
case), asks `find_snippets` exactly as drafting does (filters, similarity floor and all) and
scores recall@5 and the reciprocal rank, and (safety) that no greeting or small talk labelled in
`small_talk.jsonl` is among the top 5. The cases are in two parts: `tune`, which choices were
made on, and `locked`, written before any tuning and never looked at while tuning; the metrics
are reported for both. No chat model: deterministic, run once.
"""

from __future__ import annotations

import json
import tempfile
import threading
from pathlib import Path
from typing import Any

from agent.calls.index import call_index
from agent.calls.ingest import IngestReport, ingest
from agent.calls.library import call_library
from agent.calls.moments import Moment, cut_moments
from agent.calls.retrieve import find_snippets
from agent.calls.transcript import is_transcript, read_transcript
from agent.settings import load_settings
from agent.workspace import Workspace
from evals.framework import Case, CaseOutcome, Score, Suite, score_mean
from evals.retrieval.scoring import kind_accuracy, score_case, similarity_report, small_talk_in

HERE = Path(__file__).parent
CALLS = HERE.parents[1] / "examples" / "calls"
CASES = HERE / "cases.jsonl"
SMALL_TALK = HERE / "small_talk.jsonl"
MOMENT_KINDS = HERE / "moment_kinds.jsonl"
K = 5
PARTS = ("locked", "tune")

_built: dict[str, IngestReport] = {}
_lock = threading.Lock()


def ensure_index(ws: Workspace) -> IngestReport:
    """The demo calls in this workspace's index, ingested once per workspace and process."""
    where = str(ws.settings.workspace.resolve())
    with _lock:
        if where not in _built:
            _built[where] = ingest(ws.settings, CALLS)
        return _built[where]


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _small_talk() -> list[dict[str, str]]:
    return _rows(SMALL_TALK)


def _demo_moments() -> dict[str, list[Moment]]:
    """The demo calls cut into moments, by call (the duplicate file once)."""
    out: dict[str, list[Moment]] = {}
    for path in sorted(CALLS.iterdir()):
        if is_transcript(path):
            transcript = read_transcript(path)
            out.setdefault(transcript.metadata.call_id, cut_moments(transcript))
    return out


def run_case(case: Case, ws: Workspace) -> CaseOutcome:
    ensure_index(ws)
    snippets = find_snippets(ws, case["query"], k=K, **(case.get("filters") or {}))
    output = [
        {"id": s.id, "call_id": s.call_id, "kind": s.kind, "similarity": s.similarity, "relaxed": s.relaxed}
        for s in snippets
    ]
    chatter = [quote for s in snippets for quote in small_talk_in(s.call_id, s.text, _small_talk())]
    no_small_talk = Score("no_small_talk", float(not chatter), f"small talk: {chatter}" if chatter else "", safety=True)
    if not case.get("relevant"):  # a question the calls cannot answer: nothing should come back
        return CaseOutcome(
            case["id"],
            [Score("abstained", float(not snippets), f"{len(snippets)} snippets"), no_small_talk],
            output=output,
        )
    recall, reciprocal, first = score_case(snippets, case["relevant"])
    wanted = len(case["relevant"])
    reason = (
        f"first answer at rank {first}; {round(recall * wanted)} of {wanted} relevant passages in the top {K}"
        if first
        else f"no answer in the top {K} ({len(snippets)} returned)"
    )
    return CaseOutcome(
        case["id"],
        [Score("recall_at_5", recall, reason), Score("reciprocal_rank", reciprocal, reason), no_small_talk],
        output=output,
    )


def metrics(cases: list[Case], outcomes: list[CaseOutcome]) -> dict[str, float]:
    """recall@5 and MRR overall, apart for cases with and without filters (where retrievers fail
    quietly), and the same on each part of the set (`locked`: what no choice was tuned on)."""
    result: dict[str, float] = {}
    for part in ("", *PARTS):
        in_part = [(c, o) for c, o in zip(cases, outcomes, strict=True) if not part or c.get("part") == part]
        prefix = f"_{part}" if part else ""
        for subset, keep in (("", lambda _: True), ("_filtered", bool), ("_unfiltered", lambda f: not f)):
            chosen = [o for c, o in in_part if keep(c.get("filters"))]
            result[f"recall_at_5{prefix}{subset}"] = score_mean(chosen, "recall_at_5")
            result[f"mrr{prefix}{subset}"] = score_mean(chosen, "reciprocal_rank")
    result["no_small_talk"] = score_mean(outcomes, "no_small_talk")
    # How well moments are labelled with their kind (rules, see agent.calls.kinds), on moments labelled by hand.
    result["kind_accuracy"] = kind_accuracy(_demo_moments(), _rows(MOMENT_KINDS))
    if any(o.score("abstained") for o in outcomes):
        result["abstention"] = score_mean(outcomes, "abstained")
    return result


SUITE = Suite(
    name="retrieval",
    description="Past-call retrieval: recall@5 and MRR of the chunks that answer an SDR's question.",
    datasets=[CASES],
    depends_on=[SMALL_TALK, MOMENT_KINDS],
    prompts=[],
    run_case=run_case,
    metrics=metrics,
    gated={"recall_at_5": 0.02, "mrr": 0.02, "recall_at_5_locked": 0.02, "mrr_locked": 0.02},
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
            result["floor"] = similarity_report(
                call_library(ws.settings),
                call_index(ws.settings).embeddings,
                cases,
                ws.settings.calls_min_similarity,
            )
        return result
