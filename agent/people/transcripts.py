"""The past-call chunks in the vector store that name a person (in what was said, or in the call's
metadata: the speakers, the account)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agent.calls.index import call_index
from agent.settings import Settings


@dataclass(frozen=True)
class NamingChunk:
    id: str
    text: str
    metadata: dict[str, Any]


def chunks_naming(settings: Settings, needles: list[str]) -> list[NamingChunk]:
    if settings.chroma_url is None and not (settings.workspace / "chroma").exists():
        return []  # no call was ever ingested here: nothing to open
    found = call_index(settings).collection.get(include=["documents", "metadatas"])
    lowered = [n.lower() for n in needles]
    chunks = zip(found["ids"], found["documents"] or [], found["metadatas"] or [], strict=True)
    return [
        NamingChunk(chunk_id, text, dict(metadata or {}))
        for chunk_id, text, metadata in chunks
        if any(n in f"{text} {' '.join(map(str, (metadata or {}).values()))}".lower() for n in lowered)
    ]


def forget_chunks(settings: Settings, needles: list[str]) -> int:
    """Remove the chunks that name the person; how many went."""
    naming = chunks_naming(settings, needles)
    if naming:
        call_index(settings).delete([chunk.id for chunk in naming])
    return len(naming)
