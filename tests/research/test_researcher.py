from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

from sqlalchemy import func, select

from agent.research.researcher import research_account
from agent.store.tables import LlmCall
from agent.workspace import Workspace
from tests.conftest import make_workspace, scripted
from tests.helpers import account, import_demo


def llm_calls(ws: Workspace) -> int:
    with ws.store.transaction() as s:
        return s.scalar(select(func.count()).select_from(LlmCall)) or 0


def test_every_brief_item_cites_an_existing_fact(ws: Workspace, tmp_path: Path) -> None:
    import_demo(ws, tmp_path, ["reno-freight.example"])
    brief, made = research_account(ws, account(ws, "reno-freight.example").id)
    assert made and brief.made_by == "rules"
    ids = {f.id for f in brief.facts}
    cited = [
        *brief.summary.fact_ids,
        *(i for p in brief.pains for i in p.fact_ids),
        *(t.fact_id for t in brief.triggers),
    ]
    assert cited and set(cited) <= ids
    kinds = {t.kind for t in brief.triggers}
    assert {"funding", "expansion"} <= kinds
    assert {f.source_kind for f in brief.facts} >= {"crm", "news"}


def test_unchanged_sources_are_not_researched_again(tmp_path: Path) -> None:
    summary = {"summary": "Reno Freight Systems runs cross-docks in Nevada.", "fact_ids": ["F1"]}
    ws = make_workspace(tmp_path, scripted(summary, summary), research_with_model=True)
    import_demo(ws, tmp_path, ["reno-freight.example"])
    account_id = account(ws, "reno-freight.example").id
    first, made = research_account(ws, account_id)
    again, made_again = research_account(ws, account_id)
    assert made and not made_again and again == first
    assert llm_calls(ws) == 1


def test_model_summary_is_kept_only_when_its_facts_back_it(tmp_path: Path) -> None:
    invented = {
        "summary": "Reno Freight Systems raised $90 million from Globex Partners.",
        "fact_ids": ["F1"],
    }
    ws = make_workspace(tmp_path, scripted(invented), research_with_model=True)
    import_demo(ws, tmp_path, ["reno-freight.example"])
    brief, _ = research_account(ws, account(ws, "reno-freight.example").id)
    assert "90" not in brief.summary.text and "Globex" not in brief.summary.text
    assert any("not in its cited facts" in f for f in brief.flags)


def test_backed_model_summary_is_used(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, scripted(), research_with_model=False)
    import_demo(ws, tmp_path, ["reno-freight.example"])
    facts = research_account(ws, account(ws, "reno-freight.example").id)[0].facts
    funding = next(f for f in facts if "Series C" in f.text)
    answer = {
        "summary": "Reno Freight Systems announced a $42 million Series C funding round.",
        "fact_ids": [funding.id],
    }
    ws2 = make_workspace(tmp_path, scripted(answer), research_with_model=True)
    brief, _ = research_account(ws2, account(ws2, "reno-freight.example").id)
    assert brief.summary.text == answer["summary"] and brief.made_by == "rules+scripted:test"


def test_a_failing_model_leaves_the_rules_brief(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, scripted("nonsense", "still nonsense"), research_with_model=True)
    import_demo(ws, tmp_path, ["reno-freight.example"])
    brief, _ = research_account(ws, account(ws, "reno-freight.example").id)
    assert brief.summary.fact_ids and any("model brief failed" in f for f in brief.flags)
    with ws.store.transaction() as s:
        assert s.scalar(select(LlmCall.outcome)) == "invalid"


def test_prompt_injection_in_a_source_is_flagged_and_never_a_fact(ws: Workspace, tmp_path: Path) -> None:
    import_demo(ws, tmp_path, ["great-plains-cold.example"])
    brief, _ = research_account(ws, account(ws, "great-plains-cold.example").id)
    assert any(f.startswith("injection_suspected") for f in brief.flags)
    assert not any("instructions" in f.text.lower() for f in brief.facts)


class _Site(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = (
            b"<html><head><title>Acme</title></head><body><p>Acme Logistics opened a third cross-dock "
            b"in Reno in October 2026.</p></body></html>"
        )
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_company_website_is_fetched_only_when_the_network_is_allowed(tmp_path: Path) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        csv = tmp_path / "a.csv"
        csv.write_text(f"domain,name,website\nacme.example,Acme,http://127.0.0.1:{server.server_port}\n")
        for allowed in (False, True):
            ws = make_workspace(tmp_path / str(allowed), allow_network=allowed)
            from agent.accounts.importer import import_file

            import_file(ws.store, csv)
            brief, _ = research_account(ws, account(ws, "acme.example").id)
            fetched = [f for f in brief.facts if f.source_kind == "website"]
            assert bool(fetched) is allowed
            if allowed:
                assert "third cross-dock" in fetched[0].text
    finally:
        server.shutdown()
