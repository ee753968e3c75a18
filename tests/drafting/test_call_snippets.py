"""Drafts draw on past calls (real embeddings, embedded Chroma) and say which ones."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from agent import review
from agent.calls.ingest import ingest
from tests.conftest import EXAMPLES, function_model, make_workspace
from tests.helpers import HUMAN_REVIEW, campaign_variant, run_demo


def writer(messages: list[Any]) -> dict[str, Any]:
    prompt = messages[1].content
    snippet_ids = re.findall(r"\[(C[0-9a-f]+)\] \(won, \w+\)", prompt)
    body = (
        "Hi there,\n\nTeams running busy docks often lose hours at the gate waiting for a free door. Lumen Dock "
        "lets carriers book their own dock appointments and shows every door live, so detention fees fall. "
        "Would a 20-minute call next week be useful?\n\nMaya"
    )
    short = "Hi, I work with operations teams on dock scheduling and truck detention. Glad to connect."
    call = "Call the prospect. Ask how carriers book dock appointments today and what detention cost last quarter."
    return {
        "steps": [
            {"subject": "Trucks at the gate", "body": body, "claims": []},
            {"subject": None, "body": short, "claims": []},
            {"subject": "Detention fees", "body": body, "claims": []},
            {"subject": None, "body": call, "claims": []},
        ],
        "drew_on": snippet_ids[:1],
    }


def test_model_drafts_record_the_snippets_they_drew_on(tmp_path: Path) -> None:
    handle, chat = function_model(writer)
    ws = make_workspace(tmp_path, handle)
    report = ingest(ws.settings, EXAMPLES / "calls")
    assert report.calls_added >= 30
    run_demo(ws, tmp_path, ["reno-freight.example"], campaign=campaign_variant(tmp_path, HUMAN_REVIEW))
    prompt = chat.calls[0][1].content
    offered = re.findall(r"\[(C[0-9a-f]+)\] \(won, \w+\)", prompt)
    assert offered, "the prompt offers winning past-call snippets"
    views = [v for v in review.list_items(ws, states=[]) if v.made_by.startswith("model:")]
    assert views
    for view in views:
        # the model drew on the first (most similar) snippet its prompt offered
        used = [s["id"] for s in view.call_snippets if s["drew_on"]]
        assert used == [view.call_snippets[0]["id"]]
        assert all(s["outcome"] == "won" and s["text"] for s in view.call_snippets)


def test_template_call_tasks_quote_won_calls_for_the_rep_but_emails_cannot(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)  # the default scripted model is no writer: templates
    ingest(ws.settings, EXAMPLES / "calls")
    run_demo(ws, tmp_path, ["reno-freight.example"], campaign=campaign_variant(tmp_path, HUMAN_REVIEW))
    views = review.list_items(ws, states=[])
    assert all(v.made_by == "template" and v.call_snippets for v in views)
    for view in views:
        moments = [s for s in view.call_snippets if s["kind"] != "proof_point"]
        quoted = [s for s in moments if s["drew_on"]]
        if view.channel == "call":  # the rep's call task quotes what won similar deals
            assert quoted and all(s["account"] in view.body for s in quoted) and not view.failed_checks
            # asked for by kind: how buyers put the pain, and the objections with the answers that won
            assert {s["kind"] for s in quoted} & {"pain"}
            assert {s["kind"] for s in quoted} & {"objection", "competitor", "pricing", "question"}
        else:
            assert not quoted
    # the follow-up email cites the proof point that fits a 3PL's operations leader, and says why
    follow_up = next(v for v in views if v.step == 3)
    [proof] = [s for s in follow_up.call_snippets if s["kind"] == "proof_point"]
    assert proof["text"].startswith("Keystone Fulfillment") and proof["text"] in follow_up.body
    assert proof["outcome"].startswith("matched on industry")
    email = next(v for v in views if v.channel == "email")
    other = next(s for s in views[0].call_snippets if s["kind"] != "proof_point")["account"]
    problems = review.edit(
        ws,
        email.id,
        body=email.body.replace("Best,", f"{other} saw results.\n\nBest,"),
        subject=email.subject,
        reviewer="sam",
    )
    assert any(p.startswith("claims") and other.split()[0] in p for p in problems)


def test_no_calls_no_snippets_and_no_store_opened(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    run_demo(ws, tmp_path, ["reno-freight.example"], campaign=campaign_variant(tmp_path, HUMAN_REVIEW))
    # no past calls: the only context a draft records is the proof point it cites
    assert all(s["kind"] == "proof_point" for v in review.list_items(ws, states=[]) for s in v.call_snippets)
    assert not (ws.settings.workspace / "chroma").exists()
