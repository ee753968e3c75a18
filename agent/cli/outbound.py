"""`sdr import`, `sdr run`, `sdr status`: from files to drafts awaiting review."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from agent.cli.common import console, plain, print_import, print_json, progress_bars, workspace
from agent.settings import NO_MODEL


def import_(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help="CSV (native, HubSpot or Salesforce columns), JSON or JSONL."),
    ignore_unknown_columns: bool = typer.Option(False, help="Skip columns the importer does not know."),
    json_output: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Import accounts and contacts. Any bad row rejects the whole import, every file of it."""
    from agent.accounts.importer import import_files

    ws = workspace(ctx)
    summaries = import_files(ws.store, files, ignore_unknown=ignore_unknown_columns)
    if json_output:
        print_json([s.__dict__ for s in summaries])
        return
    for summary in summaries:
        print_import(summary)


def run(
    ctx: typer.Context,
    campaign_file: Path = typer.Argument(..., help="The campaign YAML file."),
    sources: Path | None = typer.Option(None, help="Folder of saved sources, one sub-folder per account domain."),
    force_research: bool = typer.Option(False, help="Research again even if sources did not change."),
    json_output: bool = typer.Option(False, "--json"),
) -> None:
    """Research, score, enroll and draft for a campaign. Resumes where an earlier run stopped."""
    from agent.campaign import load_campaign
    from agent.pipeline import run_campaign

    load_campaign(campaign_file)  # a bad file fails here, before any progress bar is drawn
    if sources is not None:
        ctx.find_root().obj.setdefault("overrides", {})["sources_dir_setting"] = sources
    ws = workspace(ctx)
    with progress_bars(not json_output) as progress:
        summary = run_campaign(ws, campaign_file, progress=progress, force_research=force_research)
    if json_output:
        print_json(summary.__dict__)
        return
    console.print(
        f"[bold]{summary.campaign}[/]: researched {summary.researched} accounts "
        f"({summary.research_skipped} unchanged), enrolled {summary.enrolled} contacts, "
        f"drafted {summary.drafted} sequences."
    )
    if summary.not_enrolled:
        console.print("not enrolled: " + ", ".join(f"{n} {why}" for why, n in summary.not_enrolled.items()))
    for error in summary.errors:
        console.print(f"[red]error[/] {error}")
    console.print("next: [bold]sdr review[/] to approve drafts, then [bold]sdr send[/].")


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.0%}"


def status(
    ctx: typer.Context,
    campaign: str | None = typer.Argument(None, help="A campaign name; all campaigns if omitted."),
    json_output: bool = typer.Option(False, "--json"),
) -> None:
    """Results (replies, meetings, accepted handoffs), the outbox by origin and state, and model
    calls, tokens and time per lead."""
    from agent.status import campaign_status

    report = campaign_status(workspace(ctx), campaign)
    if json_output:
        print_json(report)
        return
    console.print(
        f"accounts {report.accounts} ({report.accounts_researched} researched), "
        f"contacts {report.contacts}, suppressed {report.suppressed}"
        + (f", held as possible opt-outs {report.held} (`sdr replies list --review`)" if report.held else "")
    )
    if report.chat_model == NO_MODEL:
        console.print(
            plain(
                "chat model: none. Rules, templates and the classifiers do the work; model-written research, "
                "drafts and answers need one: pip install 'sdr-agent[local]', or set OPENAI_BASE_URL"
            )
        )
    else:
        console.print(f"chat model: {plain(report.chat_model)}")
    for c in report.campaigns:
        table = Table(title=f"campaign {c.campaign}", show_header=False)
        r = c.results
        table.add_row(
            "results",
            f"contacted {r.contacted}, replied {r.replied} ({_percent(r.reply_rate)}), positive {r.positive}, "
            f"opted out {r.opted_out}, bounced {r.bounced}",
        )
        table.add_row(
            "meetings",
            f"booked {r.meetings_booked}, held {r.meetings_held}, no-shows {r.no_shows} "
            f"(show rate {_percent(r.show_rate)})",
        )
        table.add_row(
            "handoffs",
            f"{r.handoffs}: accepted {r.handoffs_accepted}, open {r.handoffs_open} "
            f"(acceptance {_percent(r.acceptance_rate)})",
        )
        table.add_row("enrolled", f"{c.enrolled} (" + ", ".join(f"{n} {k}" for k, n in c.enrollments.items()) + ")")
        for origin, states in sorted(c.outbox.items()):
            table.add_row(origin.replace("_", " ") + "s", ", ".join(f"{k} {v}" for k, v in sorted(states.items())))
        table.add_row(
            "model calls",
            f"{c.model.calls} ({c.model.failed_calls} failed), tokens "
            f"{c.model.tokens_in} in / {c.model.tokens_out} out, {c.model.model_seconds}s",
        )
        if c.model.endpoint_problem:
            table.add_row("model endpoint", f"[red]cannot serve[/] {plain(c.model.endpoint_problem)}")
        if c.per_lead:
            table.add_row("per lead", ", ".join(f"{k} {v}" for k, v in c.per_lead.items()))
        for mailbox, why in c.paused.items():
            table.add_row(f"[red]paused[/] {plain(mailbox)}", f"{plain(why)} (sdr mailboxes resume)")
        console.print(table)
