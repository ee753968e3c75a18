"""`sdr inbound`: answer inbound leads (form fills, demo requests), list them with speed-to-lead, review answers."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from agent.cli.common import console, errors, moved, plain, print_json, workspace
from agent.errors import InputError, UserError

if TYPE_CHECKING:
    from agent.inbound.answer import LeadAnswer

app = typer.Typer(help="Inbound leads: answered in seconds, routed, timed (speed-to-lead).", no_args_is_help=True)


def campaign_name(ctx: typer.Context, value: str) -> str:
    """A campaign by name, or by its file (recorded in the store first, as `sdr run` would)."""
    from agent.pipeline import campaign_by_name, register_campaign

    path = Path(value)
    if path.suffix in (".yaml", ".yml"):
        return register_campaign(workspace(ctx), path)[1].name
    campaign_by_name(workspace(ctx), value)  # an unknown name stops here, before any lead is read
    return value


def _describe(answer: LeadAnswer) -> str:
    speed = f" in {answer.speed_to_lead_seconds:.1f} s" if answer.speed_to_lead_seconds is not None else ""
    what = f"{answer.answer}" + (f" ({answer.via}, {len(answer.slots)} slots)" if answer.slots else "")
    review = plain(" [needs a person]") if answer.needs_review else ""
    return f"#{answer.lead_id} {plain(answer.email)}: [bold]{answer.route}[/], first answer {what}{speed}{review}; " + (
        plain(answer.error or "; ".join(answer.reasons))
    )


@app.command("answer")
def answer(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help='JSON Lines, one lead a line ("-" reads stdin).'),
    campaign: str = typer.Option(
        ..., "--campaign", help="The campaign (name, or its YAML file) whose ICP, sender and AEs answer."
    ),
    json_output: bool = typer.Option(False, "--json", help="One JSON answer a line."),
) -> None:
    """Answer each lead in FILE: route it, send or queue its first answer, record speed-to-lead.

    A bad line gets one error line naming the file, line and field; the other leads are still
    answered, and the exit code is 1. Leads a crash left unanswered are answered first.
    """
    from agent.inbound.answer import answer_lead, answer_received, reader_of, unanswered
    from agent.inbound.lead import parse_lead

    ws = workspace(ctx)
    campaign = campaign_name(ctx, campaign)
    try:
        text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read it: {exc}", file=file) from exc
    reader = reader_of(ws)

    def show(result: LeadAnswer) -> None:
        if json_output:
            typer.echo(result.model_dump_json())
        else:
            console.print(_describe(result), highlight=False)

    for lead_id in unanswered(ws):
        show(answer_received(ws, lead_id, reader=reader))
    bad, total = 0, 0
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        total += 1
        try:
            lead = parse_lead(line, file=str(file), line=number)
            show(answer_lead(ws, lead, campaign, reader=reader))
        except InputError as exc:
            bad += 1
            exc.file, exc.line = exc.file or str(file), exc.line or number
            errors.print(f"[red]error[/] {exc.format()}", highlight=False, soft_wrap=True)
    if bad:
        raise UserError(f"{file}: {bad} of {total} leads could not be read (named above); {total - bad} answered")


@app.command("list")
def list_(
    ctx: typer.Context,
    route: str | None = typer.Option(None, help="Only this route (meeting, answer, review, not_qualified, ...)."),
    needs_review: bool = typer.Option(False, "--needs-review", help="Only leads waiting for a person."),
    limit: int | None = typer.Option(None, min=1, help="The latest N leads."),
    json_output: bool = typer.Option(False, "--json"),
) -> None:
    """Every inbound lead, newest first, with its route, first answer and speed-to-lead (p50/p95)."""
    from agent.inbound.report import list_leads, speed_to_lead

    ws = workspace(ctx)
    rows, speed = list_leads(ws, route=route, needs_review=needs_review, limit=limit), speed_to_lead(ws)
    if json_output:
        print_json({"leads": [r.model_dump(mode="json") for r in rows], "speed_to_lead": speed.model_dump()})
        return
    table = Table("id", "received (UTC)", "lead", "source", "route", "first answer", "seconds", "why")
    for r in rows:
        table.add_row(
            str(r.id) + (" *" if r.needs_review else ""),
            f"{r.received_at:%Y-%m-%d %H:%M}",
            plain(f"{r.name} <{r.email}>" + (f", {r.company}" if r.company else "")),
            plain(r.source),
            r.route or "(unrouted)",
            r.answer + (f" ({r.via})" if r.via else ""),
            f"{r.speed_to_lead_seconds:.1f}" if r.speed_to_lead_seconds is not None else "",
            plain(r.reason[:80]),
        )
    console.print(table)
    console.print(
        f"speed-to-lead over {speed.answered} answered of {speed.leads} leads: p50 {speed.p50_seconds} s, "
        f"p95 {speed.p95_seconds} s ({speed.sent} sent without waiting: p50 {speed.sent_p50_seconds} s, "
        f"p95 {speed.sent_p95_seconds} s); * waits for a person",
        highlight=False,
    )


def _answers(ctx: typer.Context, leads: list[int]) -> list[int]:
    from agent.errors import NotFound
    from agent.inbound.tables import LeadRecord

    with workspace(ctx).store.transaction() as session:
        ids = []
        for lead_id in leads:
            row = session.get(LeadRecord, lead_id)
            if row is None or row.answer_id is None:
                raise NotFound(f"lead {lead_id} has no first answer")
            ids.append(row.answer_id)
        return ids


@app.command("approve", hidden=True)
def approve(ctx: typer.Context, leads: list[int] = typer.Argument(..., help="Lead ids.")) -> None:
    """Approve the leads' first answers (now `sdr review approve <message>`)."""
    from agent.cli.review import approve as approve_messages

    moved("sdr inbound approve <lead>", "sdr review approve <message> (sdr review --kind inbound_answer)")
    approve_messages(ctx, _answers(ctx, leads), campaign=None, kind=None, min_priority=None)


@app.command("reject", hidden=True)
def reject(
    ctx: typer.Context,
    leads: list[int] = typer.Argument(..., help="Lead ids."),
    reason: str = typer.Option(..., "--reason", help="Why (kept)."),
) -> None:
    """Reject the leads' first answers (now `sdr review reject <message>`)."""
    from agent.cli.review import reject as reject_message

    moved("sdr inbound reject <lead>", "sdr review reject <message>")
    for answer_id in _answers(ctx, leads):
        reject_message(ctx, answer_id, reason)
