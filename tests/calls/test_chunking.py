"""Chunks follow speaker turns, keep them whole where they fit, and carry the call's metadata."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.calls.chunking import MAX_CHARS, chunk_transcript, key
from agent.calls.transcript import CallMetadata, Transcript, Turn, read_transcript

FIXTURES = Path(__file__).parent / "fixtures"


def _lines(chunks: list) -> list[tuple[str, str]]:
    return [tuple(line.split(": ", 1)) for c in chunks for line in c.text.split("\n")]


def test_turns_stay_whole_and_in_order() -> None:
    t = read_transcript(FIXTURES / "cold-storage-discovery.txt")
    chunks = chunk_transcript(t, max_chars=400)
    assert len(chunks) > 1
    assert _lines(chunks) == [(turn.speaker, turn.text) for turn in t.turns]
    assert all(len(c.text) <= 400 for c in chunks)


def test_every_chunk_carries_the_call_metadata_speakers_and_times() -> None:
    t = read_transcript(FIXTURES / "tpl-objection.vtt")
    chunks = chunk_transcript(t, max_chars=200)
    for c in chunks:
        m = c.metadata
        assert (
            m["call_id"],
            m["account"],
            m["industry"],
            m["segment"],
            m["persona"],
            m["stage"],
            m["outcome"],
            m["date"],
        ) == (
            "fx-3pl-objection",
            "Sierra Crossdock",
            "Third-Party Logistics",
            "enterprise",
            "logistics_leader",
            "evaluation",
            "lost",
            "2026-05-02",
        )
        assert m["industry_key"] == "third_party_logistics" and m["persona_key"] == "logistics_leader"
        assert m["source"].endswith("tpl-objection.vtt") and m["call_sha"] == t.fingerprint
        assert m["speakers"] and isinstance(m["start"], float) and m["end"] >= m["start"]
        assert all(value is not None for value in m.values())
    assert [c.metadata["chunk"] for c in chunks] == list(range(len(chunks)))


def test_a_long_turn_is_split_at_sentence_ends() -> None:
    sentences = [f"Sentence number {i} is about dock doors and carriers." for i in range(40)]
    turn = Turn(speaker="Prospect", text=" ".join(sentences), start=1.0, end=90.0)
    t = Transcript(source="x.txt", fingerprint="f" * 64, metadata=CallMetadata(call_id="x"), turns=[turn])
    chunks = chunk_transcript(t, max_chars=300)
    assert len(chunks) > 1 and all(len(c.text) <= 300 for c in chunks)
    pieces = [text for _, text in _lines(chunks)]
    assert " ".join(pieces) == turn.text
    assert all(p.endswith(".") for p in pieces)


def test_ids_are_stable_short_and_distinct() -> None:
    t = read_transcript(FIXTURES / "cold-storage-discovery.txt")
    first, again = chunk_transcript(t, max_chars=300), chunk_transcript(read_transcript(Path(t.source)), max_chars=300)
    assert [c.id for c in first] == [c.id for c in again]
    assert len({c.id for c in first}) == len(first)
    assert all(c.id.startswith("C") and len(c.id) == 11 for c in first)


def test_filter_keys_ignore_case_punctuation_and_and() -> None:
    assert key("Food & Beverage Distribution") == key("food_beverage_distribution") == "food_beverage_distribution"
    assert key("Third-Party Logistics") == key("third party logistics")
    assert key("Operations Leader") == "operations_leader"


_text = st.text(st.sampled_from("abcdefgh ,.!?"), min_size=1, max_size=900).filter(lambda s: s.strip())


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["Ana", "Ben", "Cy"]), _text), min_size=1, max_size=12),
    st.integers(min_value=120, max_value=1000),
)
def test_chunking_never_loses_or_reorders_words(turns: list[tuple[str, str]], limit: int) -> None:
    t = Transcript(
        source="p.txt",
        fingerprint="0" * 64,
        metadata=CallMetadata(call_id="p"),
        turns=[Turn(speaker=s, text=" ".join(x.split())) for s, x in turns],
    )
    chunks = chunk_transcript(t, max_chars=limit)
    assert all(len(c.text) <= limit for c in chunks)
    said = " ".join(turn.text for turn in t.turns).split()
    assert " ".join(text for _, text in _lines(chunks)).split() == said
    assert MAX_CHARS <= 1000  # the default stays inside the model's 256-token window
