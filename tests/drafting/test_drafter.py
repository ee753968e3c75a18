from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from agent.campaign import load_campaign
from agent.pipeline import run_campaign
from agent.research.researcher import latest_brief
from agent.store.tables import Enrollment, LlmCall, OutboxMessage, OutboxState, Review
from agent.workspace import Workspace
from tests.conftest import EXAMPLES, function_model, make_workspace
from tests.helpers import DEMO_DAY, account, run_demo

SPEC = load_campaign(EXAMPLES / "campaign.yaml")
THREE = ["reno-freight.example", "harvest-lane.example", "smilepoint-dental.example"]


def drafts(ws: Workspace) -> list[OutboxMessage]:
    with ws.store.transaction() as s:
        rows = s.scalars(select(OutboxMessage).order_by(OutboxMessage.enrollment_id, OutboxMessage.step_number)).all()
        for row in rows:
            assert row.contact is not None
            _ = row.priority, row.contact.account_id
        s.expunge_all()
        return list(rows)


def test_template_path_drafts_every_step_with_cited_claims(ws: Workspace, tmp_path: Path) -> None:
    summary = run_demo(ws, tmp_path, THREE)
    assert summary.enrolled and summary.drafted == summary.enrolled and not summary.errors
    rows = drafts(ws)
    assert len(rows) == 4 * summary.enrolled
    for draft in rows:
        assert draft.made_by == "template"
        assert draft.contact is not None
        brief = latest_brief(ws, draft.contact.account_id)
        assert brief is not None
        for claim in draft.claims:
            if claim["fact_id"] != "campaign":
                fact = brief.fact(claim["fact_id"])
                assert fact is not None and fact.source_kind not in ("notes", "crm")


def test_review_policy_auto_approves_only_high_priority_drafts_that_pass(ws: Workspace, tmp_path: Path) -> None:
    run_demo(ws, tmp_path, THREE)
    threshold = SPEC.review.auto_approve_min_priority
    assert threshold is not None
    with ws.store.transaction() as s:
        for draft in s.scalars(select(OutboxMessage)):
            passed = all(c["ok"] for c in draft.checks)
            expected = (
                OutboxState.flagged
                if not passed
                else OutboxState.approved
                if draft.priority >= threshold
                else OutboxState.pending_review
            )
            assert draft.state == expected
            reviews = s.scalars(select(Review).where(Review.outbox_id == draft.id)).all()
            assert [r.action for r in reviews] == (["auto_approve"] if expected == OutboxState.approved else [])


def test_a_second_run_resumes_without_redoing_work(ws: Workspace, tmp_path: Path) -> None:
    run_demo(ws, tmp_path, THREE)
    before = [(d.id, d.version) for d in drafts(ws)]
    again = run_campaign(ws, EXAMPLES / "campaign.yaml", today=DEMO_DAY)
    assert again.researched == 0 and again.research_skipped == 3 and again.drafted == 0 and again.enrolled == 0
    assert [(d.id, d.version) for d in drafts(ws)] == before


def _writer(bad_first: bool) -> Any:
    """A model that writes the sequence from the hooks in its prompt, inventing a figure first if told."""
    state = {"calls": 0}

    def answer(messages: list[Any]) -> dict[str, Any]:
        state["calls"] += 1
        prompt = messages[-1].content
        hook_id, hook_text = re.search(
            r"\[(F\d+)\] \(.*?\) <untrusted[^>]*>\n(.*?)\n</untrusted>", prompt, re.DOTALL
        ).groups()  # type: ignore[union-attr]
        # the news in a few words of the writer's own (never the source's sentence)
        opener = f"Congrats on the news about {' '.join(hook_text.split()[:5])}."
        if bad_first and state["calls"] == 1:
            opener = "I read that you just raised $900 million from Globex Partners."
        body = (
            f"Hi there,\n\n{opener} When volume grows, trucks wait longer at the gate. We let carriers "
            "book their own dock times and show your team every door live, so trucks wait less and fees fall. "
            "Would a 20-minute call next week be useful?\n\nMaya"
        )
        linkedin = "Hi, I work with operations teams on dock scheduling and truck detention. Glad to connect."
        call = (
            "Call the prospect. Open with the dock scheduling question. Ask how carriers book today and "
            "what detention cost last quarter."
        )
        claim = [{"text": opener, "fact_id": hook_id}]
        return {
            "steps": [
                {"subject": "Trucks at your gate", "body": body, "claims": claim},
                {"subject": None, "body": linkedin, "claims": []},
                {
                    "subject": "Detention fees",
                    "body": body.replace(opener, "Trucks wait, and fees add up."),
                    "claims": [],
                },
                {"subject": None, "body": call, "claims": []},
            ]
        }

    return answer


def test_model_path_writes_the_sequence_in_one_call_per_contact(tmp_path: Path) -> None:
    handle, chat = function_model(_writer(bad_first=False))
    ws = make_workspace(tmp_path, handle)
    summary = run_demo(ws, tmp_path, ["reno-freight.example"])
    rows = drafts(ws)
    assert len(chat.calls) == summary.enrolled  # one drafting call per contact, all steps at once
    assert all(d.made_by == "model:function:test" for d in rows)
    first = rows[0]
    assert first.claims and first.claims[0]["fact_id"].startswith("F") and first.state != OutboxState.flagged
    with ws.store.transaction() as s:
        calls = s.scalars(select(LlmCall).where(LlmCall.task == "draft_sequence")).all()
        assert len(calls) == summary.enrolled and all(c.contact_id and c.campaign_id for c in calls)


def test_a_draft_failing_its_checks_is_rewritten_with_the_failures(tmp_path: Path) -> None:
    handle, chat = function_model(_writer(bad_first=True))
    ws = make_workspace(tmp_path, handle)
    run_demo(ws, tmp_path, ["reno-freight.example"])
    retry_prompt = chat.calls[1][-1].content
    assert "failed these checks" in retry_prompt and "900" in retry_prompt
    assert not any("900 million" in d.body for d in drafts(ws))


def test_steps_the_model_cannot_fix_fall_back_to_the_template(tmp_path: Path) -> None:
    handle, _ = function_model(
        lambda messages: {
            "steps": [{"subject": "Hi", "body": "Congrats on raising $900 million, [First Name]!", "claims": []}] * 4
        }
    )
    ws = make_workspace(tmp_path, handle)
    run_demo(ws, tmp_path, ["reno-freight.example"])
    rows = drafts(ws)
    assert rows and all(d.made_by == "template" for d in rows)


def test_contacts_not_enrolled_say_why(ws: Workspace, tmp_path: Path) -> None:
    summary = run_demo(ws, tmp_path, THREE)
    # the dental chain is outside the ICP's required industries; its ops director is not written to
    assert summary.not_enrolled.get("outside the ICP (industry Health Care)") == 2
    with ws.store.transaction() as s:
        enrolled = s.scalars(select(Enrollment)).all()
        assert enrolled and all(e.contact.account_id != account(ws, "smilepoint-dental.example").id for e in enrolled)
