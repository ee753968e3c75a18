"""The call library in memory: every moment's vector, words and filter fields, for hybrid search.

Chroma keeps the moments (embedded on disk, or a server several machines share); this is a
read-side copy of the whole collection, built from what Chroma holds and rebuilt when its
generation stamp (bumped by every write, see `index.CallIndex`) changes. So the lexical index's
document frequencies always describe the whole shared collection, whichever process wrote it,
and filters are applied before ranking on numpy columns instead of by Chroma's metadata
filter, which at 100,000 moments took 120-150 ms a query against 3 ms unfiltered.

Search ranks the moments a filter allows two ways, by meaning (cosine similarity to the query's
embedding, exact) and by words (BM25 from `bm25s`, stemmed English), and returns each list's
top rows for `retrieve` to fuse. The copy is kept on disk under the workspace, so a process
loads it in a second instead of reading the collection again (16 s at 100,000 moments).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import Stemmer
from threadpoolctl import threadpool_limits

from agent.calls.index import CallIndex, call_index
from agent.settings import Settings

FRESH_SECONDS = 1.0
FILTER_FIELDS = ("industry_key", "persona_key", "segment_key", "stage_key", "outcome", "kind", "call_id")
READ_PAGE = 5000

_stemmer = Stemmer.Stemmer("english")


def words(texts: list[str]) -> list[list[str]]:
    """Lower-cased, stemmed words without English stop words: what BM25 counts."""
    return bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer, return_ids=False, show_progress=False)


@dataclass
class Ranked:
    rows: np.ndarray  # row numbers, best first
    scores: np.ndarray  # their scores (cosine similarity, or BM25)


class CallLibrary:
    def __init__(
        self,
        generation: str,
        ids: list[str],
        texts: list[str],
        metadatas: list[dict[str, Any]],
        vectors: np.ndarray,
        lexical: bm25s.BM25 | None,
    ) -> None:
        self.generation = generation
        self.ids, self.texts, self.metadatas = ids, texts, metadatas
        self.vectors = vectors
        self.lexical = lexical
        # Each filter field as integer codes: a filter is one vectorised comparison per field.
        self.codes: dict[str, np.ndarray] = {}
        self.vocab: dict[str, dict[str, int]] = {}
        for field in FILTER_FIELDS:
            values = [str(m.get(field, "")) for m in metadatas]
            vocab = {value: code for code, value in enumerate(sorted(set(values)))}
            self.vocab[field] = vocab
            self.codes[field] = np.fromiter((vocab[v] for v in values), dtype=np.int32, count=len(values))

    def __len__(self) -> int:
        return len(self.ids)

    def allowed(self, filters: dict[str, str | list[str]]) -> np.ndarray:
        """The rows every filter allows (a list value allows any of its values)."""
        mask = np.ones(len(self), dtype=bool)
        for field, wanted in filters.items():
            values = [wanted] if isinstance(wanted, str) else wanted
            codes = [self.vocab[field][v] for v in values if v in self.vocab.get(field, {})]
            if field not in self.codes or not codes:
                return np.zeros(len(self), dtype=bool)
            mask &= np.isin(self.codes[field], codes)
        return mask

    def by_meaning(self, vector: np.ndarray, allowed: np.ndarray, n: int) -> Ranked:
        rows = np.flatnonzero(allowed)
        if not len(rows):
            return Ranked(rows, np.zeros(0, dtype=np.float32))
        # One BLAS thread: a matrix-vector product is bound by memory, and threads only add waiting.
        with threadpool_limits(1):
            similarity = self.vectors[rows] @ vector if len(rows) < len(self) else self.vectors @ vector
        return _top(rows, similarity, n)

    def by_words(self, query: str, allowed: np.ndarray, n: int) -> Ranked:
        rows = np.flatnonzero(allowed)
        if self.lexical is None or not len(rows):
            return Ranked(rows[:0], np.zeros(0, dtype=np.float32))
        scores = self.lexical.get_scores(words([query])[0])[rows]
        found = _top(rows, scores, n)
        keep = found.scores > 0
        return Ranked(found.rows[keep], found.scores[keep])

    def similarity(self, vector: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return self.vectors[rows] @ vector


def _top(rows: np.ndarray, scores: np.ndarray, n: int) -> Ranked:
    if len(rows) > n:
        best = np.argpartition(-scores, n)[:n]
        rows, scores = rows[best], scores[best]
    order = np.argsort(-scores, kind="stable")
    return Ranked(rows[order], scores[order])


def build(index: CallIndex) -> CallLibrary:
    """Read the whole collection (a page at a time) and index its words."""
    generation = index.generation()
    ids: list[str] = []
    texts: list[str] = []
    metadatas: list[dict[str, Any]] = []
    vectors: list[np.ndarray] = []
    while True:
        page = index.collection.get(include=["documents", "metadatas", "embeddings"], limit=READ_PAGE, offset=len(ids))
        if not len(page["ids"]):
            break
        ids.extend(page["ids"])
        texts.extend(page["documents"])
        metadatas.extend(m or {} for m in page["metadatas"])
        vectors.append(np.asarray(page["embeddings"], dtype=np.float32))
        if len(page["ids"]) < READ_PAGE:
            break
    matrix = np.vstack(vectors) if vectors else np.zeros((0, 1), dtype=np.float32)
    lexical = None
    if texts:
        lexical = bm25s.BM25()
        lexical.index(bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer, show_progress=False), show_progress=False)
    return CallLibrary(generation, ids, texts, metadatas, matrix, lexical)


def save(library: CallLibrary, folder: Path) -> None:
    """Write the copy beside the workspace's other indexes; a new folder replaces the old at once."""
    staging = folder.with_name(folder.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    np.save(staging / "vectors.npy", library.vectors)
    (staging / "moments.json").write_text(
        json.dumps({"ids": library.ids, "texts": library.texts, "metadatas": library.metadatas})
    )
    if library.lexical is not None:
        library.lexical.save(str(staging / "bm25"))
    (staging / "generation").write_text(library.generation)
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)


def load(folder: Path) -> CallLibrary | None:
    try:
        generation = (folder / "generation").read_text()
        data = json.loads((folder / "moments.json").read_text())
        vectors = np.load(folder / "vectors.npy")
    except (OSError, ValueError):
        return None
    lexical = bm25s.BM25.load(str(folder / "bm25")) if (folder / "bm25").exists() else None
    return CallLibrary(generation, data["ids"], data["texts"], data["metadatas"], vectors, lexical)


class LibraryCache:
    """One library per index and process, reloaded or rebuilt when the collection has changed.

    The collection's generation is read at most once a `FRESH_SECONDS` (a write by another process
    shows in searches within a second), except right after a write by this process."""

    def __init__(self, index: CallIndex, folder: Path) -> None:
        self.index, self.folder = index, folder
        self._library: CallLibrary | None = None
        self._lock = threading.Lock()
        self._checked = -FRESH_SECONDS
        self._generation = ""

    def current(self) -> CallLibrary:
        if self.index.writes or time.monotonic() - self._checked >= FRESH_SECONDS:
            self._generation, self._checked, self.index.writes = self.index.generation(), time.monotonic(), 0
        generation = self._generation
        with self._lock:
            if self._library is not None and self._library.generation == generation:
                return self._library
            stored = load(self.folder)
            if stored is None or stored.generation != generation:
                stored = build(self.index)
                save(stored, self.folder)
            self._library = stored
            return stored


_caches: dict[tuple[str, str], LibraryCache] = {}
_caches_lock = threading.Lock()


def call_library(settings: Settings) -> CallLibrary:
    """The workspace's call library, current with its collection (read once per process, then
    again only when another write has changed the collection)."""
    index = call_index(settings)
    with _caches_lock:
        cache_key = (index.where, index.name)
        if cache_key not in _caches:
            # One copy per collection: a server's copy is named after its URL, never mixed with the local one.
            place = hashlib.sha256(index.where.encode()).hexdigest()[:12]
            folder = settings.ensure_workspace() / "call-library" / f"{index.name}-{place}"
            _caches[cache_key] = LibraryCache(index, folder)
        cache = _caches[cache_key]
    return cache.current()
