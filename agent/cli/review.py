"""`sdr review`: the reviewer's queue (interactive), and the same decisions as subcommands."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
import typer
from rich.panel import Panel
from rich.prompt import Prompt
from rich.table import Table

from agent.cli.common import console, plain, print_json, reviewer_name, workspace
from agent.errors import UserError
from agent.states import DraftState

if TYPE_CHECKING:
    from agent.review import DraftView
    from agent.workspace import Workspace

app = typer.Typer(help="Review drafts: approve, edit, reject, regenerate.", no_args_is_help=False)


def _show(view: DraftView) -> None:
    head = (
        f"[bold]#{view.id}[/] {plain(view.contact)} ({plain(view.title or 'no title')}) at {plain(view.account)} · "
        f"step {view.step} {view.channel} · priority {view.priority:g} · {view.state} · made by {view.made_by}"
    )
    text = (f"[bold]Subject:[/] {plain(view.subject)}\n\n" if view.subject else "") + plain(view.body)
    console.print(Panel(text, title=head, title_align="left"))
    if view.sources:
        table = Table("fact", "source", "date", "quoted text", title="sources behind its claims")
        for s in view.sources:
            table.add_row(s["fact_id"], plain(s["source"]), s["published_on"], plain(s["text"]))
        console.print(table)
    else:
        console.print("[dim]no personal claims; nothing to source[/]")
    if view.call_snippets:
        table = Table("call", "outcome", "drew on", "what was said", title="past calls behind its angle")
        for s in view.call_snippets:
            table.add_row(s["call_id"], str(s["outcome"]), "yes" if s["drew_on"] else "context", plain(s["text"][:300]))
        console.print(table)
    for failure in view.failed_checks:
        console.print(f"[red]check failed[/] {plain(failure)}")


@app.callback(invoke_without_command=True)
def queue(
    ctx: typer.Context,
    campaign: str | None = typer.Option(None, help="Only this campaign."),
) -> None:
    """Work through drafts awaiting review, highest priority first."""
    from agent import review as decisions

    if ctx.invoked_subcommand is not None:
        return
    ws = workspace(ctx)
    who = reviewer_name()
    views = decisions.list_drafts(ws, campaign=campaign, states=[DraftState.pending_review, DraftState.flagged])
    elsewhere = decisions.waiting_elsewhere(ws)
    if not views:
        console.print("No sequence drafts to review.")
        _print_elsewhere(elsewhere)
        return
    for index, view in enumerate(views, 1):
        console.rule(f"{index} of {len(views)}")
        _show(view)
        if not _decide(ws, view, who):
            break
    _print_elsewhere(elsewhere)


def _decide(ws: Workspace, view: DraftView, who: str) -> bool:
    """One draft's decision, asked until one is taken; False when the reviewer quits."""
    from agent import review as decisions

    while True:
        choices = ["e", "r", "g", "s", "q"] if view.state == DraftState.flagged else ["a", "e", "r", "g", "s", "q"]
        action = Prompt.ask(
            "[a]pprove [e]dit [r]eject re[g]enerate [s]kip [q]uit", choices=choices, show_choices=False, console=console
        )
        try:
            if action == "q":
                return False
            if action == "a":
                decisions.approve(ws, [view.id], who)
            elif action == "r":
                decisions.reject(ws, view.id, Prompt.ask("reason", console=console), who)
            elif action in ("e", "g"):
                if action == "e":
                    edited = click.edit(f"{view.subject or ''}\n---\n{view.body}")
                    if edited is None:
                        continue
                    subject, _, body = edited.partition("\n---\n")
                    if decisions.edit(ws, view.id, body=body.strip(), subject=subject.strip() or None, reviewer=who):
                        console.print("[yellow]The edit fails its checks; fix it or regenerate.[/]")
                else:
                    decisions.regenerate(ws, view.id, who)
                view = next(v for v in decisions.list_drafts(ws, campaign=view.campaign) if v.id == view.id)
                _show(view)
                continue
        except UserError as exc:
            console.print(f"[red]{exc}[/]")
            continue
        return True


def _print_elsewhere(elsewhere: dict[str, int]) -> None:
    for queue, count in elsewhere.items():
        console.print(f"also waiting for a person: {count} {queue}")


@app.command("list")
def list_(
    ctx: typer.Context,
    campaign: str | None = typer.Option(None),
    state: list[DraftState] | None = typer.Option(None, help="Filter by state (repeatable)."),
    limit: int | None = typer.Option(None),
    json_output: bool = typer.Option(False, "--json"),
) -> None:
    """List drafts."""
    from agent import review as decisions

    views = decisions.list_drafts(workspace(ctx), campaign=campaign, states=state, limit=limit)
    if json_output:
        print_json(views)
        return
    table = Table("id", "contact", "account", "priority", "step", "channel", "state", "subject")
    for v in views:
        table.add_row(
            str(v.id),
            plain(v.contact),
            plain(v.account),
            f"{v.priority:g}",
            str(v.step),
            v.channel,
            v.state,
            plain(v.subject or ""),
        )
    console.print(table)
    _print_elsewhere(decisions.waiting_elsewhere(workspace(ctx)))


@app.command()
def show(ctx: typer.Context, draft_id: int, json_output: bool = typer.Option(False, "--json")) -> None:
    """Show one draft with its sources and check results."""
    from agent import review as decisions

    views = [v for v in decisions.list_drafts(workspace(ctx)) if v.id == draft_id]
    if not views:
        raise UserError(f"no draft {draft_id}")
    print_json(views[0]) if json_output else _show(views[0])


@app.command()
def approve(
    ctx: typer.Context,
    draft_ids: list[int] | None = typer.Argument(None),
    campaign: str | None = typer.Option(None, help="Approve all pending drafts of this campaign."),
    min_priority: float | None = typer.Option(None, help="With --campaign: only at or above this priority."),
) -> None:
    """Approve drafts by id, or in bulk by campaign (and priority)."""
    from agent import review as decisions

    ws, who = workspace(ctx), reviewer_name()
    if draft_ids:
        approved = decisions.approve(ws, draft_ids, who)
    elif campaign:
        approved = decisions.bulk_approve(ws, campaign=campaign, reviewer=who, min_priority=min_priority)
    else:
        raise UserError("name draft ids, or --campaign (with --min-priority) for bulk approval")
    console.print(f"approved {len(approved)} drafts")


@app.command()
def reject(ctx: typer.Context, draft_id: int, reason: str = typer.Option(..., help="Why: it is kept.")) -> None:
    """Reject a draft with a reason."""
    from agent import review as decisions

    decisions.reject(workspace(ctx), draft_id, reason, reviewer_name())
    console.print(f"rejected draft {draft_id}")


@app.command()
def regenerate(ctx: typer.Context, draft_id: int) -> None:
    """Write a draft again and re-run its checks."""
    from agent import review as decisions

    draft = decisions.regenerate(workspace(ctx), draft_id, reviewer_name())
    console.print(f"draft {draft_id} is now version {draft.version}, {draft.state}")


@app.command()
def history(ctx: typer.Context, draft_id: int, json_output: bool = typer.Option(False, "--json")) -> None:
    """Every decision taken on a draft."""
    from agent import review as decisions

    rows = decisions.history(workspace(ctx), draft_id)
    if json_output:
        print_json(rows)
        return
    for row in rows:
        console.print(
            f"{row['at']} {row['action']} by {row['reviewer']}" + (f": {row['reason']}" if row["reason"] else "")
        )
