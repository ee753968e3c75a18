"""Moments: a call cut into the exchanges a rep can use, each labelled with its kind.

A moment is a short exchange: up to four consecutive turns (what one side said, what the other
said next, and the reply to it: an objection, the answer that followed and how it landed; a
discovery question and the pain it drew out). Greetings, thanks and goodbyes are
taken out sentence by sentence before anything is cut (`small_talk`), so they are never stored
and never surface; a turn that is nothing else makes no moment. Each moment carries the call's
metadata and its kind (`kinds.label`), so drafts and call tasks can ask for moments by kind.

A turn longer than the limit is split at sentence ends, so no moment grows past 900 characters.
A moment's id is a hash of its call's content and its own text: the same file always gives the
same ids, which makes re-ingest a no-op.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from pydantic import BaseModel

from agent.calls.kinds import Side, label
from agent.calls.small_talk import substance
from agent.calls.transcript import Transcript, Turn

MAX_CHARS = 900
# Four turns, a new moment every two: measured on the tune part of the eval set against two- and
# three-turn moments and one-turn steps (recall@5 0.49 against 0.38-0.46), with one embedding per
# moment; longer moments dilute what the rep is looking for, shorter ones lose the answer.
TURNS = 4
STEP = 2
# A moment's meaning is read from its opening exchange, up to 96 tokens: on the tune part that
# ranks better than the whole moment (recall@5 0.520 against 0.46) and than 64, 72, 80 or 88
# tokens (0.480-0.485), and the model reads about 52 such openings per CPU-second, about half as
# many whole moments. Its words, all of them, are indexed for lexical search.
OPENING_TOKENS = 96
ID_PREFIX = "C"
ID_HEX = 10  # 40 bits: at 100,000 moments the chance of any two colliding is about 1 in 200

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_LABEL_COMPANY = re.compile(r"\(([^)]+)\)\s*$")  # "Jordan Blake (Lumen Dock)"

Metadata = dict[str, str | int | float | bool]


class Moment(BaseModel):
    id: str
    text: str
    metadata: Metadata

    @property
    def opening(self) -> str:
        """What the moment is embedded by: its first two turns, the exchange its kind is read from."""
        return "\n".join(self.text.split("\n")[:2])


def key(value: str) -> str:
    """The form a filter compares: `Food & Beverage`, `food and beverage`, `food_beverage` are one."""
    return "_".join(word for word in re.findall(r"[^\W_]+", value.casefold()) if word != "and")


def moment_id(fingerprint: str, position: str, text: str) -> str:
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


def sides(transcript: Transcript) -> dict[str, Side]:
    """Who is the prospect and who is us, by speaker: a participant whose role names the call's
    account is the prospect, anyone else is the seller. Unknown when the call does not say."""
    account = key(transcript.metadata.account or "")
    extra = transcript.metadata.model_extra or {}
    participants = extra.get("participants")
    roles: dict[str, Any] = participants if isinstance(participants, dict) else {}
    out: dict[str, Side] = {}
    for turn in transcript.turns:
        role = roles.get(turn.speaker)
        named = _LABEL_COMPANY.search(turn.speaker)
        company = str(role) if role else (named.group(1) if named else "")
        if not account or not company:
            out[turn.speaker] = Side.unknown
        else:
            out[turn.speaker] = Side.prospect if account in key(company) else Side.seller
    return out


class _Part(BaseModel):
    turn: int  # index of the turn in the call
    piece: int  # index of the piece of a long turn
    speaker: str
    text: str  # what the turn says, small talk taken out
    start: float | None
    end: float | None


def _parts(turns: list[Turn], limit: int) -> list[_Part]:
    parts = []
    for t, turn in enumerate(turns):
        said = substance(turn.text)
        if not said:
            continue
        for p, piece in enumerate(_pieces(said, limit - len(turn.speaker) - 2)):
            parts.append(_Part(turn=t, piece=p, speaker=turn.speaker, text=piece, start=turn.start, end=turn.end))
    return parts


def _windows(parts: list[_Part], limit: int) -> list[list[_Part]]:
    """Exchanges of up to `TURNS` parts, a new one every `STEP` parts (so each part is in two,
    and every question with its answer and the reply to it is whole in at least one), cut short
    where the next part would not fit (the next exchange then starts where this one stopped)."""
    windows: list[list[_Part]] = []
    start = 0
    while start < len(parts):
        window = [parts[start]]
        size = len(parts[start].speaker) + 2 + len(parts[start].text)
        for part in parts[start + 1 : start + TURNS]:
            size += len(part.speaker) + 3 + len(part.text)
            if size > limit:
                break
            window.append(part)
        # A last lone turn is already in the moment before; anything longer opens an exchange of its own.
        if len(window) > 1 or not windows or window[-1] is not windows[-1][-1]:
            windows.append(window)
        start += min(STEP, len(window))
    return windows


def cut_moments(transcript: Transcript, max_chars: int = MAX_CHARS) -> list[Moment]:
    by_speaker = sides(transcript)
    windows = _windows(_parts(transcript.turns, max_chars), max_chars)

    base: Metadata = {**transcript.metadata.flat(), "call_sha": transcript.fingerprint, "source": transcript.source}
    for field in ("industry", "persona", "segment", "stage"):
        if value := getattr(transcript.metadata, field):
            base[f"{field}_key"] = key(value)
    extra = transcript.metadata.model_extra or {}
    participants = extra.get("participants")
    roles: dict[str, Any] = participants if isinstance(participants, dict) else {}
    moments = []
    for index, window in enumerate(windows):
        text = "\n".join(f"{part.speaker}: {part.text}" for part in window)
        speakers = list(dict.fromkeys(part.speaker for part in window))
        metadata: Metadata = {
            **base,
            # what opens the exchange (a question and its answer) says what the moment is about
            "kind": label([(by_speaker[part.speaker], part.text) for part in window[:2]]).value,
            "speakers": ", ".join(speakers),
            "moment": index,
            "moments": len(windows),
            "first_turn": window[0].turn,
            "last_turn": window[-1].turn,
        }
        if described := [f"{name} ({roles[name]})" for name in speakers if roles.get(name)]:
            metadata["speaker_roles"] = "; ".join(described)
        starts = [part.start for part in window if part.start is not None]
        ends = [part.end for part in window if part.end is not None]
        if starts:
            metadata["start"] = min(starts)
        if ends:
            metadata["end"] = max(ends)
        position = f"{window[0].turn}.{window[0].piece}"
        moments.append(Moment(id=moment_id(transcript.fingerprint, position, text), text=text, metadata=metadata))
    return moments
