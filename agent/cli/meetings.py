"""`sdr meetings`: read time expressions, handle meeting requests, see and send what was booked."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from agent import clock
from agent.cli.common import console, errors, moved, plain, print_json, reviewer_name, workspace

app = typer.Typer(help="Meetings: book prospects into AE calendars, move, cancel, follow the no-show rule.")


def parse_line(text: str) -> dict[str, Any]:
    """One `sdr meetings parse` request -> its answer; raises ValueError naming the field."""
    from agent.clock import zone
    from agent.timex import read_times

    try:
        item = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg}") from exc
    if not isinstance(item, dict):
        raise ValueError("each line is a JSON object with id, text, now and prospect_tz")
    for field in ("id", "text", "now", "prospect_tz"):
        if field not in item:
            raise ValueError(f"{field}: missing")
    if not isinstance(item["text"], str):
        raise ValueError("text: not a string")
    try:
        now = datetime.fromisoformat(str(item["now"]).replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"now: not an ISO 8601 date-time ({item['now']!r})") from exc
    if now.tzinfo is None:
        raise ValueError("now: needs a UTC offset, e.g. 2026-11-20T09:15:00-05:00")
    try:
        zone(str(item["prospect_tz"]))
    except Exception as exc:
        raise ValueError(f"prospect_tz: {exc}") from exc
    reading = read_times(item["text"], now, str(item["prospect_tz"]))
    return {
        "id": item["id"],
        "kind": reading.kind,
        "candidates": [c.isoformat() for c in reading.candidates],
        "ambiguous": reading.ambiguous,
    }


@app.command()
def parse(
    jsonl: Path = typer.Option(..., "--jsonl", help="One JSON object a line: id, text, now, prospect_tz."),
) -> None:
    """Read time expressions in bulk (no calendar, no store): one JSON answer a line, on stdout.

    A bad line gets a one-line error naming it on stderr; the other lines are still answered,
    in order, and the exit code is 1.
    """
    try:
        lines = jsonl.read_text(encoding="utf-8").splitlines() if str(jsonl) != "-" else sys.stdin.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        from agent.errors import InputError

        raise InputError(f"cannot read it: {exc}", file=jsonl) from exc
    bad, total = 0, 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        total += 1
        try:
            answer = parse_line(line)
        except ValueError as exc:
            bad += 1
            errors.print(f"[red]error[/] {jsonl}:{number}: {exc}", highlight=False, soft_wrap=True)
            continue
        typer.echo(json.dumps(answer, ensure_ascii=False))
    if bad:
        from agent.errors import UserError

        raise UserError(f"{jsonl}: {bad} of {total} lines could not be read (named above); {total - bad} answered")


def _contact_id(ctx: typer.Context, who: str) -> int:
    from sqlalchemy import select

    from agent.errors import NotFound
    from agent.store.tables import Contact

    if who.isdigit():
        return int(who)
    with workspace(ctx).store.transaction() as session:
        found = session.scalar(select(Contact.id).where(Contact.email == who.strip().lower()))
    if found is None:
        raise NotFound(f"no contact {who}")
    return found


def _moment(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter("an ISO 8601 date-time with offset, e.g. 2026-11-25T10:00-06:00") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@app.command()
def request(
    ctx: typer.Context,
    contact: str = typer.Argument(..., help="Contact id or email."),
    text: str = typer.Argument(..., help="What the prospect wrote."),
    at: str | None = typer.Option(None, help="When they wrote it (ISO 8601); default now."),
    note: Path | None = typer.Option(None, help="A file with the handoff note for the AE."),
    json_output: bool = typer.Option(False, "--json"),
) -> None:
    """Handle a prospect's answer about a meeting: book, offer times, ask, move or cancel."""
    from agent.meetings.requests import handle_meeting_request

    ws = workspace(ctx)
    received = _moment(at) or clock.now()
    handoff = note.read_text(encoding="utf-8") if note else None
    outcome = handle_meeting_request(ws, _contact_id(ctx, contact), text, received, handoff_note=handoff, now=received)
    if json_output:
        print_json(outcome)
        return
    console.print(f"[bold]{outcome.kind}[/] {plain(outcome.reason)}")
    if outcome.event:
        console.print(
            f"  {outcome.event.ae_name}: {outcome.event.start.astimezone().isoformat()} ({outcome.event.uid})"
        )
    for slot in outcome.slots:
        console.print(f"  offered {slot.isoformat()}")
    if outcome.message:
        console.print(f"  message {outcome.message.id} to {outcome.message.to}: {outcome.message.state}")


@app.command("list")
def list_(
    ctx: typer.Context,
    status: str | None = typer.Option(None, help="booked, cancelled, no_show, failed"),
    json_output: bool = typer.Option(False, "--json"),
) -> None:
    """Meetings, soonest first, in the AE's and the prospect's time."""
    from agent.meetings.admin import list_meetings

    rows = list_meetings(workspace(ctx), status=status)
    if json_output:
        print_json([r.model_dump(mode="json") for r in rows])
        return
    table = Table("id", "contact", "account", "AE", "AE time", "their time", "status", "why this AE")
    for r in rows:
        table.add_row(
            str(r.id),
            plain(r.contact),
            plain(r.account),
            r.ae,
            r.ae_local,
            r.prospect_local,
            r.status,
            plain(r.routing),
        )
    console.print(table)


@app.command(hidden=True)
def messages(ctx: typer.Context, json_output: bool = typer.Option(False, "--json")) -> None:
    """Meeting emails awaiting a person (now `sdr review --kind meeting_letter`)."""
    from agent.cli.review import list_
    from agent.states import Origin

    moved("sdr meetings messages", "sdr review list --kind meeting_letter")
    list_(ctx, campaign=None, kind=[Origin.meeting_letter], state=None, limit=None, json_output=json_output)


@app.command(hidden=True)
def approve(ctx: typer.Context, ids: list[int]) -> None:
    """Approve meeting emails (now `sdr review approve`)."""
    from agent.cli.review import approve as approve_messages

    moved("sdr meetings approve", "sdr review approve")
    approve_messages(ctx, ids, campaign=None, kind=None, min_priority=None)


@app.command(hidden=True)
def send(ctx: typer.Context) -> None:
    """Send approved meeting emails (now `sdr send`)."""
    from agent.cli.send import send as send_due

    moved("sdr meetings send", "sdr send")
    send_due(ctx, campaign=None, limit=None, watch=False, interval=60.0, as_of=None, json_output=False)


@app.command()
def cancel(ctx: typer.Context, meeting_id: int, reason: str = typer.Option(..., help="Told to nobody; kept.")) -> None:
    """Cancel a booked meeting (the AE or the SDR asks): frees the calendar, tells both sides."""
    from agent.meetings.booking import Booker, load_lead
    from agent.meetings.tables import Meeting, MeetingStatus

    ws = workspace(ctx)
    with ws.store.transaction() as session:
        meeting = session.get(Meeting, meeting_id)
        if meeting is None or meeting.status != MeetingStatus.booked:
            raise typer.BadParameter(f"no booked meeting {meeting_id}")
        lead = load_lead(session, meeting.contact_id)
        ae = lead.meetings.executive(meeting.ae_email)
    if ae is None:
        raise typer.BadParameter(f"meeting {meeting_id}: its AE is no longer in the campaign file")
    who = reviewer_name()
    outcome = Booker(ws, lead, ae, None, clock.now()).cancel(meeting_id, reason, f"person:{who}")
    if outcome.event is not None:
        from agent.replies.handoff import meeting_changed

        meeting_changed(ws, lead.contact_id, f"{who} cancelled the meeting of {outcome.event.when} ({reason})")
    console.print(f"cancelled {meeting_id}; message {outcome.message.id if outcome.message else '-'}")


@app.command("no-show")
def no_show(ctx: typer.Context, meeting_id: int, at: str | None = typer.Option(None, help="As of (ISO 8601).")) -> None:
    """The prospect did not show up: follow the campaign's no-show rule."""
    from agent.replies.no_show import mark_no_show

    result = mark_no_show(workspace(ctx), meeting_id, now=_moment(at))
    console.print(result if isinstance(result, str) else f"{result.kind}: {len(result.slots)} new times offered")


@app.command()
def seed(
    ctx: typer.Context,
    source: Path = typer.Argument(..., help="A folder of <ae-name>.ics files, e.g. examples/calendars."),
    campaign_file: Path = typer.Option(Path("examples/campaign.yaml"), "--campaign", help="The campaign file."),
) -> None:
    """Put starting calendars (recurring busy blocks) in the workspace for AEs that have none yet."""
    from agent.campaign import load_campaign
    from agent.errors import UserError
    from agent.meetings.admin import seed_calendars

    spec = load_campaign(campaign_file)
    if spec.meetings is None:
        raise UserError(f"{campaign_file}: no meetings: section")
    for path in seed_calendars(workspace(ctx), spec.meetings, source):
        console.print(f"seeded {path}")


@app.command("eval")
def eval_(ctx: typer.Context, json_output: bool = typer.Option(False, "--json"), tags: bool = False) -> None:
    """Run the booking evaluation (parser and dialogues) and print its figures."""
    from evals.booking.suite import SUITE, by_tag

    ws = workspace(ctx)
    cases = SUITE.cases()
    outcomes = [SUITE.run_case(case, ws) for case in cases]
    figures = SUITE.metrics(cases, outcomes)
    failed = [o.case_id for o in outcomes if not o.passed]
    if json_output:
        print_json({"metrics": figures, "failed": failed, "by_tag": by_tag(cases, outcomes) if tags else None})
        return
    for name, value in figures.items():
        console.print(f"{name:32} {value:.4f}")
    console.print(f"cases {len(cases)}, failed {len(failed)}" + (f": {', '.join(failed)}" if failed else ""))
    if tags:
        for tag, scores in by_tag(cases, outcomes).items():
            console.print(f"  {tag:36} " + "  ".join(f"{k}={v:g}" for k, v in scores.items()))
