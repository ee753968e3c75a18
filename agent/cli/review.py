"""`sdr review`: one queue of everything that awaits a person (interactive), and the same
decisions as subcommands. `--kind` narrows it to one origin."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
import typer
from rich.panel import Panel
from rich.prompt import Prompt
from rich.table import Table

from agent.cli.common import console, plain, print_json, reviewer_name, workspace
from agent.errors import UserError
from agent.states import Origin, OutboxState

if TYPE_CHECKING:
    from agent.review import ReviewItem
    from agent.workspace import Workspace

app = typer.Typer(
    help="Review everything awaiting a person: sequence steps, reply answers, meeting emails, inbound answers.",
    no_args_is_help=False,
)
KIND_HELP = "Only this kind (repeatable): " + ", ".join(o.value for o in Origin) + "."


def _show(item: ReviewItem) -> None:
    what = f"step {item.step} {item.channel}" if item.step else f"{item.origin.replace('_', ' ')} ({item.kind})"
    head = (
        f"[bold]#{item.id}[/] {what} to {plain(item.contact)} <{plain(item.contact_email)}>"
        + (f" ({plain(item.title)})" if item.title else "")
        + (f" at {plain(item.account)}" if item.account else "")
        + f" · priority {item.priority:g} · {item.state} · made by {item.made_by}"
    )
    text = (f"[bold]Subject:[/] {plain(item.subject)}\n\n" if item.subject else "") + plain(item.body)
    console.print(Panel(text, title=head, title_align="left"))
    if item.lead:
        lead = item.lead
        console.print(
            f"[bold]inbound lead #{lead['id']}[/] {plain(lead['name'])} ({plain(lead['source'])}), route "
            f"{lead['route']}: {plain('; '.join(lead['reasons']))}; waiting {lead['waiting_seconds']} s\n"
            f"  their words: {plain(lead['message'][:400])}",
            highlight=False,
        )
    if item.reply:
        reply = item.reply
        console.print(
            f"[bold]their reply[/] ({reply['intent']}, {reply['decided_by']} {reply['confidence']:.2f}"
            + (", [yellow]unsure[/]" if reply["needs_review"] else "")
            + f"): {plain(reply['text'][:600])}",
            highlight=False,
        )
    if item.meeting:
        meeting = item.meeting
        console.print(
            f"[bold]meeting[/] {meeting['starts_at']} with {plain(meeting['ae'])} ({meeting['status']}) "
            f"on {plain(meeting['calendar'])}",
            highlight=False,
        )
    if item.sources:
        table = Table("fact", "source", "date", "quoted text", title="sources behind its claims")
        for s in item.sources:
            table.add_row(s["fact_id"], plain(s["source"]), s["published_on"], plain(s["text"]))
        console.print(table)
    elif item.origin == Origin.sequence_step:
        console.print("[dim]no personal claims; nothing to source[/]")
    if item.call_snippets:
        table = Table("call", "outcome", "drew on", "what was said", title="past calls behind its angle")
        for s in item.call_snippets:
            table.add_row(s["call_id"], str(s["outcome"]), "yes" if s["drew_on"] else "context", plain(s["text"][:300]))
        console.print(table)
    for failure in item.failed_checks:
        console.print(f"[red]check failed[/] {plain(failure)}")
    if item.error:
        console.print(f"[red]delivery:[/] {plain(item.error)}")


CHOICES = {
    OutboxState.pending_review: ("[a]pprove [e]dit [r]eject re[g]enerate [s]kip [q]uit", "aergsq"),
    OutboxState.flagged: ("[e]dit [r]eject re[g]enerate [s]kip [q]uit", "ergsq"),
    OutboxState.failed: ("the mail server refused it: [t]ry again [r]eject [s]kip [q]uit", "trsq"),
    OutboxState.uncertain: ("did it go out? [d]elivered [n]ot delivered [s]kip [q]uit", "dnsq"),
}


@app.callback(invoke_without_command=True)
def queue(
    ctx: typer.Context,
    campaign: str | None = typer.Option(None, help="Only this campaign."),
    kind: list[Origin] | None = typer.Option(None, help=KIND_HELP),
) -> None:
    """Work through everything awaiting a person, most urgent first."""
    from agent import review as desk

    if ctx.invoked_subcommand is not None:
        return
    ws = workspace(ctx)
    who = reviewer_name()
    items = desk.list_items(ws, campaign=campaign, origins=kind)
    if not items:
        console.print("Nothing awaits a person.")
        return
    for index, item in enumerate(items, 1):
        console.rule(f"{index} of {len(items)}")
        _show(item)
        if not _decide(ws, item, who):
            break


def _decide(ws: Workspace, item: ReviewItem, who: str) -> bool:
    """One message's decision, asked until one is taken; False when the reviewer quits."""
    from agent import review as desk
    from agent.sending.sender import resolve

    while True:
        prompt, choices = CHOICES[OutboxState(item.state)]
        action = Prompt.ask(prompt, choices=list(choices), show_choices=False, console=console)
        try:
            if action == "q":
                return False
            if action == "a":
                desk.approve(ws, [item.id], who)
            elif action == "r":
                desk.reject(ws, item.id, Prompt.ask("reason", console=console), who)
            elif action == "t":
                desk.retry(ws, item.id, who)
            elif action in ("d", "n"):
                resolve(ws, item.id, delivered=action == "d", who=who)
            elif action in ("e", "g"):
                if action == "e":
                    edited = click.edit(f"{item.subject or ''}\n---\n{item.body}")
                    if edited is None:
                        continue
                    subject, _, body = edited.partition("\n---\n")
                    if desk.edit(ws, item.id, body=body.strip(), subject=subject.strip() or None, reviewer=who):
                        console.print("[yellow]The edit fails its checks; fix it or regenerate.[/]")
                else:
                    desk.regenerate(ws, item.id, who)
                item = desk.item(ws, item.id)
                _show(item)
                continue
        except UserError as exc:
            console.print(f"[red]{exc}[/]")
            continue
        return True


@app.command("list")
def list_(
    ctx: typer.Context,
    campaign: str | None = typer.Option(None),
    kind: list[Origin] | None = typer.Option(None, help=KIND_HELP),
    state: list[OutboxState] | None = typer.Option(
        None, help="Filter by state (repeatable); default: awaiting a person."
    ),
    limit: int | None = typer.Option(None),
    json_output: bool = typer.Option(False, "--json"),
) -> None:
    """List messages: by default everything awaiting a person, most urgent first."""
    from agent import review as desk

    items = desk.list_items(workspace(ctx), campaign=campaign, origins=kind, states=state, limit=limit)
    if json_output:
        print_json(items)
        return
    table = Table("id", "kind", "to", "account", "priority", "step", "channel", "state", "subject")
    for i in items:
        table.add_row(
            str(i.id),
            f"{i.origin} ({i.kind})",
            plain(i.contact),
            plain(i.account or ""),
            f"{i.priority:g}",
            str(i.step or ""),
            i.channel,
            i.state,
            plain(i.subject or ""),
        )
    console.print(table)


@app.command()
def show(ctx: typer.Context, outbox_id: int, json_output: bool = typer.Option(False, "--json")) -> None:
    """Show one message with its evidence and check results."""
    from agent import review as desk

    found = desk.item(workspace(ctx), outbox_id)
    print_json(found) if json_output else _show(found)


@app.command()
def approve(
    ctx: typer.Context,
    outbox_ids: list[int] | None = typer.Argument(None),
    campaign: str | None = typer.Option(None, help="Approve everything pending in this campaign."),
    kind: list[Origin] | None = typer.Option(None, help="With --campaign: only this kind. " + KIND_HELP),
    min_priority: float | None = typer.Option(None, help="With --campaign: only at or above this priority."),
) -> None:
    """Approve messages by id, or in bulk by campaign (and kind, and priority)."""
    from agent import review as desk

    ws, who = workspace(ctx), reviewer_name()
    if outbox_ids:
        approved = desk.approve(ws, outbox_ids, who)
    elif campaign:
        approved = desk.bulk_approve(ws, campaign=campaign, reviewer=who, min_priority=min_priority, origins=kind)
    else:
        raise UserError("name message ids, or --campaign (with --kind, --min-priority) for bulk approval")
    console.print(f"approved {len(approved)} messages; `sdr send` sends them when due")


@app.command()
def reject(ctx: typer.Context, outbox_id: int, reason: str = typer.Option(..., help="Why: it is kept.")) -> None:
    """Reject a message with a reason: it is never sent."""
    from agent import review as desk

    desk.reject(workspace(ctx), outbox_id, reason, reviewer_name())
    console.print(f"rejected message {outbox_id}")


@app.command()
def retry(ctx: typer.Context, outbox_id: int) -> None:
    """Send a message the mail server refused once more (after fixing what was wrong)."""
    from agent import review as desk

    desk.retry(workspace(ctx), outbox_id, reviewer_name())
    console.print(f"message {outbox_id} is approved again; `sdr send` sends it")


@app.command()
def regenerate(ctx: typer.Context, outbox_id: int) -> None:
    """Write a sequence step again and re-run its checks."""
    from agent import review as desk

    row = desk.regenerate(workspace(ctx), outbox_id, reviewer_name())
    console.print(f"message {outbox_id} is now version {row.version}, {row.state}")


@app.command()
def history(ctx: typer.Context, outbox_id: int, json_output: bool = typer.Option(False, "--json")) -> None:
    """Every decision taken on a message."""
    from agent import review as desk

    rows = desk.history(workspace(ctx), outbox_id)
    if json_output:
        print_json(rows)
        return
    for row in rows:
        console.print(
            f"{row['at']} {row['action']} by {row['reviewer']}" + (f": {row['reason']}" if row["reason"] else "")
        )
