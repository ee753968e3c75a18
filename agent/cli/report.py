"""`sdr report --html FILE`: the operators' dashboard as one static HTML file to share."""

from __future__ import annotations

from pathlib import Path

import typer

from agent.cli.common import console, workspace


def report(
    ctx: typer.Context,
    campaign: str | None = typer.Argument(None, help="A campaign name; every campaign if omitted."),
    html: Path = typer.Option(..., "--html", help="Write the dashboard to this file (charts inside, no script)."),
) -> None:
    """The results dashboard (funnel, replies by intent, rates by step and segment, speed-to-lead,
    show rate, model use per lead) as one HTML file: the same figures as `sdr status --json`."""
    from agent.clock import utcnow
    from agent.desk.dashboard import campaign_names, report_html
    from agent.errors import NotFound

    ws = workspace(ctx)
    if campaign is not None and campaign not in campaign_names(ws):
        raise NotFound(f"no campaign {campaign!r} (sdr status lists them)")
    html.write_text(report_html(ws, campaign, utcnow().strftime("%Y-%m-%d %H:%M UTC")), encoding="utf-8")
    console.print(f"wrote {html}")
