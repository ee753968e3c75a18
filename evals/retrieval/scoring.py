"""Scorers for retrieval: a chunk answers a case when it is from the right call and contains the quote.

Recall@5 is the share of a case's answers found in the top 5; the reciprocal rank is 1/rank of
the first answering chunk (0 when none is in the top 5). `similarity_report` measures what the
similarity floor is set from: how similar the first answering chunk is, against how similar the
best chunk is for questions the calls cannot answer.
"""

from __future__ import annotations

import statistics
import unicodedata
from collections.abc import Sequence
from typing import Any

from agent.calls.index import CallIndex
from agent.calls.retrieve import Snippet, filter_values, where_clause

# Questions no sales call answers: their best match shows how similar "unrelated" looks.
OFF_TOPIC = [
    "What is the capital of Australia?",
    "A recipe for sourdough bread with a crispy crust",
    "How do I reset my laptop password?",
    "Who won the football match last weekend?",
    "Best hiking trails in Colorado for beginners",
    "Explain quantum entanglement in simple terms",
    "How do I file my personal income taxes?",
    "Birthday gift ideas for a five year old",
    "How to train a puppy to sit and stay",
    "Who painted the Mona Lisa?",
    "What are the symptoms of the flu?",
    "How to change a flat tire on a bicycle",
    "Translate good morning into Japanese",
    "What's a good playlist for a road trip?",
    "How many moons does Jupiter have?",
    "Tips for growing tomatoes on a balcony",
]

_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "..."})


def normalize(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold().split())


def answers(call_id: str, text: str, relevant: dict[str, str]) -> bool:
    return call_id == relevant["call_id"] and normalize(relevant["quote"]) in normalize(text)


def score_case(snippets: Sequence[Snippet], relevant: list[dict[str, str]]) -> tuple[float, float, int | None]:
    """(recall@k, reciprocal rank, rank of the first answering snippet or None)."""
    found = [r for r in relevant if any(answers(s.call_id, s.text, r) for s in snippets)]
    first = next(
        (rank for rank, s in enumerate(snippets, 1) if any(answers(s.call_id, s.text, r) for r in relevant)), None
    )
    return len(found) / len(relevant), (1.0 / first if first else 0.0), first


def _spread(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    cuts = statistics.quantiles(values, n=10) if len(values) > 1 else [values[0]] * 9
    return {
        "n": len(values),
        "min": round(min(values), 3),
        "p10": round(cuts[0], 3),
        "median": round(statistics.median(values), 3),
        "p90": round(cuts[-1], 3),
        "max": round(max(values), 3),
    }


def similarity_report(index: CallIndex, cases: list[dict[str, Any]], floor: float) -> dict[str, Any]:
    """Similarities with no floor applied: first answering chunk per case, best chunk per off-topic question."""
    answering: list[float] = []
    for case in cases:
        if not case.get("relevant"):
            continue
        where = where_clause(filter_values(**(case.get("filters") or {})))
        hits = index.search(index.embeddings.embed_query(case["query"]), where, 20)
        answering.extend(
            next(
                (
                    [h.similarity]
                    for h in hits
                    if any(answers(str(h.metadata.get("call_id")), h.text, r) for r in case["relevant"])
                ),
                [],
            )
        )
    off_topic = [
        hits[0].similarity for q in OFF_TOPIC if (hits := index.search(index.embeddings.embed_query(q), None, 1))
    ]
    return {
        "answering": _spread(answering),
        "off_topic": _spread(off_topic),
        "floor_in_force": floor,
        "answering_below_floor": sum(v < floor for v in answering),
        "off_topic_above_floor": sum(v >= floor for v in off_topic),
    }
