"""Moments: short exchanges along speaker turns, without small talk, labelled, carrying the call's metadata."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.calls.kinds import MomentKind, Side, label
from agent.calls.moments import MAX_CHARS, TURNS, cut_moments, key, sides
from agent.calls.small_talk import substance
from agent.calls.transcript import CallMetadata, Transcript, Turn, read_transcript

FIXTURES = Path(__file__).parent / "fixtures"


def _turns(moment_text: str) -> list[tuple[str, str]]:
    return [tuple(line.split(": ", 1)) for line in moment_text.split("\n")]  # type: ignore[misc]


def _call(*turns: tuple[str, str], **meta: object) -> Transcript:
    return Transcript(
        source="x.txt",
        fingerprint="f" * 64,
        metadata=CallMetadata(call_id="x", **meta),  # type: ignore[arg-type]
        turns=[Turn(speaker=s, text=t) for s, t in turns],
    )


def test_every_turn_of_substance_is_in_a_moment_in_order() -> None:
    t = read_transcript(FIXTURES / "cold-storage-discovery.txt")
    moments = cut_moments(t)
    shown = [line for m in moments for line in _turns(m.text)]
    said = [(turn.speaker, substance(turn.text)) for turn in t.turns if substance(turn.text)]
    assert list(dict.fromkeys(shown)) == said
    assert all(1 <= len(_turns(m.text)) <= TURNS for m in moments)


def test_greetings_thanks_and_goodbyes_never_make_it_into_a_moment() -> None:
    t = _call(
        ("Rep (Lumen Dock)", "Hi Dana, thanks for making the time. How do carriers book a door today?"),
        ("Dana", "Happy to. By phone, and half the time the spreadsheet is wrong, so trucks wait two hours."),
        ("Rep (Lumen Dock)", "That is exactly what the carrier portal fixes."),
        ("Dana", "Great. Thanks. Bye."),
        account="Polar Freeze",
    )
    text = "\n".join(m.text for m in cut_moments(t))
    assert "thanks for making the time" not in text and "Bye" not in text and "Great" not in text
    assert "How do carriers book a door today?" in text and "spreadsheet is wrong" in text


def test_the_prospect_is_the_speaker_from_the_account_and_everyone_else_is_us() -> None:
    t = _call(
        ("Priya", "What does a bad day look like?"),
        ("Tom", "Six trucks at the gate."),
        account="Pinecrest Cold Storage",
        participants={"Priya": "AE, Lumen Dock", "Tom": "VP Operations, Pinecrest Cold Storage"},
    )
    assert sides(t) == {"Priya": Side.seller, "Tom": Side.prospect}
    assert set(sides(_call(("A", "x"), ("B", "y"))).values()) == {Side.unknown}


def test_kinds_read_the_opening_exchange() -> None:
    prospect, seller = Side.prospect, Side.seller
    cases: list[tuple[list[tuple[Side, str]], str]] = [
        (
            [(prospect, "Can you just send me an email?"), (seller, "I can. What should be in it?")],
            MomentKind.objection,
        ),
        ([(prospect, "We already use Opendock."), (seller, "What does it do well?")], "competitor"),
        ([(prospect, "What does this cost?"), (seller, "We price per door per month.")], "pricing"),
        ([(seller, "Does Tuesday at ten work?"), (prospect, "It works. Send the invite.")], "next_step"),
        (
            [(prospect, "I'm not sure IT will approve it."), (seller, "Let's bring them in early.")],
            "objection",
        ),
        ([(prospect, "Does it work with SAP EWM?"), (seller, "Yes, through a standard connector.")], "question"),
        ([(seller, "What happens at the gate?"), (prospect, "Drivers wait and we pay detention.")], "pain"),
        ([(seller, "Who else weighs in?"), (prospect, "Our GM and the site lead.")], "discovery"),
        ([(seller, "Here is the yard map for your site."), (prospect, "I see the doors.")], "talk_track"),
    ]
    for turns, kind in cases:
        assert label(turns) == MomentKind(kind), turns


def test_every_moment_carries_the_call_metadata_kind_speakers_and_times() -> None:
    t = read_transcript(FIXTURES / "tpl-objection.vtt")
    moments = cut_moments(t, max_chars=300)
    for m in moments:
        meta = m.metadata
        assert (meta["call_id"], meta["account"], meta["industry"], meta["outcome"], meta["date"]) == (
            "fx-3pl-objection",
            "Sierra Crossdock",
            "Third-Party Logistics",
            "lost",
            "2026-05-02",
        )
        assert meta["industry_key"] == "third_party_logistics" and meta["persona_key"] == "logistics_leader"
        assert meta["kind"] in {k.value for k in MomentKind}
        assert meta["source"].endswith("tpl-objection.vtt") and meta["call_sha"] == t.fingerprint
        assert meta["speakers"] and isinstance(meta["start"], float) and meta["end"] >= meta["start"]
        assert meta["first_turn"] <= meta["last_turn"]
        assert all(value is not None for value in meta.values())
    assert [m.metadata["moment"] for m in moments] == list(range(len(moments)))


def test_a_long_turn_is_split_at_sentence_ends() -> None:
    sentences = [f"Sentence number {i} is about dock doors and carriers." for i in range(40)]
    turn = Turn(speaker="Prospect", text=" ".join(sentences), start=1.0, end=90.0)
    t = Transcript(source="x.txt", fingerprint="f" * 64, metadata=CallMetadata(call_id="x"), turns=[turn])
    moments = cut_moments(t, max_chars=300)
    assert len(moments) > 1 and all(len(m.text) <= 300 for m in moments)
    pieces = list(dict.fromkeys(text for m in moments for _, text in _turns(m.text)))
    assert " ".join(pieces) == turn.text
    assert all(p.endswith(".") for p in pieces)


def test_ids_are_stable_short_and_distinct() -> None:
    t = read_transcript(FIXTURES / "cold-storage-discovery.txt")
    first, again = cut_moments(t), cut_moments(read_transcript(Path(t.source)))
    assert [m.id for m in first] == [m.id for m in again]
    assert len({m.id for m in first}) == len(first)
    assert all(m.id.startswith("C") and len(m.id) == 11 for m in first)


def test_a_moment_is_embedded_by_its_opening_exchange() -> None:
    t = read_transcript(FIXTURES / "cold-storage-discovery.txt")
    m = cut_moments(t)[0]
    assert m.opening == "\n".join(m.text.split("\n")[:2])


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
def test_moments_never_lose_or_reorder_words(turns: list[tuple[str, str]], limit: int) -> None:
    t = Transcript(
        source="p.txt",
        fingerprint="0" * 64,
        metadata=CallMetadata(call_id="p"),
        # each turn says something of its own, so a turn shown in two moments is recognised as one
        turns=[Turn(speaker=s, text=f"{' '.join(x.split())} turn{i}.") for i, (s, x) in enumerate(turns)],
    )
    moments = cut_moments(t, max_chars=limit)
    assert all(len(m.text) <= limit for m in moments)
    kept = [" ".join(substance(turn.text).split()) for turn in t.turns]
    shown: list[tuple[int, int]] = []  # (first turn, moment) pairs: moments follow the call
    for m in moments:
        shown.append((int(m.metadata["first_turn"]), int(m.metadata["moment"])))
    assert shown == sorted(shown)
    words = " ".join(w for w in kept if w).split()
    seen = " ".join(dict.fromkeys(text for m in moments for _, text in _turns(m.text))).split()
    assert seen == words
    assert MAX_CHARS <= 1000
