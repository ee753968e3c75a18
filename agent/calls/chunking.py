"""Chunks along speaker turns: consecutive whole turns up to a size, each carrying the call's metadata.

A turn longer than the limit is the only thing ever split, at sentence ends. The limit keeps a
chunk inside MiniLM's 256-token window (about 4 characters a token in English), so nothing
said is cut off before it is embedded. A chunk's id is a hash of its call's content and its own
text: the same file always gives the same ids, which is what makes re-ingest a no-op.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from pydantic import BaseModel

from agent.calls.transcript import Transcript, Turn

MAX_CHARS = 900
ID_PREFIX = "C"
ID_HEX = 10  # 40 bits: at 100,000 chunks the chance of any two colliding is about 1 in 200

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")

Metadata = dict[str, str | int | float | bool]


class Chunk(BaseModel):
    id: str
    text: str
    metadata: Metadata


def key(value: str) -> str:
    """The form a filter compares: `Food & Beverage`, `food and beverage`, `food_beverage` are one."""
    return "_".join(word for word in re.findall(r"[^\W_]+", value.casefold()) if word != "and")


def chunk_id(fingerprint: str, position: str, text: str) -> str:
    digest = hashlib.sha256(f"{fingerprint}\0{position}\0{text}".encode()).hexdigest()
    return ID_PREFIX + digest[:ID_HEX]


def _pieces(text: str, limit: int) -> list[str]:
    """The turn whole if it fits, else sentences packed up to `limit` (words, for a huge sentence)."""
    if len(text) <= limit:
        return [text]
    units: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        while len(sentence) > limit:
            cut = sentence.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            units.append(sentence[:cut])
            sentence = sentence[cut:].lstrip()
        if sentence:
            units.append(sentence)
    pieces: list[str] = []
    for unit in units:
        if pieces and len(pieces[-1]) + 1 + len(unit) <= limit:
            pieces[-1] = f"{pieces[-1]} {unit}"
        else:
            pieces.append(unit)
    return pieces


def chunk_transcript(transcript: Transcript, max_chars: int = MAX_CHARS) -> list[Chunk]:
    # (turn index, piece index, turn, text) for every turn or piece of a long turn
    parts: list[tuple[int, int, Turn, str]] = []
    for t, turn in enumerate(transcript.turns):
        for p, piece in enumerate(_pieces(turn.text, max_chars - len(turn.speaker) - 2)):
            parts.append((t, p, turn, piece))

    groups: list[list[tuple[int, int, Turn, str]]] = []
    size = 0
    for part in parts:
        line = len(part[2].speaker) + 2 + len(part[3])
        if groups and size + 1 + line <= max_chars:
            groups[-1].append(part)
            size += 1 + line
        else:
            groups.append([part])
            size = line

    base: Metadata = {**transcript.metadata.flat(), "call_sha": transcript.fingerprint, "source": transcript.source}
    for field in ("industry", "persona", "segment", "stage"):
        if value := getattr(transcript.metadata, field):
            base[f"{field}_key"] = key(value)
    extra = transcript.metadata.model_extra or {}
    participants = extra.get("participants")
    roles: dict[str, Any] = participants if isinstance(participants, dict) else {}
    chunks = []
    for index, group in enumerate(groups):
        text = "\n".join(f"{turn.speaker}: {piece}" for _, _, turn, piece in group)
        speakers = list(dict.fromkeys(turn.speaker for _, _, turn, _ in group))
        metadata: Metadata = {
            **base,
            "speakers": ", ".join(speakers),
            "chunk": index,
            "chunks": len(groups),
            "first_turn": group[0][0],
            "last_turn": group[-1][0],
        }
        if described := [f"{name} ({roles[name]})" for name in speakers if roles.get(name)]:
            metadata["speaker_roles"] = "; ".join(described)
        starts = [turn.start for _, _, turn, _ in group if turn.start is not None]
        ends = [turn.end for _, _, turn, _ in group if turn.end is not None]
        if starts:
            metadata["start"] = min(starts)
        if ends:
            metadata["end"] = max(ends)
        chunks.append(
            Chunk(
                id=chunk_id(transcript.fingerprint, f"{group[0][0]}.{group[0][1]}", text), text=text, metadata=metadata
            )
        )
    return chunks
