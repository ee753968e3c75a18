"""Ingest into a real Chroma store with the real embedding model, then retrieve with filters and the floor."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agent.calls.index import call_index
from agent.calls.ingest import IngestReport, ingest
from agent.calls.moments import cut_moments
from agent.calls.retrieve import cited, find_snippets
from agent.calls.transcript import read_transcript
from agent.settings import load_settings
from agent.workspace import Workspace

FIXTURES = Path(__file__).parent / "fixtures"
CALLS = {"fx-cold-discovery", "fx-3pl-objection", "fx-food-pricing", "fx-mfg-stall"}


def new_workspace(root: Path, **settings: object) -> Workspace:
    return Workspace(load_settings(workspace=root / "ws", **settings))


def stored(ws: Workspace) -> dict[str, dict]:
    found = call_index(ws.settings).store.get(include=["metadatas"])
    return dict(zip(found["ids"], found["metadatas"], strict=True))


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, IngestReport]:
    ws = new_workspace(tmp_path_factory.mktemp("calls"))
    return ws, ingest(ws.settings, FIXTURES)


def test_ingest_stores_every_moment_with_its_metadata(indexed: tuple[Workspace, IngestReport]) -> None:
    ws, report = indexed
    expected = {
        c.id: c
        for p in FIXTURES.iterdir()
        if not p.name.endswith(".meta.yaml")
        for c in cut_moments(read_transcript(p))
    }
    assert (report.files, report.calls_added, report.moments_added, report.rejected) == (4, 4, len(expected), [])
    chunks = stored(ws)
    assert chunks.keys() == expected.keys()
    assert {m["call_id"] for m in chunks.values()} == CALLS
    for chunk_id, meta in chunks.items():
        assert meta == expected[chunk_id].metadata


def test_ingesting_again_is_a_no_op(indexed: tuple[Workspace, IngestReport]) -> None:
    ws, first = indexed
    before = stored(ws)
    again = ingest(ws.settings, FIXTURES)
    assert (again.calls_added, again.calls_skipped, again.moments_added, again.moments_skipped) == (
        0,
        4,
        0,
        first.moments_added,
    )
    assert stored(ws) == before


def test_a_byte_identical_copy_under_another_name_is_recognised(
    indexed: tuple[Workspace, IngestReport], tmp_path: Path
) -> None:
    ws, _ = indexed
    before = stored(ws)
    copy = tmp_path / "renamed-copy.json"
    shutil.copy(FIXTURES / "mfg-no-decision.json", copy)
    report = ingest(ws.settings, copy)
    assert (report.calls_added, report.calls_skipped, report.moments_added) == (0, 1, 0)
    assert report.duplicates == [f"{copy}: same content as fx-mfg-stall ({FIXTURES / 'mfg-no-decision.json'})"]
    assert stored(ws) == before


def test_a_folder_with_a_copy_ingests_the_call_once(tmp_path: Path) -> None:
    folder = tmp_path / "calls"
    folder.mkdir()
    for name in ("food-pricing.srt", "food-pricing.meta.yaml"):
        shutil.copy(FIXTURES / name, folder / name)
        shutil.copy(FIXTURES / name, folder / name.replace("food-pricing", "zz-copy"))
    ws = new_workspace(tmp_path)
    report = ingest(ws.settings, folder)
    assert (report.calls_added, report.calls_skipped) == (1, 1) and len(report.duplicates) == 1
    assert {m["call_id"] for m in stored(ws).values()} == {"fx-food-pricing"}


def test_a_changed_transcript_replaces_its_old_moments(tmp_path: Path) -> None:
    path = tmp_path / "call.txt"
    path.write_text("---\ncall_id: changing\n---\nRep: How do carriers book today?\nBuyer: By phone, mostly.\n")
    ws = new_workspace(tmp_path)
    ingest(ws.settings, path)
    old = set(stored(ws))
    path.write_text(path.read_text().replace("By phone, mostly.", "By email and a spreadsheet."))
    report = ingest(ws.settings, path)
    assert (report.calls_added, report.calls_replaced) == (0, 1)
    now = stored(ws)
    assert not old & set(now) and len(now) == 1
    assert "spreadsheet" in call_index(ws.settings).store.get(ids=list(now))["documents"][0]


def test_a_bad_file_is_rejected_with_its_line_and_leaves_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "calls"
    folder.mkdir()
    shutil.copy(FIXTURES / "mfg-no-decision.json", folder / "good.json")
    bad = folder / "bad.vtt"
    bad.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v Ann>We book by phone.\n\n2\n<v Bo>No timing here.\n")
    (folder / "bad.meta.yaml").write_text("call_id: bad-call\n")
    ws = new_workspace(tmp_path)
    report = ingest(ws.settings, folder)
    assert [str(e) for e in report.rejected] == [
        f"{bad}:7: expected a timing line like '00:00:01.000 --> 00:00:04.000'"
    ]
    assert {m["call_id"] for m in stored(ws).values()} == {"fx-mfg-stall"}


def test_broken_sidecar_yaml_rejects_its_transcript(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "food-pricing.srt", tmp_path / "c.srt")
    (tmp_path / "c.meta.yaml").write_text("call_id: c\noutcome: won\nindustry: [oops\n")
    ws = new_workspace(tmp_path)
    report = ingest(ws.settings, tmp_path / "c.srt")
    assert len(report.rejected) == 1 and str(report.rejected[0]).startswith(f"{tmp_path / 'c.meta.yaml'}:")
    assert stored(ws) == {}


@pytest.mark.parametrize(
    ("query", "filters", "field", "value"),
    [
        ("carriers waiting at the gate and detention fees", {"outcome": "won"}, "outcome", "won"),
        ("nothing new is approved during the SAP rollout", {"outcome": "No Decision"}, "outcome", "no-decision"),
        (
            "we already have a yard module in our WMS",
            {"industry": "third party logistics"},
            "industry_key",
            "third_party_logistics",
        ),
        ("the quote is over our budget", {"persona": "Finance Leader"}, "persona_key", "finance_leader"),
    ],
)
def test_filters_keep_to_the_segment(
    indexed: tuple[Workspace, IngestReport], query: str, filters: dict, field: str, value: str
) -> None:
    ws, _ = indexed
    snippets = find_snippets(ws, query, **filters)
    assert snippets and all(s.metadata[field] == value and not s.relaxed for s in snippets)
    unfiltered = find_snippets(ws, query, k=10)
    assert {s.id for s in snippets} == {s.id for s in unfiltered if s.metadata[field] == value}


def test_persona_is_relaxed_when_nothing_matches_and_says_so(indexed: tuple[Workspace, IngestReport]) -> None:
    ws, _ = indexed
    snippets = find_snippets(
        ws, "carriers book appointments by phone and email", industry="Cold Storage", persona="chief_revenue_officer"
    )
    assert snippets and all(s.relaxed == ["persona"] and s.metadata["industry"] == "Cold Storage" for s in snippets)


def test_industry_is_relaxed_but_never_the_outcome(indexed: tuple[Workspace, IngestReport]) -> None:
    ws, _ = indexed  # no lost call in cold storage: the industry goes, the outcome stays
    snippets = find_snippets(
        ws, "our IT team says the integration will take a year", outcome="lost", industry="Cold Storage"
    )
    assert snippets and all(s.relaxed == ["industry"] and s.metadata["outcome"] == "lost" for s in snippets)


def test_the_floor_leaves_unrelated_questions_empty(indexed: tuple[Workspace, IngestReport]) -> None:
    ws, _ = indexed
    assert find_snippets(ws, "a recipe for sourdough bread with a crispy crust") == []
    related = find_snippets(ws, "detention fees we cannot dispute without arrival timestamps")
    assert "fx-cold-discovery" in {s.call_id for s in related}
    assert all(s.similarity >= ws.settings.calls_min_similarity for s in related)
    assert [s.similarity for s in related] == sorted((s.similarity for s in related), reverse=True)


def test_snippets_carry_citable_ids_text_and_call(indexed: tuple[Workspace, IngestReport]) -> None:
    ws, _ = indexed
    [snippet] = find_snippets(ws, "our quote is double the budget, finance books detention under freight", k=1)
    moment = next(m for m in cut_moments(read_transcript(FIXTURES / "food-pricing.srt")) if m.id == snippet.id)
    assert snippet.id.startswith("C") and len(snippet.id) == 11
    assert (snippet.call_id, snippet.text, snippet.speaker) == (
        "fx-food-pricing",
        moment.text,
        "Maria Lopez, Chris Park",
    )
    assert snippet.metadata["account"] == "Lakeside Grocers Supply" and snippet.metadata["start"] == 0.5


def test_cited_picks_the_snippets_a_draft_names(indexed: tuple[Workspace, IngestReport]) -> None:
    ws, _ = indexed
    snippets = find_snippets(ws, "carriers waiting at the gate, detention and the budget", k=3)
    assert len(snippets) >= 2
    draft = f"Teams like yours pay detention they cannot dispute [{snippets[1].id}]. (Not a citation: C{'0' * 9}.)"
    assert cited(draft, snippets) == [snippets[1]]
    assert cited("no sources here", snippets) == []
