"""Call transcripts from files: turns (speaker, text, timestamps) and the call's metadata.

Formats, by extension:
- `.txt`: optional YAML front matter between `---` lines, then `Speaker: text` lines, each
  optionally led by a timestamp (`[00:01:23]` or `00:01:23`); other lines continue the turn.
- `.vtt` (WebVTT) and `.srt` (SubRip): cues with timing lines; the speaker from a `<v Name>`
  voice tag or a `Name:` prefix, a cue without one continuing the previous speaker.
- `.json`: `{"metadata": {...}, "turns": [{"speaker", "text", "start", "end"}]}`, times in
  seconds or `HH:MM:SS.mmm`.
Any format may have a sidecar `<stem>.meta.yaml` whose fields override the file's own.

The cue formats are parsed here rather than with a subtitle library because a bad file must be
reported by line (`calls/x.vtt:14: expected a timing line ...`), which those libraries don't do.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator

from agent.errors import InputError

FORMATS = (".txt", ".vtt", ".srt", ".json")
SIDECAR = ".meta.yaml"
OUTCOMES = ("won", "lost", "no-decision")

_TIME = r"(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
_TIMING = re.compile(rf"^\s*({_TIME})\s*-->\s*({_TIME})(?:\s+.*)?$")
# A speaker label: up to four capitalised words (or numbers), then an optional "(role)".
_WORD = r"(?:[A-Z\u00C0-\u00DE][\w.'\-]*|\d+)"
_SPEAKER = re.compile(rf"^({_WORD}(?:\s+{_WORD}){{0,3}}(?:\s*\([^)]{{1,40}}\))?):\s+(.*)$")
_TXT_STAMP = re.compile(rf"^\[?({_TIME})\]?\s+(.*)$")
_VOICE = re.compile(r"^<v(?:\.[\w.-]+)?\s+([^>]+)>(.*)$")
_TAGS = re.compile(r"</?[a-z][^>]*>", re.IGNORECASE)


def normalize_outcome(value: str) -> str:
    """`Won`, `no decision`, `no_decision` in their one spelling; a `ValueError` for anything else."""
    text = re.sub(r"[\s_]+", "-", value.strip().lower())
    if text not in OUTCOMES:
        raise ValueError(f"{value!r} is not one of {', '.join(OUTCOMES)}")
    return text


class Turn(BaseModel):
    speaker: str
    text: str
    start: float | None = None  # seconds from the start of the call
    end: float | None = None
    line: int = 0  # where the turn starts in its file


class CallMetadata(BaseModel, extra="allow"):
    call_id: str
    account: str | None = None
    industry: str | None = None
    segment: str | None = None
    persona: str | None = None
    stage: str | None = None
    outcome: str | None = Field(default=None, description="won, lost or no-decision")
    date: str | None = None

    @field_validator("call_id", "account", "industry", "segment", "persona", "stage", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return None if value is None else str(value).strip() or None

    @field_validator("outcome", mode="before")
    @classmethod
    def _outcome(cls, value: Any) -> str | None:
        return None if value is None or str(value).strip() == "" else normalize_outcome(str(value))

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, value: Any) -> str | None:
        if isinstance(value, date | datetime):
            return value.isoformat()
        return None if value is None else str(value)

    def flat(self) -> dict[str, str | int | float | bool]:
        """The fields a vector store can hold: scalars only, no empty values."""
        return {
            k: v
            for k, v in self.model_dump().items()
            if v is not None and v != "" and isinstance(v, str | int | float | bool)
        }


class Transcript(BaseModel):
    source: str
    fingerprint: str  # sha256 of the transcript's bytes and its sidecar's: the same call, the same hash
    metadata: CallMetadata
    turns: list[Turn]


def is_transcript(path: Path) -> bool:
    return path.suffix.lower() in FORMATS and not path.name.endswith(SIDECAR)


def sidecar_for(path: Path) -> Path:
    return path.with_name(path.stem + SIDECAR)


def read_transcript(path: Path) -> Transcript:
    """Parse one file (and its sidecar); any problem is an `InputError` naming file and line."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"not a transcript format (expected {', '.join(FORMATS)})", file=path)
    raw = path.read_bytes()
    text = _decode(raw, path)
    parse = {".txt": _parse_txt, ".vtt": _parse_vtt, ".srt": _parse_srt, ".json": _parse_json}[suffix]
    meta, meta_line, turns = parse(text, path)
    digest = hashlib.sha256(raw)
    sidecar = sidecar_for(path)
    meta_file, meta_text = path, text
    if sidecar.is_file():
        side_raw = sidecar.read_bytes()
        digest.update(b"\0" + side_raw)
        meta_text = _decode(side_raw, sidecar)
        meta = {**meta, **_yaml_mapping(meta_text, sidecar, 1)}
        meta_file, meta_line = sidecar, 1
    if not turns:
        raise InputError("no speaker turns found", file=path)
    meta.setdefault("call_id", path.stem)
    try:
        metadata = CallMetadata.model_validate(meta)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"])
        at = re.search(rf'^\s*"?{re.escape(field)}"?\s*:', meta_text, re.MULTILINE) if field else None
        raise InputError(
            error["msg"].removeprefix("Value error, "),
            file=meta_file,
            line=meta_text.count("\n", 0, at.start()) + 1 if at else meta_line,
            field=field or None,
        ) from exc
    return Transcript(source=str(path), fingerprint=digest.hexdigest(), metadata=metadata, turns=turns)


def _decode(raw: bytes, path: Path) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError("not UTF-8 text", file=path, line=raw[: exc.start].count(b"\n") + 1) from exc


def _yaml_mapping(text: str, path: Path, first_line: int) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = first_line + mark.line if mark is not None else first_line
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise InputError(f"invalid YAML: {problem}", file=path, line=line) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError("metadata must be a mapping of field: value", file=path, line=first_line)
    return {str(k): v for k, v in data.items()}


def seconds(stamp: str) -> float:
    """`01:02:03.5`, `02:03,500` or `123` as seconds."""
    parts = stamp.strip().replace(",", ".").split(":")
    total = 0.0
    for part in parts:
        total = total * 60 + float(part)
    return total


def _append(
    turns: list[Turn],
    speaker: str | None,
    text: str,
    start: float | None,
    end: float | None,
    line: int,
    path: Path,
) -> None:
    """Add text to the call: a new turn when the speaker changes, else more of the same turn."""
    text = " ".join(_TAGS.sub("", text).split())
    if not text:
        return
    if speaker is None or (turns and speaker == turns[-1].speaker):
        if not turns:
            raise InputError("no speaker: start the line with 'Name: '", file=path, line=line)
        last = turns[-1]
        last.text = f"{last.text} {text}"
        last.end = end if end is not None else last.end
        return
    turns.append(Turn(speaker=speaker, text=text, start=start, end=end, line=line))


def _split_speaker(text: str) -> tuple[str | None, str]:
    voice = _VOICE.match(text.strip())
    if voice:
        return voice.group(1).strip(), voice.group(2)
    named = _SPEAKER.match(text.strip())
    if named:
        return named.group(1).strip(), named.group(2)
    return None, text


def _parse_txt(text: str, path: Path) -> tuple[dict[str, Any], int, list[Turn]]:
    lines = text.splitlines()
    meta: dict[str, Any] = {}
    body_start = 0
    if lines and lines[0].strip() == "---":
        close = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
        if close is None:
            raise InputError("front matter opened with '---' is never closed", file=path, line=1)
        meta = _yaml_mapping("\n".join(lines[1:close]), path, 2)
        body_start = close + 1
    turns: list[Turn] = []
    for number, line in enumerate(lines[body_start:], body_start + 1):
        if not line.strip():
            continue
        start = None
        stamped = _TXT_STAMP.match(line.strip())
        if stamped:
            start, line = seconds(stamped.group(1)), stamped.group(2)
        speaker, said = _split_speaker(line)
        if speaker is not None and turns and speaker == turns[-1].speaker:
            speaker = None  # the same speaker again: one turn
        if speaker is not None and turns and turns[-1].end is None and start is not None:
            turns[-1].end = start
        _append(turns, speaker, said, start, None, number, path)
    return meta, 1, turns


def _cue_blocks(text: str) -> list[tuple[int, list[str]]]:
    """Blocks of non-blank lines with the line number of each block's first line."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    first = 0
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            if not current:
                first = number
            current.append(line)
        elif current:
            blocks.append((first, current))
            current = []
    if current:
        blocks.append((first, current))
    return blocks


def _parse_cues(blocks: list[tuple[int, list[str]]], path: Path, example: str) -> list[Turn]:
    turns: list[Turn] = []
    for first, block in blocks:
        # A cue is an optional identifier line, the timing line, then its text.
        at = 0 if _TIMING.match(block[0]) else 1
        if at >= len(block) or not _TIMING.match(block[at]):
            raise InputError(f"expected a timing line like '{example}'", file=path, line=first + at)
        timing = _TIMING.match(block[at])
        assert timing is not None
        start, end = seconds(timing.group(1)), seconds(timing.group(2))
        for offset, line in enumerate(block[at + 1 :], at + 1):
            speaker, said = _split_speaker(line)
            if speaker is not None and turns and speaker == turns[-1].speaker:
                speaker = None
            _append(turns, speaker, said, start, end, first + offset, path)
    return turns


def _parse_vtt(text: str, path: Path) -> tuple[dict[str, Any], int, list[Turn]]:
    blocks = _cue_blocks(text)
    if not blocks or not blocks[0][1][0].startswith("WEBVTT"):
        raise InputError("a WebVTT file starts with the line 'WEBVTT'", file=path, line=1)
    cues = [(first, lines) for first, lines in blocks[1:] if not lines[0].startswith(("NOTE", "STYLE", "REGION"))]
    return {}, 1, _parse_cues(cues, path, "00:00:01.000 --> 00:00:04.000")


def _parse_srt(text: str, path: Path) -> tuple[dict[str, Any], int, list[Turn]]:
    return {}, 1, _parse_cues(_cue_blocks(text), path, "00:00:01,000 --> 00:00:04,000")


def _json_item_lines(text: str) -> list[int]:
    """The line on which each element of the top-level `turns` array starts."""
    found = re.search(r'"turns"\s*:\s*\[', text)
    if not found:
        return []
    decoder = json.JSONDecoder()
    lines: list[int] = []
    pos = found.end()
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            return lines
        lines.append(text.count("\n", 0, pos) + 1)
        try:
            pos = decoder.raw_decode(text, pos)[1]
        except json.JSONDecodeError:
            return lines


def _parse_json(text: str, path: Path) -> tuple[dict[str, Any], int, list[Turn]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg}", file=path, line=exc.lineno) from exc
    if not isinstance(data, dict) or not isinstance(data.get("turns"), list):
        raise InputError('expected {"metadata": {...}, "turns": [...]}', file=path, line=1)
    meta = data.get("metadata") or {}
    if not isinstance(meta, dict):
        raise InputError("metadata must be an object", file=path, line=1, field="metadata")
    meta_match = re.search(r'"metadata"\s*:', text)
    meta_line = text.count("\n", 0, meta_match.start()) + 1 if meta_match else 1
    item_lines = _json_item_lines(text)
    turns: list[Turn] = []
    for index, item in enumerate(data["turns"]):
        line = item_lines[index] if index < len(item_lines) else 1
        if (
            not isinstance(item, dict)
            or not str(item.get("speaker") or "").strip()
            or not isinstance(item.get("text"), str)
        ):
            raise InputError("each turn needs a speaker and a text", file=path, line=line, field=f"turns[{index}]")
        try:
            start, end = (None if item.get(k) is None else seconds(str(item[k])) for k in ("start", "end"))
        except ValueError as exc:
            raise InputError(
                "times are seconds or HH:MM:SS.mmm", file=path, line=line, field=f"turns[{index}]"
            ) from exc
        speaker = str(item["speaker"]).strip()
        _append(
            turns,
            None if turns and speaker == turns[-1].speaker else speaker,
            item["text"],
            start,
            end,
            line,
            path,
        )
    return meta, meta_line, turns
