"""`sdr calls ingest`: transcripts into the call index, each call whole or not at all.

Every file is parsed before anything is written; a bad file is rejected with its place
(`file:line: message`) and contributes nothing, while the good ones go in. A call whose content
hash is already in the index is skipped, whatever the file is called now; a call whose
`call_id` is known but whose content changed replaces the old moments (new ones are written
first, then the old ones removed, so a crash leaves the old version, never a gap).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from agent.calls.index import CallIndex, call_index
from agent.calls.moments import Moment, cut_moments
from agent.calls.transcript import Transcript, is_transcript, read_transcript
from agent.errors import InputError
from agent.settings import Settings

Progress = Callable[[str, int, int], None]
WRITE_BATCH = 256  # moments embedded and written together: bounded memory, a progress tick each


@dataclass
class IngestReport:
    files: int = 0
    calls_added: int = 0
    calls_replaced: int = 0
    calls_skipped: int = 0  # already in the index with the same content
    moments_added: int = 0
    moments_skipped: int = 0
    duplicates: list[str] = field(default_factory=list)  # "file: same content as <call_id> (<source>)"
    rejected: list[InputError] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            **{k: v for k, v in self.__dict__.items() if k != "rejected"},
            "rejected": [str(e) for e in self.rejected],
        }


def transcript_files(path: Path) -> list[Path]:
    """The file itself, or every transcript under a folder (sidecars and other files left out)."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and is_transcript(p))
    if not path.exists():
        raise InputError("no such file or folder", file=path)
    if not is_transcript(path):
        raise InputError("not a transcript (.txt, .vtt, .srt or .json; a .meta.yaml goes beside one)", file=path)
    return [path]


def _complete(index: CallIndex, fingerprint: str) -> dict[str, object] | None:
    """The stored call with this content, if all of its moments are there."""
    meta = index.call_with(fingerprint)
    if meta is None:
        return None
    stored = len(index.store.get(where={"call_sha": fingerprint}, include=[])["ids"])
    return meta if stored == meta.get("moments") else None


def ingest(
    settings: Settings, path: Path, progress: Progress | None = None, index: CallIndex | None = None
) -> IngestReport:
    index = index or call_index(settings)
    files = transcript_files(path)
    report = IngestReport(files=len(files))
    parsed: list[Transcript] = []
    for number, file in enumerate(files, 1):
        try:
            parsed.append(read_transcript(file))
        except InputError as exc:
            report.rejected.append(exc)
        if progress:
            progress("read", number, len(files))

    seen: dict[str, Transcript] = {}  # fingerprint -> the first file with it in this run
    owners: dict[str, Transcript] = {}  # call_id -> its file in this run
    new: list[tuple[list[Moment], set[str]]] = []  # each new call's moments, and the ids of its old version
    for transcript in parsed:
        call_id = transcript.metadata.call_id
        if transcript.fingerprint in seen:
            first = seen[transcript.fingerprint]
            report.duplicates.append(f"{transcript.source}: same content as {first.metadata.call_id} ({first.source})")
            report.calls_skipped += 1
            continue
        if call_id in owners:
            report.rejected.append(
                InputError(
                    f"call_id {call_id!r} is also used by {owners[call_id].source}",
                    file=transcript.source,
                    field="call_id",
                )
            )
            continue
        seen[transcript.fingerprint] = transcript
        owners[call_id] = transcript
        stored = _complete(index, transcript.fingerprint)
        if stored is not None:
            if stored.get("source") != transcript.source:
                report.duplicates.append(
                    f"{transcript.source}: same content as {stored.get('call_id')} ({stored.get('source')})"
                )
            report.calls_skipped += 1
            report.moments_skipped += int(stored.get("moments", 0))  # type: ignore[call-overload]
            continue
        moments = cut_moments(transcript)
        new.append((moments, set(index.moment_ids(call_id)) - {c.id for c in moments}))

    total, done = sum(len(moments) for moments, _ in new), 0
    for batch in _batches(new):
        # Whole calls per write; a replaced call's old moments go only once its new ones are in.
        index.add([c for moments, _ in batch for c in moments])
        for moments, old in batch:
            index.delete(sorted(old))
            report.calls_replaced += bool(old)
            report.calls_added += not old
            report.moments_added += len(moments)
            done += len(moments)
        if progress:
            progress("embed", done, total)
    return report


def _batches(calls: list[tuple[list[Moment], set[str]]]) -> list[list[tuple[list[Moment], set[str]]]]:
    """Calls grouped whole into writes of about `WRITE_BATCH` moments: one embedding pass and one upsert each."""
    batches: list[list[tuple[list[Moment], set[str]]]] = []
    size = WRITE_BATCH
    for call in calls:
        if size + len(call[0]) > WRITE_BATCH:
            batches.append([])
            size = 0
        batches[-1].append(call)
        size += len(call[0])
    return batches
