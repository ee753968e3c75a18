"""The operators' dashboard: the figures `sdr status --json` gives, drawn as SVG charts on the server;
`sdr report --html` writes the same as one file that needs nothing else."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from typer.testing import CliRunner

from agent.cli.app import app as cli
from agent.clock import utcnow
from agent.desk.results import campaign_results
from agent.replies.tables import Reply
from agent.states import Origin, OutboxState
from agent.store.tables import Account, Campaign, MailboxPause, OutboxMessage
from agent.workspace import Workspace
from tests.desk.conftest import signed_in

INTENTS = ("interested", "not_interested", "out_of_office", "meeting_request")


@pytest.fixture
def results_ws(desk_ws: Workspace) -> Workspace:
    """The scene: every first step went out a week ago, and four contacts answered it in four ways; one
    account's industry is written like markup."""
    sent_at = utcnow() - timedelta(days=7)
    with desk_ws.store.transaction() as session:
        firsts = session.scalars(
            select(OutboxMessage).where(OutboxMessage.origin == Origin.sequence_step, OutboxMessage.step_number == 1)
        ).all()
        for row in firsts:
            row.state, row.sent_at = OutboxState.sent, sent_at
        for row, intent in zip(firsts, INTENTS, strict=False):
            session.add(
                Reply(
                    contact_id=row.contact_id,
                    campaign_id=row.campaign_id,
                    in_reply_to=row.id,
                    matched_by="in-reply-to",
                    from_address=row.to_address,
                    text="...",
                    received_at=sent_at + timedelta(days=1),
                    intent=intent,
                    decided_by="rule",
                    confidence=1.0,
                    analysis={},
                )
            )
        session.scalars(select(Account)).first().industry = "<b>Freight</b>"  # type: ignore[union-attr]
    return desk_ws


def _figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="([^"]+)" data-value="([^"]*)"', html))


def _status(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> dict:  # type: ignore[type-arg]
    monkeypatch.setenv("SDR_WORKSPACE", str(ws.settings.workspace))
    out = CliRunner().invoke(cli, ["status", "q4-dock-ops", "--json"])
    assert out.exit_code == 0, out.output
    return json.loads(out.output)["campaigns"][0]


def test_the_dashboard_shows_the_figures_of_sdr_status_as_charts(
    app: Starlette, results_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    html = signed_in(app, "olga").get("/desk/results?campaign=q4-dock-ops").text
    status = _status(results_ws, monkeypatch)
    figures, r = _figures(html), status["results"]
    for key in ("contacted", "replied", "positive", "meetings_booked", "meetings_held", "handoffs_accepted"):
        assert figures[key] == str(r[key]), key
    assert r["contacted"] > 0 and r["replied"] == 3  # out of office is not an answer
    assert figures["reply_rate"] == f"{r['reply_rate'] * 100:.1f}%"
    assert figures["llm_calls"] == f"{status['per_lead'].get('llm_calls', 0):g}"
    assert html.count("<svg") == 5 and "<script" not in html.split("</head>")[1]
    assert "&lt;b&gt;Freight&lt;/b&gt;" in html and "<b>Freight" not in html


def test_rates_by_step_and_segment_use_the_status_definitions(results_ws: Workspace) -> None:
    found = campaign_results(results_ws, "q4-dock-ops")
    assert found is not None
    step_one = found.by_step[0]
    assert step_one.name == "step 1" and step_one.contacted == found.status.results.contacted
    assert (step_one.replied, step_one.positive) == (3, 2)
    assert sum(row.contacted for row in found.by_segment) == step_one.contacted
    assert sum(sum(c.values()) for _, c in found.replies_by_week) == len(INTENTS)


def test_sdr_report_writes_one_static_file_with_the_same_figures(
    app: Starlette, results_ws: Workspace, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    out = tmp_path / "report.html"
    monkeypatch.setenv("SDR_WORKSPACE", str(results_ws.settings.workspace))
    written = CliRunner().invoke(cli, ["report", "--html", str(out)])
    assert written.exit_code == 0, written.output
    html = out.read_text()
    page = signed_in(app, "olga").get("/desk/results").text
    assert _figures(html) == _figures(page) and _figures(html)
    assert "<script" not in html and "<link" not in html and 'src="' not in html and "<style>" in html
    missing = CliRunner().invoke(cli, ["report", "nope", "--html", str(out)])
    assert missing.exit_code != 0 and "no campaign 'nope'" in str(missing.exception)


def test_a_paused_mailbox_is_named_with_its_reason(app: Starlette, results_ws: Workspace) -> None:
    with results_ws.store.transaction() as session:
        campaign_id = session.scalar(select(Campaign.id).where(Campaign.name == "q4-dock-ops"))
        session.add(
            MailboxPause(
                campaign_id=campaign_id, mailbox="noah@lumendock.example", reason="bounce rate 8.0% over 7 days"
            )
        )
    html = signed_in(app, "olga").get("/desk/results?campaign=q4-dock-ops").text
    assert 'data-paused="noah@lumendock.example"' in html and "bounce rate 8.0% over 7 days" in html
