"""The HTTP app: one-click unsubscribe (RFC 8058), signed webhooks for leads and mail, a health check.

- `POST /unsubscribe?t=TOKEN`: what mail providers call for a one-click unsubscribe (body
  `List-Unsubscribe=One-Click`). The signed token names the address; it is suppressed at once and
  the answer is 200, however often it is called.
- `GET /unsubscribe?t=TOKEN`: a page with one button that POSTs. A GET never unsubscribes:
  link scanners follow links.
- `POST /leads`: one lead as JSON, signed. Recorded while the form waits (202 with its id), and
  answered right after, in the background.
- `POST /messages`: one raw RFC 5322 message from a mail provider's inbound webhook, signed,
  handed to reply handling in the background.
- `GET /healthz`.
Query strings carry unsubscribe tokens (an address, signed): the access log is off, and the app
logs what it did without them.
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email import message_from_bytes, policy
from email.message import Message
from typing import TYPE_CHECKING

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from agent.drafting.compliance import read_unsubscribe_token
from agent.errors import InputError
from agent.server.signatures import HEADER, Verifier
from agent.suppression import suppress
from agent.workspace import Workspace

if TYPE_CHECKING:
    from agent.replies.classify import ReplyReader

log = logging.getLogger("uvicorn.error")  # uvicorn configures it: our lines appear with its own
MAX_LEAD_BYTES = 64 * 1024
MAX_MESSAGE_BYTES = 10 * 1024 * 1024

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{title}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 4rem auto; line-height: 1.5">
{content}
</body></html>
"""


def _page(title: str, content: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=html.escape(title), content=content), status_code=status)


def create_app(ws: Workspace, *, campaign: str | None = None, reader: ReplyReader | None = None) -> Starlette:
    """The app over one workspace; `campaign` answers `POST /leads` (without it, leads get 503).

    Handlers that touch the store are plain functions (Starlette runs them in its thread pool) or
    hand the store work to it, so the event loop never waits on a write.
    """
    secret = ws.settings.inbound_secret
    verifier = Verifier(secret.get_secret_value(), ws.settings.inbound_max_age_seconds) if secret else None
    ws.require_unsubscribe_secret("`sdr serve` (it verifies the unsubscribe links)")
    unsubscribe_secret = ws.unsubscribe_secret

    def token_of(request: Request) -> tuple[str, str] | None:
        return read_unsubscribe_token(request.query_params.get("t", ""), unsubscribe_secret)

    def unsubscribe_page(request: Request) -> Response:
        found = token_of(request)
        if found is None:
            return _page("Link not valid", "<p>This unsubscribe link is not valid. Nothing was changed.</p>", 400)
        email = html.escape(found[0])
        return _page(
            "Unsubscribe",
            f"<p>Stop all emails to <strong>{email}</strong>?</p>"
            '<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">'
            '<button type="submit">Unsubscribe</button></form>',
        )

    def unsubscribe(request: Request) -> Response:
        found = token_of(request)
        if found is None:
            return PlainTextResponse("invalid unsubscribe token: nothing was changed\n", status_code=400)
        email, campaign_name = found
        with ws.store.transaction() as session:
            added = suppress(session, email, "unsubscribe", source=f"one-click unsubscribe ({campaign_name})")
        log.info("unsubscribe: %s (%s)", "suppressed" if added else "already suppressed", campaign_name)
        if "text/html" in request.headers.get("accept", ""):
            return _page("Unsubscribed", f"<p>Done: no more emails will go to {html.escape(email)}.</p>")
        return PlainTextResponse("unsubscribed\n")

    async def signed_body(request: Request, limit: int) -> bytes | Response:
        if verifier is None:
            return JSONResponse({"error": "SDR_INBOUND_SECRET is not set: signed webhooks are off"}, status_code=503)
        body = await request.body()
        if len(body) > limit:
            return JSONResponse({"error": f"body over {limit} bytes"}, status_code=413)
        problem = verifier.check(request.headers.get(HEADER), body)
        if problem is not None:
            log.warning("refused %s: %s", request.url.path, problem)
            return JSONResponse({"error": problem}, status_code=401)
        return body

    async def leads(request: Request) -> Response:
        from agent.inbound.answer import answer_received, reader_of, receive_lead
        from agent.inbound.lead import parse_lead

        body = await signed_body(request, MAX_LEAD_BYTES)
        if isinstance(body, Response):
            return body
        if campaign is None:
            return JSONResponse({"error": "no campaign: start the server with --campaign NAME"}, status_code=503)
        try:
            lead = parse_lead(body.decode("utf-8", errors="replace"))
            received = await run_in_threadpool(receive_lead, ws, lead, campaign)
        except InputError as exc:
            return JSONResponse({"error": str(exc), "field": exc.field}, status_code=422)
        log.info("lead %s received%s", received.lead_id, " (duplicate)" if received.duplicate_of else "")
        task = BackgroundTask(answer_received, ws, received.lead_id, reader=reader or reader_of(ws))
        return JSONResponse(
            {"id": received.lead_id, "duplicate_of": received.duplicate_of}, status_code=202, background=task
        )

    async def messages(request: Request) -> Response:
        body = await signed_body(request, MAX_MESSAGE_BYTES)
        if isinstance(body, Response):
            return body
        message = message_from_bytes(body, policy=policy.default)
        if not message.keys():
            return JSONResponse({"error": "not an RFC 5322 message: no headers"}, status_code=422)
        task = BackgroundTask(_handle_reply, ws, message, reader)
        accepted = {"accepted": True, "message_id": message.get("Message-ID")}
        return JSONResponse(accepted, status_code=202, background=task)

    def healthz(_request: Request) -> Response:
        with ws.store.transaction() as session:
            session.execute(text("SELECT 1"))
        return JSONResponse({"ok": True, "campaign": campaign, "webhooks": verifier is not None})

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        threading.Thread(target=_resume, args=(ws, reader), name="sdr-inbound-resume", daemon=True).start()
        yield

    return Starlette(
        routes=[
            Route("/unsubscribe", unsubscribe_page, methods=["GET"]),
            Route("/unsubscribe", unsubscribe, methods=["POST"]),
            Route("/leads", leads, methods=["POST"]),
            Route("/messages", messages, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def _handle_reply(ws: Workspace, message: Message, reader: ReplyReader | None) -> None:
    """The server's worker: act on a reply, then send what is approved and due (its answer, a
    meeting email), through the one send path. Cold sequence steps are `sdr send`'s."""
    from agent.replies.handling import handle_message
    from agent.sending.sender import send_due

    handle_message(ws, message, source="webhook /messages", reader=reader)
    send_due(ws, steps=False)


def _resume(ws: Workspace, reader: ReplyReader | None) -> None:
    """Load the reader before the first lead needs it, then answer the leads a stopped server left."""
    from agent.inbound.answer import answer_received, reader_of, unanswered

    reader = reader or reader_of(ws)
    for lead_id in unanswered(ws):
        answer_received(ws, lead_id, reader=reader)
        log.info("lead %s answered on restart", lead_id)
