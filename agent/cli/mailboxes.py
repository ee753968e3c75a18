"""`sdr mailboxes`: each campaign's sending mailboxes: today's cap (warm-up included), what went out
in the last 24 hours, bounce, complaint and opt-out rates, and whether a circuit breaker stopped it."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from agent.cli.common import console, plain, print_json, reviewer_name, workspace

app = typer.Typer(help="Sending mailboxes: caps, warm-up, health; resume one a breaker stopped.")


def _report(ctx: typer.Context, campaign: str | None) -> list[dict[str, Any]]:
    from datetime import timedelta

    from sqlalchemy import select

    from agent.campaign import CampaignSpec
    from agent.clock import utcnow
    from agent.sending import health
    from agent.sending.sender import sent_from
    from agent.store.tables import Campaign

    now, rows = utcnow(), []
    with workspace(ctx).store.transaction() as session:
        query = select(Campaign).where(Campaign.name == campaign) if campaign else select(Campaign)
        for row in session.scalars(query.order_by(Campaign.id)):
            spec = CampaignSpec.model_validate(row.spec)
            since = now - timedelta(days=spec.health.window_days)
            paused = health.pauses(session, row.id)
            for box in [None, *spec.sender.all_mailboxes()]:
                address = box.email if box else None
                rates = health.rates(session, row.id, address, since)
                pause = paused.get(address)
                rows.append(
                    {
                        "campaign": row.name,
                        "mailbox": address or "(whole campaign)",
                        "cap_today": health.cap_today(box, now.date()) if box else None,
                        "sent_24h": sent_from(session, address, now) if address else None,
                        "sent_in_window": rates.sent,
                        "bounced": rates.bounced,
                        "complained": rates.complained,
                        "opted_out": rates.opted_out,
                        "paused": pause.reason if pause else None,
                        "paused_at": pause.paused_at.isoformat() if pause else None,
                    }
                )
    return rows


@app.callback(invoke_without_command=True)
def mailboxes(
    ctx: typer.Context,
    campaign: str | None = typer.Option(None, help="Only this campaign."),
    json_output: bool = typer.Option(False, "--json"),
) -> None:
    if ctx.invoked_subcommand is not None:
        return
    rows = _report(ctx, campaign)
    if json_output:
        print_json(rows)
        return
    table = Table(
        "campaign", "mailbox", "cap today", "sent 24h", "window: sent / bounced / complaints / opt-outs", "state"
    )
    for r in rows:
        table.add_row(
            r["campaign"],
            plain(r["mailbox"]),
            str(r["cap_today"] or ""),
            str(r["sent_24h"] if r["sent_24h"] is not None else ""),
            f"{r['sent_in_window']} / {r['bounced']} / {r['complained']} / {r['opted_out']}",
            f"[red]paused[/]: {plain(r['paused'])}" if r["paused"] else "sending",
        )
    console.print(table)


@app.command()
def resume(
    ctx: typer.Context,
    campaign: str = typer.Option(..., help="The campaign."),
    mailbox: str | None = typer.Argument(None, help="The mailbox; omit to resume the whole campaign."),
) -> None:
    """Let a mailbox (or a campaign) a breaker stopped send again, once the cause is dealt with."""
    from agent.clock import utcnow
    from agent.pipeline import campaign_by_name
    from agent.sending.health import resume as resume_sending

    ws = workspace(ctx)
    campaign_id, _ = campaign_by_name(ws, campaign)
    with ws.store.transaction() as session:
        resume_sending(session, campaign_id, mailbox, reviewer_name(), utcnow())
    console.print(f"{mailbox or 'campaign ' + campaign} sends again")
