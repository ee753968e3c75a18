"""Scorers for retrieval: a moment answers a case when it is from the right call and contains the quote.

Recall@5 is the share of a case's answers found in the top 5; the reciprocal rank is 1/rank of
the first answering moment (0 when none is in the top 5). `similarity_report` measures what the
similarity floor is set from: how similar the first answering moment is, against how similar the
best moment is for questions the calls cannot answer.
"""

from __future__ import annotations

import statistics
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from agent.calls.library import CallLibrary
from agent.calls.moments import Moment
from agent.calls.retrieve import Snippet, filter_values

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


def small_talk_in(call_id: str, text: str, small_talk: list[dict[str, str]]) -> list[str]:
    """The labelled greetings and small talk of this call that a snippet contains. A label written
    as a whole turn (`Speaker: Thanks. Bye.`) matches only that whole line, so "Thanks." does not
    match every turn that begins with it."""
    lines = {normalize(line) for line in text.splitlines()}
    flat = normalize(text)
    found = []
    for label in small_talk:
        if label["call_id"] != call_id:
            continue
        quote = normalize(label["quote"])
        if (quote in lines) if label.get("turn") else (quote in flat):
            found.append(label["quote"])
    return found


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


def similarity_report(
    library: CallLibrary, embeddings: Embeddings, cases: list[dict[str, Any]], floor: float
) -> dict[str, Any]:
    """Similarities with no floor applied: first answering moment per case, best moment per off-topic question."""
    answering: list[float] = []
    everything = np.ones(len(library), dtype=bool)
    for case in cases:
        if not case.get("relevant"):
            continue
        vector = np.asarray(embeddings.embed_query(case["query"]), dtype=np.float32)
        ranked = library.by_meaning(vector, library.allowed(filter_values(**(case.get("filters") or {}))), 50)
        answering.extend(
            next(
                (
                    [float(score)]
                    for row, score in zip(ranked.rows, ranked.scores, strict=True)
                    if any(
                        answers(str(library.metadatas[row].get("call_id")), library.texts[row], r)
                        for r in case["relevant"]
                    )
                ),
                [],
            )
        )
    off_topic = [
        float(best.scores[0])
        for q in OFF_TOPIC
        if len(
            (best := library.by_meaning(np.asarray(embeddings.embed_query(q), dtype=np.float32), everything, 1)).rows
        )
    ]
    return {
        "answering": _spread(answering),
        "off_topic": _spread(off_topic),
        "floor_in_force": floor,
        "answering_below_floor": sum(v < floor for v in answering),
        "off_topic_above_floor": sum(v >= floor for v in off_topic),
    }


def kind_accuracy(moments: dict[str, list[Moment]], labels: list[dict[str, Any]]) -> float:
    """The share of hand-labelled moments whose label is among the kinds the labeller accepts.
    A label names a turn by a quote from it; it is scored on the first moment that opens with
    that turn's exchange (the turn is one of the moment's first two, which the kind is read from)."""
    right = 0
    for item in labels:
        quote = normalize(item["quote"])
        opening = next(
            (m for m in moments.get(item["call_id"], []) if quote in normalize("\n".join(m.text.split("\n")[:2]))),
            None,
        )
        right += opening is not None and opening.metadata["kind"] in item["kinds"]
    return round(right / len(labels), 4) if labels else 0.0
