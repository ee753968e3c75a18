"""`sdr send`: everything approved and due goes out, whatever its kind; `--watch` keeps doing it."""

from __future__ import annotations

import time
from datetime import datetime

import typer

from agent.cli.common import console, plain, print_json, print_json_line, reviewer_name, workspace
from agent.clock import as_utc

app = typer.Typer(help="Send everything approved and due: sequence steps, answers, meeting emails, inbound answers.")


def _as_of(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter("an ISO 8601 date-time, e.g. 2026-11-25T10:00-06:00") from exc
    return as_utc(moment)


@app.callback(invoke_without_command=True)
def send(
    ctx: typer.Context,
    campaign: str | None = typer.Option(None, help="Only this campaign."),
    limit: int | None = typer.Option(None, help="Send at most this many now."),
    watch: bool = typer.Option(False, help="Keep sending as steps fall due (Ctrl-C stops)."),
    interval: float = typer.Option(60.0, help="With --watch: seconds between rounds."),
    as_of: str | None = typer.Option(None, help="Act as if it were this time (ISO 8601): rehearsals, demos."),
    json_output: bool = typer.Option(False, "--json"),
) -> None:
    if ctx.invoked_subcommand is not None:
        return
    from agent.replies.handling import due_touches
    from agent.sending.sender import send_due

    ws = workspace(ctx)
    while True:
        now = _as_of(as_of)
        touches = due_touches(ws, now.date() if now else None)  # their date came: drafted for review
        summary = send_due(ws, now=now, campaign=campaign, limit=limit)
        if json_output and watch:  # a stream: one object per round, one round per line
            print_json_line(summary.__dict__)
        elif json_output:
            print_json(summary.__dict__)
        else:
            console.print(
                f"sent {len(summary.sent)}"
                + (f", recovered {summary.recovered} after a crash" if summary.recovered else "")
                + (f", [yellow]{len(summary.uncertain)} uncertain[/] (sdr send resolve)" if summary.uncertain else "")
                + (f", [red]{len(summary.failed)} failed[/]" if summary.failed else "")
            )
            if summary.unavailable:
                console.print(f"  [red]stopped: {plain(summary.unavailable)}[/]; the rest waits for the next round")
            for reason, count in sorted(summary.waiting.items()):
                console.print(f"  waiting: {count} {reason}")
            if touches:
                console.print(f"  nurture touches drafted for review: {len(touches)} (sdr review)")
            if summary.next_due:
                console.print(f"  next due: {summary.next_due:%Y-%m-%d %H:%M} UTC")
            for failure in summary.failed:
                console.print(f"  [red]{plain(failure)}[/]")
        if not watch:
            # Scripts and schedulers see a round that could not send what was due.
            if summary.failed or summary.unavailable:
                raise typer.Exit(1)
            return
        time.sleep(interval)


@app.command()
def resolve(
    ctx: typer.Context,
    outbox_id: int,
    delivered: bool = typer.Option(..., "--delivered/--not-delivered", help="What the mail server's logs show."),
) -> None:
    """Settle an uncertain delivery of any message (a crash mid-send on SMTP)."""
    from agent.sending.sender import resolve as resolve_delivery

    resolve_delivery(workspace(ctx), outbox_id, delivered=delivered, who=reviewer_name())
    console.print(
        f"message {outbox_id}: " + ("marked sent" if delivered else "approved again; the next round sends it")
    )
