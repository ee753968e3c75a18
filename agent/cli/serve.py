"""`sdr serve`: one-click unsubscribe, signed webhooks for leads and replies, a health check."""

from __future__ import annotations

import logging.config

import typer

from agent.cli.common import workspace
from agent.logs import log_config


def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="Address to bind; put a TLS proxy in front for the public URL."),
    port: int = typer.Option(8000, min=1, max=65535),
    campaign: str | None = typer.Option(
        None, "--campaign", help="The campaign (name, or its YAML file) that answers POST /leads."
    ),
) -> None:
    """Serve POST/GET /unsubscribe, POST /leads, POST /messages and GET /healthz.

    Webhooks are signed with SDR_INBOUND_SECRET (header X-SDR-Signature: t=<unix>,v1=<hex HMAC-SHA256
    of "<t>." + body>); without it they answer 503. Point the campaign's sender.unsubscribe_url at
    this server's public /unsubscribe. Logs go to stderr at SDR_LOG_LEVEL (INFO), one JSON object
    per line with SDR_LOG_JSON=1.
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
    uvicorn.run(
        create_app(ws, campaign=campaign),
        host=host,
        port=port,
        access_log=False,
        log_level=ws.settings.log_level.lower(),
        log_config=None,  # configured above
    )
