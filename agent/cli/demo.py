"""`sdr demo`: the whole outbound path on the fictional demo workspace, offline."""

from __future__ import annotations

from pathlib import Path

import typer

from agent.cli.common import console, progress_bars, workspace

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def demo(
    ctx: typer.Context,
    examples: Path = typer.Option(EXAMPLES, help="The demo workspace folder."),
) -> None:
    """Import the demo accounts, run the demo campaign, and send what the policy approved."""
    from agent.accounts.importer import import_file
    from agent.calls.ingest import ingest
    from agent.campaign import load_campaign
    from agent.clock import utcnow
    from agent.meetings.admin import seed_calendars
    from agent.pipeline import run_campaign
    from agent.sending.schedule import next_business_morning
    from agent.sending.sender import send_due

    campaign_file = examples / "campaign.yaml"
    ctx.find_root().obj.setdefault("overrides", {})["sources_dir_setting"] = examples / "sources"
    ws = workspace(ctx)
    for name in ("accounts.csv", "contacts.csv"):
        s = import_file(ws.store, examples / name)
        console.print(f"imported {name}: {s.accounts_created} new accounts, {s.contacts_created} new contacts")
    spec = load_campaign(campaign_file)
    if spec.meetings is not None:  # the AEs' calendars, with their existing meetings
        seed_calendars(ws, spec.meetings, examples / "calendars")
    calls = ingest(ws.settings, examples / "calls")
    console.print(f"ingested {calls.calls_added} past calls ({calls.moments_added} moments) for messaging context")
    with progress_bars() as progress:
        summary = run_campaign(ws, campaign_file, progress=progress)
    console.print(
        f"campaign {summary.campaign}: researched {summary.researched} accounts, "
        f"enrolled {summary.enrolled}, drafted {summary.drafted} sequences"
        + (f", {len(summary.errors)} errors" if summary.errors else "")
    )
    when = next_business_morning(utcnow(), spec.sending)
    sent = send_due(ws, now=when)
    console.print(
        f"sent {len(sent.sent)} approved first steps as of {when:%a %Y-%m-%d %H:%M} UTC; waiting: "
        + ", ".join(f"{n} {why}" for why, n in sorted(sent.waiting.items()))
    )
    console.print(
        f"\nRead the emails in [bold]{ws.settings.outbox_dir}[/], review the rest with "
        "[bold]sdr review[/], and see [bold]sdr status[/]."
    )
