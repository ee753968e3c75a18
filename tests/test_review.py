from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from agent import review
from agent.errors import UserError
from agent.store.tables import Event, OutboxMessage, OutboxState
from agent.workspace import Workspace
from tests.helpers import HUMAN_REVIEW, campaign_variant, run_demo


def pending(ws: Workspace) -> list[review.ReviewItem]:
    return review.list_items(ws, states=[OutboxState.pending_review])


@pytest.fixture
def queue(ws: Workspace, tmp_path: Path) -> Workspace:
    run_demo(
        ws,
        tmp_path,
        ["reno-freight.example", "harvest-lane.example"],
        campaign=campaign_variant(tmp_path, HUMAN_REVIEW),
    )
    assert pending(ws)
    return ws


def state(ws: Workspace, draft_id: int) -> str:
    with ws.store.transaction() as s:
        return s.get_one(OutboxMessage, draft_id).state


def test_views_show_the_sources_behind_claims(queue: Workspace) -> None:
    views = review.list_items(queue, states=[])
    with_claims = [v for v in views if any(c["fact_id"] != "campaign" for c in v.claims)]
    assert with_claims and all(v.sources for v in with_claims)
    assert all(s["text"] for v in with_claims for s in v.sources)
    assert [v.priority for v in views] == sorted((v.priority for v in views), reverse=True)


def test_approve_and_reject_are_kept_in_the_history(queue: Workspace) -> None:
    first, second = pending(queue)[:2]
    review.approve(queue, [first.id], "sam")
    review.reject(queue, second.id, "too generic for a VP", "sam")
    assert state(queue, first.id) == OutboxState.approved and state(queue, second.id) == OutboxState.rejected
    assert [h["action"] for h in review.history(queue, first.id)] == ["approve"]
    assert review.history(queue, second.id)[0]["reason"] == "too generic for a VP"


def test_approval_is_all_or_nothing(queue: Workspace) -> None:
    first, second = pending(queue)[:2]
    review.reject(queue, second.id, "no", "sam")
    with pytest.raises(UserError):
        review.approve(queue, [first.id, second.id], "sam")
    assert state(queue, first.id) == OutboxState.pending_review


def test_a_rejection_needs_a_reason(queue: Workspace) -> None:
    with pytest.raises(UserError):
        review.reject(queue, pending(queue)[0].id, "  ", "sam")


def test_an_edit_reruns_the_checks(queue: Workspace) -> None:
    view = next(v for v in pending(queue) if v.channel == "email")
    assert (
        review.edit(queue, view.id, body=view.body.replace("Best,", "Thanks,"), subject=view.subject, reviewer="sam")
        == []
    )
    assert state(queue, view.id) == OutboxState.pending_review
    problems = review.edit(
        queue,
        view.id,
        body=view.body + "\n\nP.S. Congrats on your $300 million raise!",
        subject=view.subject,
        reviewer="sam",
    )
    assert any(p.startswith("claims") for p in problems)
    assert state(queue, view.id) == OutboxState.flagged
    with pytest.raises(UserError):  # a flagged draft cannot be approved until it is fixed
        review.approve(queue, [view.id], "sam")


def test_regenerate_writes_a_new_version(queue: Workspace) -> None:
    view = pending(queue)[0]
    draft = review.regenerate(queue, view.id, "sam")
    assert draft.version == view.version + 1 and draft.state == OutboxState.pending_review
    assert [h["action"] for h in review.history(queue, view.id)] == ["regenerate"]


def test_bulk_approval_by_campaign_and_priority(queue: Workspace) -> None:
    views = pending(queue)
    floor = sorted(v.priority for v in views)[len(views) // 2]
    approved = review.bulk_approve(queue, campaign="q4-dock-ops", reviewer="sam", min_priority=floor)
    assert set(approved) == {v.id for v in views if v.priority >= floor}
    with queue.store.transaction() as s:
        assert s.scalar(select(Event).where(Event.kind == "outbox_approve")) is not None


def test_the_interactive_queue_approves_rejects_and_quits(queue: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from agent.cli.app import app

    monkeypatch.setenv("SDR_WORKSPACE", str(queue.settings.workspace))
    monkeypatch.setenv("SDR_SOURCES_DIR", str(queue.settings.sources_dir))
    first, second = pending(queue)[:2]
    result = CliRunner().invoke(app, ["review"], input="a\nr\ntoo long for a first touch\nq\n")
    assert result.exit_code == 0, result.output
    assert state(queue, first.id) == OutboxState.approved and state(queue, second.id) == OutboxState.rejected
    assert review.history(queue, second.id)[0]["reason"] == "too long for a first touch"
    assert "2 of" in result.output


def test_a_draft_is_shown_as_written_whatever_brackets_its_sources_carry(
    queue: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from agent.cli.app import app

    draft_id = pending(queue)[0].id
    with queue.store.transaction() as s:  # as if a web page had put it there
        s.get_one(OutboxMessage, draft_id).body += "\n[/] [link=http://evil.example]click[/link]"
    monkeypatch.setenv("SDR_WORKSPACE", str(queue.settings.workspace))
    result = CliRunner().invoke(app, ["review", "show", str(draft_id)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "[/] [link=http://evil.example]click[/link]" in result.output
