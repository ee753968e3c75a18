"""Each transcript format parsed into turns with speakers, timestamps and metadata; bad files named by line."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.calls.transcript import read_transcript
from agent.errors import InputError

FIXTURES = Path(__file__).parent / "fixtures"


def test_text_with_front_matter_and_timestamps() -> None:
    t = read_transcript(FIXTURES / "cold-storage-discovery.txt")
    m = t.metadata
    assert (m.call_id, m.account, m.industry, m.persona, m.stage, m.outcome, m.date) == (
        "fx-cold-discovery",
        "Polar Freeze Warehousing",
        "Cold Storage",
        "operations_leader",
        "discovery",
        "won",
        "2026-03-14",
    )
    assert [turn.speaker for turn in t.turns[:2]] == ["Jordan Blake (Lumen Dock)", "Priya Natarajan"]
    assert len(t.turns) == 8
    # A line without a speaker continues the turn before it; the next stamp ends it.
    assert t.turns[1].text.endswith("my receiving team is scrambling.")
    assert (t.turns[1].start, t.turns[1].end, t.turns[1].line) == (19.0, 62.0, 12)


def test_webvtt_with_voice_tags_and_sidecar() -> None:
    t = read_transcript(FIXTURES / "tpl-objection.vtt")
    assert t.metadata.call_id == "fx-3pl-objection" and t.metadata.outcome == "lost"
    assert t.metadata.industry == "Third-Party Logistics"
    assert [turn.speaker for turn in t.turns] == ["Sam Ortiz", "Alex Chen", "Sam Ortiz", "Alex Chen"]
    # Two cues in a row from one speaker are one turn, from the first cue's start to the last one's end.
    assert (t.turns[1].start, t.turns[1].end) == (8.0, 20.0)
    assert "Manhattan and book against the same door calendar" in t.turns[1].text
    assert (
        t.turns[2].text
        == "Our IT team will say the integration takes a year. That is what happened with the last project."
    )


def test_srt_with_name_prefixes() -> None:
    t = read_transcript(FIXTURES / "food-pricing.srt")
    assert t.metadata.persona == "Finance Leader" and t.metadata.date == "2026-06-20"
    assert [turn.speaker for turn in t.turns] == ["Maria Lopez", "Chris Park", "Maria Lopez", "Chris Park"]
    assert (t.turns[0].start, t.turns[0].end) == (0.5, 6.0)
    assert t.turns[3].text.endswith("the budget conversation changes.")


def test_json_turns_with_seconds_and_clock_times() -> None:
    t = read_transcript(FIXTURES / "mfg-no-decision.json")
    assert t.metadata.outcome == "no-decision" and t.metadata.segment == "enterprise"
    assert [turn.speaker for turn in t.turns] == ["Taylor Reed", "Morgan Ellis"] * 2
    assert (t.turns[2].start, t.turns[2].end, t.turns[3].start) == (31.0, 40.0, 41.0)


def test_sidecar_changes_the_fingerprint(tmp_path: Path) -> None:
    for name in ("food-pricing.srt", "food-pricing.meta.yaml"):
        (tmp_path / name).write_bytes((FIXTURES / name).read_bytes())
    before = read_transcript(tmp_path / "food-pricing.srt").fingerprint
    (tmp_path / "food-pricing.meta.yaml").write_text("call_id: fx-food-pricing\noutcome: lost\n")
    after = read_transcript(tmp_path / "food-pricing.srt")
    assert after.fingerprint != before and after.metadata.outcome == "lost"


def test_call_id_defaults_to_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "quick-call.txt"
    path.write_text("Rep: Hello there.\nProspect: Not interested.\n")
    assert read_transcript(path).metadata.call_id == "quick-call"


VTT_NO_TIMING = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\n<v A>Hi.\n\n2\n<v B>Hello.\n"
SRT_NO_TIMING = "1\n00:00:01,000 --> 00:00:02,000\nA: Hi.\n\n2\n00:00:03 -> 00:00:04\nB: Hello.\n"


@pytest.mark.parametrize(
    ("name", "content", "where", "words"),
    [
        ("no-timing.vtt", VTT_NO_TIMING, "no-timing.vtt:8:", "timing line"),
        ("no-header.vtt", "1\n00:00:01.000 --> 00:00:02.000\n<v A>Hi.\n", "no-header.vtt:1:", "WEBVTT"),
        ("no-timing.srt", SRT_NO_TIMING, "no-timing.srt:6:", "timing line"),
        (
            "broken.json",
            '{"metadata": {},\n "turns": [\n  {"speaker": "A", "text": "x"},\n]}',
            "broken.json:4:",
            "not JSON",
        ),
        (
            "turn.json",
            '{"turns": [\n  {"speaker": "A", "text": "x"},\n  {"text": "no speaker"}\n]}',
            "turn.json:3:",
            "turns[1]",
        ),
        ("nobody.txt", "---\ncall_id: x\n---\nhello there, no speaker here\n", "nobody.txt:4:", "no speaker"),
        ("front.txt", "---\ncall_id: x\noutcome: [won\n---\nA: hi\n", "front.txt:", "invalid YAML"),
        ("open.txt", "---\ncall_id: x\nA: hi\n", "open.txt:1:", "never closed"),
        ("outcome.txt", "---\ncall_id: x\noutcome: maybe\n---\nA: hi\n", "outcome.txt:3: outcome:", "not one of"),
        (
            "outcome.json",
            '{"metadata": {\n  "outcome": "maybe"},\n "turns": [{"speaker": "A", "text": "hi"}]}',
            "outcome.json:2: outcome:",
            "not one of",
        ),
        ("empty.txt", "", "empty.txt:", "no speaker turns"),
    ],
)
def test_bad_files_are_named_by_line(tmp_path: Path, name: str, content: str, where: str, words: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(InputError) as caught:
        read_transcript(path)
    message = str(caught.value)
    assert message.startswith(str(tmp_path / where)) and words in message
    assert "\n" not in message


def test_broken_sidecar_yaml_is_named_by_line(tmp_path: Path) -> None:
    (tmp_path / "c.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nA: Hi.\n")
    (tmp_path / "c.meta.yaml").write_text("call_id: c\nindustry: [cold storage\npersona: ops\n")
    with pytest.raises(InputError) as caught:
        read_transcript(tmp_path / "c.srt")
    assert str(caught.value).startswith(f"{tmp_path / 'c.meta.yaml'}:")
    assert caught.value.line in (2, 3) and "invalid YAML" in str(caught.value)


def test_a_bad_sidecar_value_is_named_by_its_line(tmp_path: Path) -> None:
    (tmp_path / "c.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nA: Hi.\n")
    (tmp_path / "c.meta.yaml").write_text("call_id: c\nindustry: warehousing\noutcome: pending\n")
    with pytest.raises(InputError) as caught:
        read_transcript(tmp_path / "c.srt")
    assert str(caught.value).startswith(f"{tmp_path / 'c.meta.yaml'}:3: outcome: 'pending' is not one of")
