"""What past calls say about a question, for drafting and replies: `find_snippets`.

One embedding of the query, then a filtered nearest-neighbour query in Chroma (cosine). When
the filters leave nothing above the similarity floor, the persona filter is dropped, then the
segment, then the industry; never the outcome or the stage, which are the question itself (a
lost deal's answer is not a winning one). Each snippet lists the filters that were dropped.
Matches below the floor are left out, never padded in: an unrelated call is worse than none.

The floor (`SDR_CALLS_MIN_SIMILARITY`, default 0.25) comes from the eval set, measured with
`sdr calls eval --floor` on the demo calls: for 16 questions no call can answer, the best
chunk's similarity was at most 0.24 (median 0.18); for the eval questions, the first chunk
that answers had a median of 0.37 and a 10th percentile of 0.25. 0.25 is the lowest floor that
keeps every off-topic question empty; it costs about 4 points of recall@5 against no floor.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

from agent.calls.chunking import ID_HEX, ID_PREFIX, key
from agent.calls.index import Hit, call_index
from agent.calls.transcript import normalize_outcome
from agent.errors import UserError
from agent.workspace import Workspace

# Dropped in this order when nothing matches; outcome and stage never are (they are the question).
RELAXABLE = ("persona", "segment", "industry")


class Snippet(BaseModel):
    id: str = Field(description="Stable, citable id, e.g. C3f9a2b1c4d")
    call_id: str
    speaker: str  # the speakers in the snippet, in order
    text: str  # `Speaker: words` lines
    similarity: float  # cosine similarity to the query
    metadata: dict[str, Any]  # the call's metadata (account, industry, persona, outcome, date...) and timing
    relaxed: list[str] = Field(default_factory=list, description="Filters dropped to find anything.")


def where_clause(filters: dict[str, str]) -> dict[str, Any] | None:
    clauses = [{field: value} for field, value in filters.items()]
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def filter_values(**given: str | None) -> dict[str, str]:
    """Filters as stored: `outcome` in its one spelling, the others as keys (see `chunking.key`)."""
    filters = {}
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
    return filters


def _snippet(hit: Hit, relaxed: list[str]) -> Snippet:
    return Snippet(
        id=hit.id,
        call_id=str(hit.metadata.get("call_id", "")),
        speaker=str(hit.metadata.get("speakers", "")),
        text=hit.text,
        similarity=hit.similarity,
        metadata=hit.metadata,
        relaxed=relaxed,
    )


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
) -> list[Snippet]:
    """Up to `k` call snippets for `query` in this segment, best first, none below the floor."""
    index = call_index(ws.settings)
    floor = ws.settings.calls_min_similarity
    filters = filter_values(industry=industry, persona=persona, outcome=outcome, segment=segment, stage=stage)
    vector = index.embeddings.embed_query(query)
    relaxed: list[str] = []
    while True:
        hits = [h for h in index.search(vector, where_clause(filters), k) if h.similarity >= floor]
        if hits:
            return [_snippet(h, list(relaxed)) for h in hits]
        droppable = next((name for name in RELAXABLE if f"{name}_key" in filters), None)
        if droppable is None:
            return []
        del filters[f"{droppable}_key"]
        relaxed.append(droppable)


def cited(text: str, snippets: list[Snippet]) -> list[Snippet]:
    """The snippets whose ids a model's text cites (e.g. "[C3f9a2b1c4d]"), in the order given."""
    ids = set(re.findall(rf"\b{ID_PREFIX}[0-9a-f]{{{ID_HEX}}}\b", text))
    return [s for s in snippets if s.id in ids]
