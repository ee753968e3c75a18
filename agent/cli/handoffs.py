"""`sdr handoffs`: qualified leads handed to account executives, and how each one ended."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from agent.cli.common import console, plain, print_json, workspace
from agent.errors import UserError

app = typer.Typer(help="Handoffs to account executives: list, create, close, export.", no_args_is_help=False)


@app.callback(invoke_without_command=True)
def list_(
    ctx: typer.Context,
    open_only: bool = typer.Option(False, "--open", help="Only those not closed yet."),
    json_output: bool = typer.Option(False, "--json"),
) -> None:
    """List handoffs with their disposition."""
    if ctx.invoked_subcommand is not None:
        return
    from agent.replies.handoff import list_handoffs

    views = list_handoffs(workspace(ctx), open_only=open_only)
    if json_output:
        print_json(views)
        return
    if not views:
        console.print("No handoffs yet.")
    for v in views:
        state = v.disposition or "open"
        extra = f" ({v.reason})" if v.reason else f" (on {v.recycle_on})" if v.recycle_on else ""
        console.print(
            f"#{v.id} {plain(f'{v.contact} <{v.email}> at {v.account}')}: [bold]{state}[/]{plain(extra)}; "
            f"next: {plain(v.next_step)}",
            highlight=False,
        )


@app.command("create")
def create(
    ctx: typer.Context,
    contact: str = typer.Argument(..., help="The contact's email or id."),
    next_step: str = typer.Option(..., "--next-step", help="The confirmed next step, e.g. the booked meeting."),
) -> None:
    """Hand a qualified lead to the AE, with the checklist note."""
    from sqlalchemy import select

    from agent.replies.handoff import hand_off
    from agent.store.tables import Contact

    ws = workspace(ctx)
    with ws.store.transaction() as session:
        contact_id = (
            int(contact)
            if contact.isdigit()
            else session.scalar(select(Contact.id).where(Contact.email == contact.lower()))
        )
    if contact_id is None:
        raise UserError(f"no contact {contact}")
    console.print(f"handoff #{hand_off(ws, contact_id, next_step)} created")


@app.command("close")
def close(
    ctx: typer.Context,
    handoff_id: int,
    opportunity: bool = typer.Option(False, "--opportunity", help="Qualified: an opportunity was created."),
    recycle_on: str | None = typer.Option(
        None, "--recycle", help="Meets the definition; nurture again on this date (YYYY-MM-DD)."
    ),
    not_qualified: str | None = typer.Option(None, "--not-qualified", help="Back to the SDR, with this reason."),
) -> None:
    """Close a handoff with exactly one disposition."""
    from agent.replies.handoff import close as close_handoff
    from agent.replies.tables import Disposition

    chosen = [opportunity, recycle_on is not None, not_qualified is not None]
    if sum(chosen) != 1:
        raise UserError("give exactly one of --opportunity, --recycle DATE, --not-qualified REASON")
    if opportunity:
        close_handoff(workspace(ctx), handoff_id, Disposition.opportunity_created)
    elif recycle_on is not None:
        try:
            when = date.fromisoformat(recycle_on)
        except ValueError as exc:
            raise UserError(f"--recycle {recycle_on!r}: expected YYYY-MM-DD") from exc
        close_handoff(workspace(ctx), handoff_id, Disposition.recycle_to_nurture, recycle_on=when)
    else:
        close_handoff(workspace(ctx), handoff_id, Disposition.not_qualified, reason=not_qualified)
    console.print(f"handoff #{handoff_id} closed")


@app.command("export")
def export(
    ctx: typer.Context,
    fmt: str = typer.Option("md", "--format", help="md or json."),
    out: Path | None = typer.Option(None, "--out", help="Write to this file instead of stdout."),
) -> None:
    """Every handoff as Markdown (the AE's notes) or JSON."""
    from agent.replies.handoff import export as render
    from agent.replies.handoff import list_handoffs

    text = render(list_handoffs(workspace(ctx)), fmt)
    if out:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out}")
    else:
        typer.echo(text)
