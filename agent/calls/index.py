"""The store of call chunks: one Chroma collection (cosine space) through langchain-chroma.

Embedded and persistent in `<workspace>/chroma` by default; a Chroma server when
`SDR_CHROMA_URL` is set. The collection is named after the embedding model, so switching
models never mixes two vector spaces in one index (the new one starts empty: ingest again).
Reads go through langchain-chroma's `Chroma`; writes go to the collection with vectors embedded
here, because ingest embeds several whole calls in one pass (and the benchmark brings its own).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from langchain_chroma import Chroma
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from agent.calls.chunking import Chunk
from agent.embeddings import build_embeddings
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


@dataclass(frozen=True)
class Hit:
    id: str
    text: str
    metadata: dict[str, Any]
    similarity: float  # cosine similarity, 1 = same direction


class CallIndex:
    def __init__(self, client: Any, embeddings: Embeddings) -> None:
        self.embeddings = embeddings
        self.name = collection_name(embeddings)
        self.store = Chroma(
            collection_name=self.name,
            embedding_function=embeddings,
            client=client,
            collection_configuration={"hnsw": {"space": "cosine"}},
        )
        self.collection = client.get_collection(self.name)

    def call_with(self, fingerprint: str) -> dict[str, Any] | None:
        """Metadata of a chunk of the call with this content hash, if it is in the index."""
        found = self.store.get(where={"call_sha": fingerprint}, limit=1, include=["metadatas"])
        return found["metadatas"][0] if found["ids"] else None

    def chunk_ids(self, call_id: str) -> list[str]:
        return list(self.store.get(where={"call_id": call_id}, include=[])["ids"])

    def add(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]] | None = None) -> None:
        """Embed (unless `vectors` are given) and upsert in one write, so the calls in `chunks` go in
        whole; ids are content hashes, so writing a chunk twice changes nothing."""
        if not chunks:
            return
        if vectors is None:
            vectors = self.embeddings.embed_documents([c.text for c in chunks])
        self.collection.upsert(
            ids=[c.id for c in chunks],
            embeddings=[list(v) for v in vectors],
            documents=[c.text for c in chunks],
            metadatas=[dict(c.metadata) for c in chunks],
        )

    def delete(self, ids: Sequence[str]) -> None:
        if ids:
            self.store.delete(ids=list(ids))

    def search(self, vector: list[float], where: dict[str, Any] | None, k: int) -> list[Hit]:
        found = self.store.similarity_search_by_vector_with_relevance_scores(vector, k=k, filter=where)
        return [_hit(doc, 1.0 - distance) for doc, distance in found]

    def metadatas(self, page: int = 5000) -> list[dict[str, Any]]:
        """Every chunk's metadata (for listing calls), read a page at a time."""
        out: list[dict[str, Any]] = []
        while True:
            found = self.store.get(include=["metadatas"], limit=page, offset=len(out))
            out.extend(m or {} for m in found["metadatas"])
            if len(found["ids"]) < page:
                return out

    def count(self) -> int:
        return int(self.collection.count())


def _hit(doc: Document, similarity: float) -> Hit:
    return Hit(str(doc.id), doc.page_content, dict(doc.metadata), round(similarity, 4))


_indexes: dict[tuple[str, str], CallIndex] = {}
_lock = threading.Lock()


def call_index(settings: Settings, embeddings: Embeddings | None = None) -> CallIndex:
    """The workspace's call index, opened once per process."""
    embeddings = embeddings or build_embeddings(settings)
    where = settings.chroma_url or str((settings.workspace / "chroma").resolve())
    with _lock:
        cache_key = (where, collection_name(embeddings))
        if cache_key not in _indexes:
            _indexes[cache_key] = CallIndex(_client(settings), embeddings)
        return _indexes[cache_key]
