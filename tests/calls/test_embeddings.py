"""The local embedding model: batches embedded side by side come back in the order given, as one session gives them."""

from __future__ import annotations

import numpy as np

from agent.embeddings import BATCH, MiniLM


def test_batches_on_several_sessions_keep_each_text_in_its_place() -> None:
    # Lengths vary so the length-sorted batches interleave the input order; more than two batches.
    texts = [
        f"{'detention at the dock ' * (i % 7 + 1)}call {i}: carrier number {i * 37 % 101}" for i in range(3 * BATCH + 5)
    ]
    side_by_side = MiniLM(workers=2).embed(texts, max_tokens=64)
    one_session = MiniLM(workers=1).embed(texts, max_tokens=64)
    assert side_by_side.shape == (len(texts), 384)
    assert np.allclose(side_by_side, one_session, atol=1e-5)
    one_by_one = np.vstack([MiniLM(workers=1).embed([t], max_tokens=64) for t in texts[:: BATCH // 2]])
    assert np.all(np.sum(side_by_side[:: BATCH // 2] * one_by_one, axis=1) > 0.99)


def test_truncation_is_per_call() -> None:
    model = MiniLM(workers=2)
    long = "carriers wait at the gate for hours " * 40
    short_read, full_read = model.embed([long, "x"], max_tokens=16), model.embed([long, "x"], max_tokens=256)
    assert float(short_read[0] @ full_read[0]) < 0.999  # the 16-token read saw less of the text
    assert np.allclose(model.embed([long, "x"], max_tokens=16), short_read, atol=1e-6)
