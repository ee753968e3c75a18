"""`sdr inbound answer FILE --campaign NAME` and `sdr inbound list`, as an operator meets them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from agent.cli.app import app
from agent.errors import UserError
from agent.inbound.tables import AnswerState, Route
from agent.store.tables import Campaign, Contact, Enrollment, Suppression
from agent.suppression import HELD, is_suppressed
from tests.inbound.conftest import TUESDAY, Desk

runner = CliRunner()


@pytest.fixture
def cli(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> Desk:
    """The commands run on the desk's workspace and its scripted reader (no classifier to train)."""
    monkeypatch.setattr("agent.cli.inbound.workspace", lambda _ctx: desk.ws)
    monkeypatch.setattr("agent.inbound.answer.reader_of", lambda _ws: desk.reader)
    return desk


def lead_line(**fields: object) -> str:
    base = {
        "name": "Ana Ruiz",
        "email": "ana.ruiz@harvest-lane.example",
        "company": "Harvest Lane Foods",
        "title": "VP Supply Chain",
        "source": "demo request",
        "received_at": TUESDAY,
        "message": "A demo, please.",
    }
    return json.dumps({**base, **fields})


def test_a_bad_line_is_named_and_the_others_are_still_answered(cli: Desk, tmp_path: Path) -> None:
    path = tmp_path / "leads.jsonl"
    good_two = lead_line(email="dana.whitfield@reno-freight.example", name="Dana Whitfield", title="VP of Operations")
    path.write_text("\n".join([lead_line(), lead_line(received_at="2026-11-24T09:05:00"), "", good_two]) + "\n")
    result = runner.invoke(app, ["inbound", "answer", str(path), "--campaign", "q4-dock-ops", "--json"])
    assert result.exit_code == 1 and isinstance(result.exception, UserError)
    assert "1 of 3 leads could not be read" in str(result.exception)
    assert result.stderr.strip().splitlines() == [
        f"error {path}:2: received_at: needs a UTC offset, e.g. 2026-11-24T09:15:00-06:00"
    ]
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(a["email"], a["route"], a["answer"]) for a in answers] == [
        ("ana.ruiz@harvest-lane.example", "meeting", "sent"),
        ("dana.whitfield@reno-freight.example", "meeting", "sent"),
    ]


def test_an_unknown_campaign_stops_before_any_lead(cli: Desk, tmp_path: Path) -> None:
    path = tmp_path / "leads.jsonl"
    path.write_text(lead_line() + "\n")
    result = runner.invoke(app, ["inbound", "answer", str(path), "--campaign", "nope"])
    assert result.exit_code == 1 and "no campaign 'nope'" in str(result.exception)
    assert not cli.outbox(to="ana.ruiz@harvest-lane.example")


def test_list_shows_each_lead_and_speed_to_lead_p50_p95(cli: Desk) -> None:
    cli.answer(message="Demo please.")
    cli.answer(
        email="sal@growthleads.example",
        name="Sal Ortiz",
        company="GrowthLeads",
        title="CEO",
        source="contact form",
        message="Our agency specializes in lead generation. Open to a call?",
    )
    listed = runner.invoke(app, ["inbound", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.stdout)
    assert [row["route"] for row in data["leads"]] == ["not_qualified", "meeting"]
    speed = data["speed_to_lead"]
    assert speed["leads"] == 2 and speed["answered"] == 1 and speed["sent"] == 1
    assert speed["p50_seconds"] is not None and speed["p95_seconds"] >= speed["p50_seconds"]
    table = runner.invoke(app, ["inbound", "list"], env={"COLUMNS": "200"})
    assert "speed-to-lead over 1 answered of 2 leads" in table.stdout


def test_a_lead_from_the_future_is_a_bad_line(cli: Desk, tmp_path: Path) -> None:
    path = tmp_path / "leads.jsonl"
    path.write_text(lead_line(received_at="2099-01-01T09:00:00+00:00") + "\n")
    result = runner.invoke(app, ["inbound", "answer", str(path), "--campaign", "q4-dock-ops"])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error {path}:1: received_at: 2099-01-01T09:00:00+00:00 is in the future")
    assert not cli.outbox(to="ana.ruiz@harvest-lane.example")


def test_a_campaign_named_by_its_file_is_recorded_and_used(cli: Desk, tmp_path: Path) -> None:
    from tests.conftest import EXAMPLES

    path = tmp_path / "leads.jsonl"
    path.write_text(lead_line() + "\n")
    result = runner.invoke(app, ["inbound", "answer", str(path), "--campaign", str(EXAMPLES / "campaign.yaml")])
    assert result.exit_code == 0, result.output
    assert "meeting, first answer sent" in result.stdout


def test_a_lead_that_may_be_opting_out_is_held_until_a_person_releases_it(
    cli: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a reply's opt-out in doubt: the address is blocked at once (its sequence stops, nothing queued
    goes) and a person settles it: `sdr suppress release`, or `sdr suppress add` to confirm."""
    monkeypatch.setattr("agent.cli.records.workspace", lambda _ctx: cli.ws)
    email = "dana.whitfield@reno-freight.example"  # in the CRM, enrolled in the campaign's sequence
    with cli.ws.store.transaction() as session:
        contact_id = session.scalars(select(Contact.id).where(Contact.email == email)).one()
        session.add(Enrollment(campaign_id=session.scalars(select(Campaign.id)).one(), contact_id=contact_id))
    cli.readings["buzzwords"] = "unsubscribe"  # the reader leans to an opt-out; no opt-out phrase says so
    answer = cli.answer(email=email, name="Dana Whitfield", title="VP of Operations",
                        message="Stop it with the buzzwords. What does it cost per dock door?")  # fmt: skip
    assert answer.route is Route.do_not_contact and answer.needs_review and answer.answer is AnswerState.none
    with cli.ws.store.transaction() as session:
        held = session.scalars(select(Suppression).where(Suppression.value == email)).one()
        assert (held.reason, held.source) == (HELD, f"inbound lead {answer.lead_id}")
        assert session.scalars(select(Enrollment.state).where(Enrollment.contact_id == contact_id)).one() == "stopped"
        assert is_suppressed(session, email)
    released = runner.invoke(app, ["suppress", "release", email])
    assert released.exit_code == 0 and f"{email}: released" in released.stdout
    with cli.ws.store.transaction() as session:
        assert not is_suppressed(session, email)
    again = runner.invoke(app, ["suppress", "release", email])
    assert again.exit_code != 0 and "not held" in str(again.exception)
