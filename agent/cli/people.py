"""`sdr people`: what is held about a person, exported or erased on their request, and the
retention period applied to everything."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import typer

from agent import clock
from agent.cli.common import console, plain, print_json, workspace
from agent.errors import ConfigError

app = typer.Typer(help="People's data: export or erase what is held about someone; purge old text.")


@app.command()
def export(
    ctx: typer.Context,
    address: str = typer.Argument(..., help="The person's email address."),
    out: Path | None = typer.Option(None, "--out", help="Write the JSON here instead of printing it."),
) -> None:
    """Everything held about a person, as JSON (a subject access request)."""
    from agent.people.export import export_person

    document = json.dumps(export_person(workspace(ctx), address), indent=2, default=str, ensure_ascii=False)
    if out is None:
        typer.echo(document)
        return
    out.write_text(document + "\n", encoding="utf-8")
    console.print(f"{plain(address)}: written to {plain(out)}")


@app.command()
def forget(
    ctx: typer.Context,
    address: str = typer.Argument(..., help="The person's email address."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
    json_output: bool = typer.Option(False, "--json"),
) -> None:
    """Erase a person's data everywhere; only a keyed hash of the address stays, so they are never
    contacted again. Needs SDR_ERASURE_SECRET, which must never change afterwards."""
    from agent.people.forget import forget as erase

    ws = workspace(ctx)
    if not yes:
        typer.confirm(f"Erase everything held about {address}? This cannot be undone", abort=True)
    summary = erase(ws, address)
    if json_output:
        print_json({**summary.__dict__, "changed": dict(summary.changed), "found": summary.found})
        return
    if not summary.found:
        console.print(f"{plain(address)}: nothing was held; added to the do-not-contact list by hash")
        return
    tables = ", ".join(f"{table} {n}" for table, n in sorted(summary.changed.items()) if n)
    console.print(f"{plain(address)}: erased ({tables}; call chunks {summary.call_chunks}); kept only its hash")
    if summary.crm_entries:
        console.print(
            f"{summary.crm_entries} record(s) the agent wrote to a CRM about them: erased there by the next "
            "`sdr crm sync`"
        )
    if summary.meetings_on_calendars:
        console.print(
            f"[yellow]{summary.meetings_on_calendars} booked meeting(s) remain on the AE's calendar:[/] "
            "cancel them there (`sdr meetings cancel`) if they should not take place"
        )


@app.command()
def purge(
    ctx: typer.Context,
    older_than: str | None = typer.Option(None, "--older-than", help="e.g. 180d or 26w; default: SDR_RETENTION_DAYS."),
    json_output: bool = typer.Option(False, "--json"),
) -> None:
    """Purge replies, message bodies and inbound forms older than the retention period."""
    from agent.people.retention import purge as purge_old
    from agent.people.retention import retention_period

    ws = workspace(ctx)
    if older_than is not None:
        period = retention_period(older_than)
    elif ws.settings.retention_days is not None:
        period = timedelta(days=ws.settings.retention_days)
    else:
        raise ConfigError("give --older-than (e.g. 180d), or set SDR_RETENTION_DAYS")
    summary = purge_old(ws, period, clock.utcnow())
    if json_output:
        print_json(summary.__dict__)
        return
    console.print(
        f"older than {summary.cut_off:%Y-%m-%d %H:%M} UTC: purged {summary.replies} replies, "
        f"{summary.messages} message bodies, {summary.inbound_leads} inbound forms"
    )
