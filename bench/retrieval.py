"""Benchmark: ingestion throughput and query latency of the call index at 10,000 and 100,000 chunks.

Synthetic calls are made offline from the demo transcripts: their sentences recombined into new
turns, with metadata drawn from the demo calls' industries, personas, segments, stages and
outcomes, then chunked by the project's own chunker. They are ingested through the same
`CallIndex.add` as `sdr calls ingest` (real MiniLM embeddings, embedded persistent Chroma), and
queried through `find_snippets`, the function drafting calls, with and without filters.

    .venv/bin/python bench/retrieval.py                      # 10,000 and 100,000 chunks
    .venv/bin/python bench/retrieval.py --sizes 10000 --queries 200
    .venv/bin/python bench/retrieval.py --reuse bench/results/stores   # keep the stores between runs

100,000 chunks take the better part of an hour to embed on 2 cores; with --reuse a store that
already holds the requested chunks is queried again without rebuilding. A benchmark, not a test:
nothing is asserted. Results also go to bench/results/retrieval.json.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.calls.chunking import Chunk, chunk_transcript  # noqa: E402
from agent.calls.index import call_index  # noqa: E402
from agent.calls.retrieve import find_snippets  # noqa: E402
from agent.calls.transcript import CallMetadata, Transcript, Turn, is_transcript, read_transcript  # noqa: E402
from agent.settings import load_settings  # noqa: E402
from agent.workspace import Workspace  # noqa: E402

CALLS = ROOT / "examples" / "calls"
CASES = ROOT / "evals" / "retrieval" / "cases.jsonl"
FIELDS = ("industry", "persona", "segment", "stage", "outcome")


def demo_material() -> tuple[list[str], list[str], dict[str, list[str]]]:
    """Sentences, speaker names and metadata values of the demo calls."""
    sentences: set[str] = set()
    speakers: set[str] = set()
    values: dict[str, set[str]] = {f: set() for f in FIELDS}
    for path in sorted(CALLS.iterdir()):
        if not is_transcript(path):
            continue
        transcript = read_transcript(path)
        for turn in transcript.turns:
            speakers.add(turn.speaker)
            sentences.update(s for s in re.split(r"(?<=[.!?])\s+", turn.text) if len(s) > 20)
        for f in FIELDS:
            if value := getattr(transcript.metadata, f):
                values[f].add(value)
    return sorted(sentences), sorted(speakers), {f: sorted(v) for f, v in values.items()}


def synthetic_chunks(target: int, seed: int = 7) -> list[Chunk]:
    sentences, speakers, values = demo_material()
    rng = random.Random(seed)
    chunks: list[Chunk] = []
    number = 0
    while len(chunks) < target:
        number += 1
        pair = rng.sample(speakers, 2)
        turns, clock = [], 0.0
        for t in range(rng.randint(20, 40)):
            text = " ".join(rng.sample(sentences, rng.choice((1, 1, 2, 2, 3, 4))))
            turns.append(Turn(speaker=pair[t % 2], text=text, start=clock, end=clock + len(text) / 15))
            clock += len(text) / 15 + 0.5
        meta = CallMetadata(
            call_id=f"synthetic-{number:06d}",
            account=f"Account {number % 997}",
            date=f"2026-{number % 12 + 1:02d}-{number % 28 + 1:02d}",
            **{f: rng.choice(values[f]) for f in FIELDS},
        )
        fingerprint = f"{seed:08x}{number:056x}"
        chunks.extend(
            chunk_transcript(
                Transcript(source=f"synthetic/{number}.txt", fingerprint=fingerprint, metadata=meta, turns=turns)
            )
        )
    # Whole calls only: stop at the call that crosses the target.
    return chunks


def queries(count: int, seed: int = 11) -> list[str]:
    asked = [json.loads(line)["query"] for line in CASES.read_text().splitlines() if line.strip()]
    sentences, _, _ = demo_material()
    rng = random.Random(seed)
    out = list(asked)
    while len(out) < count:
        out.append(rng.choice(sentences))
    rng.shuffle(out)
    return out[:count]


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def build(ws: Workspace, chunks: list[Chunk], batch: int = 256) -> dict[str, float]:
    """Ingest whole calls in writes of about `batch` chunks, as `sdr calls ingest` does."""
    index = call_index(ws.settings)
    calls: dict[str, list[Chunk]] = {}
    for c in chunks:
        calls.setdefault(str(c.metadata["call_id"]), []).append(c)
    started = time.perf_counter()
    pending: list[Chunk] = []
    done = 0
    for call in calls.values():
        pending.extend(call)
        if len(pending) >= batch:
            index.add(pending)
            done += len(pending)
            pending = []
            if done % 5000 < batch:
                print(
                    f"  {done:>7} chunks, {done / (time.perf_counter() - started):6.1f}/s", file=sys.stderr, flush=True
                )
    index.add(pending)
    seconds = time.perf_counter() - started
    return {"chunks": len(chunks), "seconds": round(seconds, 1), "chunks_per_second": round(len(chunks) / seconds, 1)}


def embedding_rate(ws: Workspace, chunks: list[Chunk], sample: int = 512) -> float:
    """Chunks per second of the embedding model alone, on a sample (what ingestion is bounded by)."""
    texts = [c.text for c in chunks[:sample]]
    started = time.perf_counter()
    call_index(ws.settings).embeddings.embed_documents(texts)
    return round(len(texts) / (time.perf_counter() - started), 1)


def latency(ws: Workspace, asked: list[str], filters: dict[str, Any]) -> dict[str, float]:
    find_snippets(ws, asked[0], **filters)  # warm
    times, returned = [], []
    for q in asked:
        started = time.perf_counter()
        found = find_snippets(ws, q, k=5, **filters)
        times.append((time.perf_counter() - started) * 1000)
        returned.append(len(found))
    return {
        "p50_ms": round(percentile(times, 50), 1),
        "p95_ms": round(percentile(times, 95), 1),
        "mean_ms": round(statistics.mean(times), 1),
        "mean_returned": round(statistics.mean(returned), 2),
    }


def run(size: int, reuse: Path | None, count: int) -> dict[str, Any]:
    root = (reuse / f"chunks-{size}") if reuse else Path(tempfile.mkdtemp(prefix=f"sdr-bench-{size}-"))
    ws = Workspace(load_settings(workspace=root))
    index = call_index(ws.settings)
    chunks = synthetic_chunks(size)
    result: dict[str, Any] = {"size": size, "store": str(root)}
    if index.count() >= len(chunks):
        print(f"{size}: reusing {index.count()} chunks in {root}", file=sys.stderr)
        result["ingest"] = json.loads((root / "ingest.json").read_text()) if (root / "ingest.json").exists() else {}
    else:
        print(f"{size}: ingesting {len(chunks)} chunks into {root}", file=sys.stderr)
        result["ingest"] = build(ws, chunks)
        (root / "ingest.json").write_text(json.dumps(result["ingest"]))
    result["embedding_only_chunks_per_second"] = embedding_rate(ws, chunks)
    asked = queries(count)
    _, _, values = demo_material()
    result["query"] = {
        "no filter": latency(ws, asked, {}),
        "industry": latency(ws, asked, {"industry": values["industry"][0]}),
        "industry+persona+outcome": latency(
            ws, asked, {"industry": values["industry"][0], "persona": values["persona"][0], "outcome": "won"}
        ),
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="Comma-separated chunk counts.")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--reuse", type=Path, default=None, help="Keep (and reuse) the stores under this folder.")
    args = parser.parse_args()
    results = [run(int(size), args.reuse, args.queries) for size in args.sizes.split(",")]

    from rich.console import Console
    from rich.table import Table

    table = Table("chunks", "ingest chunks/s", "embed-only chunks/s", "query", "p50 ms", "p95 ms", "returned")
    for r in results:
        for name, q in r["query"].items():
            table.add_row(
                f"{r['size']:,}",
                str(r["ingest"].get("chunks_per_second", "")),
                str(r["embedding_only_chunks_per_second"]),
                name,
                str(q["p50_ms"]),
                str(q["p95_ms"]),
                str(q["mean_returned"]),
            )
    Console().print(table)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "retrieval.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
