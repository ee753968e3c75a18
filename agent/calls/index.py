"""The store of call moments: one Chroma collection (cosine space) through langchain-chroma.

Embedded and persistent in `<workspace>/chroma` by default; a Chroma server when
`SDR_CHROMA_URL` is set. The collection is named after the embedding model, so switching
models never mixes two vector spaces in one index (the new one starts empty: ingest again).
Reads go through langchain-chroma's `Chroma`; writes go to the collection with vectors embedded
here, because ingest embeds several whole calls in one pass (and the benchmark brings its own).
Every write stamps the collection with a new generation, which tells every process sharing
it (`library.CallLibrary`) that its copy for search is out of date.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings

from agent.calls.moments import OPENING_TOKENS, Moment
from agent.embeddings import MiniLM, build_embeddings
from agent.errors import ConfigError
from agent.settings import Settings


def _model_name(embeddings: Embeddings) -> str:
    return str(getattr(embeddings, "name", None) or f"openai:{getattr(embeddings, 'model', 'embeddings')}")


def collection_name(embeddings: Embeddings) -> str:
    return "calls-" + re.sub(r"[^a-z0-9]+", "-", _model_name(embeddings).lower()).strip("-")[:48]


def _client(settings: Settings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlsplit(settings.chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ConfigError(f"SDR_CHROMA_URL={settings.chroma_url!r}: expected http(s)://host:port")
        try:
            return chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        except Exception as exc:  # chromadb raises plain exceptions when the server is not there
            raise ConfigError(f"SDR_CHROMA_URL={settings.chroma_url!r}: no Chroma server answers ({exc})") from exc
    path = settings.ensure_workspace() / "chroma"
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


GENERATION = "generation"


def embed_openings(embeddings: Embeddings, texts: list[str]) -> np.ndarray | list[list[float]]:
    """Moments' opening exchanges as vectors (the local model reads each up to `OPENING_TOKENS`)."""
    if isinstance(embeddings, MiniLM):
        return embeddings.embed(texts, max_tokens=OPENING_TOKENS)
    return embeddings.embed_documents(texts)


class CallIndex:
    def __init__(self, client: Any, embeddings: Embeddings, where: str) -> None:
        self.client = client
        self.where = where  # the workspace's Chroma folder, or the server's URL
        self.embeddings = embeddings
        self.name = collection_name(embeddings)
        self.store = Chroma(
            collection_name=self.name,
            embedding_function=embeddings,
            client=client,
            collection_configuration={"hnsw": {"space": "cosine"}},
        )
        self.collection = client.get_collection(self.name)
        self.writes = 0  # since the search copy last read the generation (see library.LibraryCache)

    def call_with(self, fingerprint: str) -> dict[str, Any] | None:
        """Metadata of a moment of the call with this content hash, if it is in the index."""
        found = self.store.get(where={"call_sha": fingerprint}, limit=1, include=["metadatas"])
        return found["metadatas"][0] if found["ids"] else None

    def moment_ids(self, call_id: str) -> list[str]:
        return list(self.store.get(where={"call_id": call_id}, include=[])["ids"])

    def add(self, moments: Sequence[Moment], vectors: np.ndarray | Sequence[Sequence[float]] | None = None) -> None:
        """Embed (unless `vectors` are given) and upsert in one write, so the calls in `moments` go in
        whole; ids are content hashes, so writing a moment twice changes nothing."""
        if not moments:
            return
        if vectors is None:
            vectors = embed_openings(self.embeddings, [m.opening for m in moments])
        self.collection.upsert(
            ids=[m.id for m in moments],
            embeddings=np.asarray(vectors, dtype=np.float32),
            documents=[m.text for m in moments],
            metadatas=[dict(m.metadata) for m in moments],
        )
        self._stamp()

    def delete(self, ids: Sequence[str]) -> None:
        if ids:
            self.store.delete(ids=list(ids))
            self._stamp()

    def _stamp(self) -> None:
        self.collection.modify(metadata={GENERATION: uuid.uuid4().hex})
        self.writes += 1

    def generation(self) -> str:
        """The collection's current generation, read from Chroma (a server's may change under us)."""
        metadata = self.client.get_collection(self.name).metadata or {}
        return str(metadata.get(GENERATION, ""))

    def metadatas(self, page: int = 5000) -> list[dict[str, Any]]:
        """Every moment's metadata (for listing calls), read a page at a time."""
        out: list[dict[str, Any]] = []
        while True:
            found = self.store.get(include=["metadatas"], limit=page, offset=len(out))
            out.extend(m or {} for m in found["metadatas"])
            if len(found["ids"]) < page:
                return out

    def count(self) -> int:
        return int(self.collection.count())


_indexes: dict[tuple[str, str], CallIndex] = {}
_lock = threading.Lock()


def call_index(settings: Settings, embeddings: Embeddings | None = None) -> CallIndex:
    """The workspace's call index, opened once per process."""
    embeddings = embeddings or build_embeddings(settings)
    where = settings.chroma_url or str((settings.workspace / "chroma").resolve())
    with _lock:
        cache_key = (where, collection_name(embeddings))
        if cache_key not in _indexes:
            _indexes[cache_key] = CallIndex(_client(settings), embeddings, where)
        return _indexes[cache_key]
