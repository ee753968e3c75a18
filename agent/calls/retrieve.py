"""What past calls say about a question, for drafting and replies: `find_snippets`.

Hybrid search over the call library's moments: ranked by meaning (the query's embedding) and by
words (BM25), the two rankings fused by reciprocal rank (RRF: each moment scores the sum of
1 / (60 + its rank) in each list, so a moment both rank well wins, and neither scale has to be
calibrated against the other). Filters (industry, persona, segment, stage, outcome, and the
moment's kind) are applied before ranking. When the filters leave nothing above the similarity
floor, the persona filter is dropped, then the segment, then the industry; never the outcome,
the stage or the kind, which are the question itself (a lost deal's answer is not a winning
one). Each snippet lists the filters that were dropped. Overlapping moments of one call are
shown once (the best ranked), so five snippets are five different things said.

A moment whose meaning is less similar to the query than the floor is left out, never padded in:
an unrelated call is worse than none. The floor (`SDR_CALLS_MIN_SIMILARITY`, 0.30) is set from
the eval set (`sdr calls eval --floor`): the lowest that keeps every off-topic question empty
(their best moment reached 0.29; the first answering moment's median is 0.41). On the tune part
it costs half a point of recall@5 against 0.25, which let 6 of 16 off-topic questions through.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from agent.calls.index import call_index
from agent.calls.kinds import MomentKind
from agent.calls.library import CallLibrary, call_library
from agent.calls.moments import ID_HEX, ID_PREFIX, key
from agent.calls.transcript import normalize_outcome
from agent.errors import UserError
from agent.workspace import Workspace

# Dropped in this order when nothing matches; outcome, stage and kind never are (they are the question).
RELAXABLE = ("persona", "segment", "industry")
RRF_K = 60  # the usual constant: ranks past a few dozen barely count
CANDIDATES = 50  # from each ranking, before fusion


class Snippet(BaseModel):
    id: str = Field(description="Stable, citable id, e.g. C3f9a2b1c4d")
    call_id: str
    kind: str  # what the moment is: objection, pain, competitor, pricing, next_step... (`kinds.MomentKind`)
    speaker: str  # the speakers in the snippet, in order
    text: str  # `Speaker: words` lines
    similarity: float  # cosine similarity of its meaning to the query
    metadata: dict[str, Any]  # the call's metadata (account, industry, persona, outcome, date...) and timing
    relaxed: list[str] = Field(default_factory=list, description="Filters dropped to find anything.")


def filter_values(kinds: Sequence[str] | None = None, **given: str | None) -> dict[str, str | list[str]]:
    """Filters as stored: `outcome` in its one spelling, kinds by name, the others as keys (see `moments.key`)."""
    filters: dict[str, str | list[str]] = {}
    for name, value in given.items():
        if not value:
            continue
        if name == "outcome":
            try:
                filters["outcome"] = normalize_outcome(value)
            except ValueError as exc:
                raise UserError(f"outcome: {exc}") from exc
        else:
            filters[f"{name}_key"] = key(value)
    if kinds:
        known = [k.value for k in MomentKind]
        unknown = [k for k in kinds if k not in known]
        if unknown:
            raise UserError(f"kind: {', '.join(unknown)} is not one of {', '.join(known)}")
        filters["kind"] = list(kinds)
    return filters


def _fused(library: CallLibrary, query: str, vector: np.ndarray, allowed: np.ndarray) -> list[int]:
    scores: dict[int, float] = {}
    for ranked in (library.by_meaning(vector, allowed, CANDIDATES), library.by_words(query, allowed, CANDIDATES)):
        for rank, row in enumerate(ranked.rows.tolist(), 1):
            scores[row] = scores.get(row, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(scores, key=lambda row: -scores[row])


def _search(
    library: CallLibrary, query: str, vector: np.ndarray, filters: dict[str, str | list[str]], k: int, floor: float
) -> list[tuple[int, float]]:
    rows = _fused(library, query, vector, library.allowed(filters))
    if not rows:
        return []
    similarity = library.similarity(vector, np.asarray(rows))
    chosen: list[tuple[int, float]] = []
    shown: dict[str, set[int]] = {}  # turns already shown, by call
    for row, sim in zip(rows, similarity.tolist(), strict=True):
        if sim < floor:
            continue
        meta = library.metadatas[row]
        turns = set(range(int(meta.get("first_turn", 0)), int(meta.get("last_turn", 0)) + 1))
        seen = shown.setdefault(str(meta.get("call_sha") or meta.get("call_id")), set())
        if turns <= seen:
            continue
        seen |= turns
        chosen.append((row, sim))
        if len(chosen) == k:
            break
    return chosen


def find_snippets(
    ws: Workspace,
    query: str,
    *,
    industry: str | None = None,
    persona: str | None = None,
    outcome: str | None = None,
    k: int = 5,
    segment: str | None = None,
    stage: str | None = None,
    kinds: Sequence[str] | None = None,
) -> list[Snippet]:
    """Up to `k` moments of past calls for `query` in this segment (and of these kinds), best first,
    none below the floor."""
    filters = filter_values(kinds, industry=industry, persona=persona, outcome=outcome, segment=segment, stage=stage)
    library = call_library(ws.settings)
    if not len(library):
        return []
    vector = np.asarray(call_index(ws.settings).embeddings.embed_query(query), dtype=np.float32)
    relaxed: list[str] = []
    while True:
        found = _search(library, query, vector, filters, k, ws.settings.calls_min_similarity)
        if found:
            return [_snippet(library, row, sim, list(relaxed)) for row, sim in found]
        droppable = next((name for name in RELAXABLE if f"{name}_key" in filters), None)
        if droppable is None:
            return []
        del filters[f"{droppable}_key"]
        relaxed.append(droppable)


def _snippet(library: CallLibrary, row: int, similarity: float, relaxed: list[str]) -> Snippet:
    meta = library.metadatas[row]
    return Snippet(
        id=library.ids[row],
        call_id=str(meta.get("call_id", "")),
        kind=str(meta.get("kind", MomentKind.talk_track.value)),
        speaker=str(meta.get("speakers", "")),
        text=library.texts[row],
        similarity=round(similarity, 4),
        metadata=meta,
        relaxed=relaxed,
    )


def cited(text: str, snippets: list[Snippet]) -> list[Snippet]:
    """The snippets whose ids a model's text cites (e.g. "[C3f9a2b1c4d]"), in the order given."""
    ids = set(re.findall(rf"\b{ID_PREFIX}[0-9a-f]{{{ID_HEX}}}\b", text))
    return [s for s in snippets if s.id in ids]
