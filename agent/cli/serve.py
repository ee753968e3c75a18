"""`sdr serve`: one-click unsubscribe, signed webhooks for leads and replies, a health check."""

from __future__ import annotations

import logging.config

import typer

from agent.cli.common import console, workspace
from agent.logs import log_config


def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="Address to bind; put a TLS proxy in front for the public URL."),
    port: int = typer.Option(8000, min=1, max=65535),
    campaign: str | None = typer.Option(
        None, "--campaign", help="The campaign (name, or its YAML file) that answers POST /leads."
    ),
    worker: bool = typer.Option(True, help="Run a worker in this process; --no-worker: `sdr worker` processes do."),
    send_steps: bool = typer.Option(False, help="The worker also sends the sequences' due steps (else `sdr send`)."),
    desk: bool = typer.Option(
        True, help="Serve the review desk at /desk (needs SDR_DESK_SECRET); --no-desk: webhooks only."
    ),
) -> None:
    """Serve the review desk (/desk), POST/GET /unsubscribe, POST /leads, POST /messages and GET /healthz.

    Webhooks are signed with SDR_INBOUND_SECRET (header X-SDR-Signature: t=<unix>,v1=<hex HMAC-SHA256
    of "<t>." + body>, or the Standard Webhooks headers); without it they answer 503. What they carry
    is stored before the 202 and a worker does the work. Point the campaign's sender.unsubscribe_url
    at this server's public /unsubscribe. GET /metrics for Prometheus. Logs go to stderr at
    SDR_LOG_LEVEL (INFO), one JSON object per line with SDR_LOG_JSON=1.
    """
    import uvicorn

    from agent.cli.inbound import campaign_name
    from agent.server.app import create_app

    ws = workspace(ctx)
    if campaign is not None:
        campaign = campaign_name(ctx, campaign)  # an unknown campaign stops here, not at the first lead
    logging.config.dictConfig(log_config(ws.settings))  # before the first line, so every line is alike
    if ws.settings.inbound_secret is None:
        logging.getLogger("agent.server").warning(
            "SDR_INBOUND_SECRET is not set: POST /leads and /messages will answer 503"
        )
    # The access log would print query strings, and unsubscribe tokens carry addresses.
    app = create_app(ws, campaign=campaign, worker=worker, send_steps=send_steps, desk=desk)
    if desk:
        logging.getLogger("agent.server").info("the review desk: http://%s:%s/desk/ (sdr users add)", host, port)
    uvicorn.run(
        app,
        host=host,
        port=port,
        access_log=False,
        log_level=ws.settings.log_level.lower(),
        log_config=None,  # configured above
        timeout_keep_alive=30,
    )


def worker(
    ctx: typer.Context,
    interval: float = typer.Option(5.0, help="Seconds between rounds when nothing new came in."),
    steps: bool = typer.Option(True, help="Send the sequences' due steps too (--no-steps: answers only)."),
    once: bool = typer.Option(False, help="One round, then exit (for cron and tests)."),
) -> None:
    """The agent's background work, as many processes as needed on one store: answer recorded
    inbound leads, read the replies the webhooks kept, send what is approved and due. Each piece of
    work is claimed first, so it is done once; a worker that stops leaves nothing stuck. With
    SDR_CRM_SYNC_MINUTES, it also writes back to every CRM with credentials that often."""
    import signal
    import threading
    from datetime import timedelta

    from agent.worker import Worker

    ws = workspace(ctx)
    minutes = ws.settings.crm_sync_minutes
    background = Worker(ws, steps=steps, crm_every=timedelta(minutes=minutes) if minutes else None)
    if once:
        done = background.round()
        sent = len(done.sent.sent) if done.sent else 0
        crm = "".join(f", written to {s.provider} {s.written.total()}" for s in done.crm)
        console.print(f"answered {len(done.leads)} leads, read {done.mail} replies, sent {sent}{crm}")
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    console.print(f"worker on {ws.settings.workspace}: a round every {interval:g} s (Ctrl-C stops)")
    try:
        background.run(stop, interval=interval)
    except KeyboardInterrupt:
        stop.set()
