"""`sdr crm`: import a CRM's list, write back what the agent did, and see where that stands."""

from __future__ import annotations

import typer

from agent.cli.common import console, plain, print_import, print_json, progress_bars, workspace
from agent.errors import UserError

app = typer.Typer(help="The CRM kept in step: import from it, write activities back (HubSpot, Salesforce).")

PROVIDER = typer.Option(..., "--provider", envvar="SDR_CRM", help="hubspot or salesforce (or SDR_CRM).")


@app.command("import")
def import_(
    ctx: typer.Context,
    provider: str = PROVIDER,
    list_id: str | None = typer.Option(None, "--list", help="A HubSpot list's id, or a Salesforce campaign's id."),
    where: str | None = typer.Option(None, "--where", help="Salesforce: a SOQL condition on Contact."),
    json_output: bool = typer.Option(False, "--json"),
) -> None:
    """Import a list's contacts and their companies, by the rules of `sdr import` (all or nothing)."""
    from agent.crm.imports import import_from_crm
    from agent.crm.model import Selection
    from agent.crm.providers import build_crm

    if (list_id is None) == (where is None):
        raise UserError("name what to import: --list ID or --where CONDITION (one of them)")
    ws = workspace(ctx)
    summary = import_from_crm(ws, build_crm(ws.settings, provider), Selection(list_id=list_id, where=where))
    if json_output:
        print_json(summary.__dict__)
        return
    print_import(summary, "contacts")


@app.command("sync")
def sync(
    ctx: typer.Context,
    provider: str = PROVIDER,
    json_output: bool = typer.Option(False, "--json"),
) -> None:
    """Write to the CRM what it does not hold yet: messages sent, replies, meetings, handoffs."""
    from agent.crm.providers import build_crm
    from agent.crm.sync import sync_crm

    ws = workspace(ctx)
    crm = build_crm(ws.settings, provider)
    with progress_bars(not json_output) as progress:
        summary = sync_crm(ws, crm, progress=progress)
    if json_output:
        print_json(summary.as_dict())
        return
    written = ", ".join(f"{n} {kind}" for kind, n in sorted(summary.written.items())) or "nothing new"
    console.print(f"[green]{provider}[/]: written {written}")
    if summary.erased.activities:
        console.print(f"erased {summary.erased.activities} activities about people who asked to be forgotten")
    if summary.erased.records_left:
        console.print(
            f"[yellow]the {provider} records of forgotten people are the CRM's own:[/] erase "
            + ", ".join(summary.erased.records_left)
            + f" with {provider}'s privacy tools"
        )
    for refusal in summary.refused:
        console.print(f"  [red]refused[/] {plain(refusal)}", highlight=False)
    if summary.refused:
        console.print("fix these in the CRM (or its settings) and run [bold]sdr crm sync[/] again")


@app.command("status")
def status(
    ctx: typer.Context,
    provider: str = PROVIDER,
    json_output: bool = typer.Option(False, "--json"),
) -> None:
    """What waits to be written, what the CRM refused, and the last sync and import."""
    from agent.crm.providers import known
    from agent.crm.status import crm_status

    if provider not in known():
        raise UserError(f"unknown CRM {provider!r} (known: {', '.join(known())})")
    report = crm_status(workspace(ctx), provider)
    if json_output:
        print_json(report)
        return
    waiting = ", ".join(f"{n} {kind}" for kind, n in sorted(report.pending.items())) or "nothing"
    console.print(f"[bold]{provider}[/]: {report.activities_written} activities written, waiting: {waiting}")
    console.print(f"  contacts linked to {provider}: {report.contacts_linked}")
    for label, run in (("last sync", report.last_sync), ("last import", report.last_import)):
        if run is None:
            console.print(f"  {label}: never")
            continue
        outcome = (
            f"[red]stopped[/]: {plain(run.error)}" if run.error else f"{run.written} written, {run.failed} refused"
        )
        console.print(f"  {label}: {run.started_at:%Y-%m-%d %H:%M} UTC, {outcome}", highlight=False)
    for refusal in report.refused:
        console.print(f"  [red]refused[/] {plain(refusal)}", highlight=False)
