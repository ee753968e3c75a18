"""The HTTP app: one-click unsubscribe (RFC 8058), signed webhooks for leads and mail, a health check.

- `POST /unsubscribe?t=TOKEN`: what mail providers call for a one-click unsubscribe (body
  `List-Unsubscribe=One-Click`). The signed token names the address; it is suppressed at once and
  the answer is 200, however often it is called.
- `GET /unsubscribe?t=TOKEN`: a page with one button that POSTs. A GET never unsubscribes:
  link scanners follow links.
- `POST /leads`: one lead as JSON, signed (ours, or Standard Webhooks). Stored, with the request's
  key, before the 202 (with its id); a worker answers it right after.
- `POST /messages`: one raw RFC 5322 message from a mail provider's inbound webhook, signed;
  stored before the 202, read and acted on by a worker.
- `GET /healthz`, `GET /metrics` (Prometheus).
- `/desk/...`: the review desk (`agent.desk`), when asked for; it needs SDR_DESK_SECRET.
A body is refused as soon as it passes its cap; a replayed request is refused by every process,
also after a restart (the keys are in the store); beyond `max_inflight` requests at once, 503 with
Retry-After.
Query strings carry unsubscribe tokens (an address, signed): the access log is off, and the app
logs what it did without them.
"""

from __future__ import annotations

import html
import logging
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from email import message_from_bytes, policy
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent.desk.app import desk_routes
from agent.drafting.compliance import read_unsubscribe_token
from agent.errors import InputError, Replayed
from agent.inbound.answer import keep_lead
from agent.inbound.lead import parse_lead
from agent.replies import mailroom
from agent.server.group_commit import GroupCommit
from agent.server.metrics import ServerMetrics
from agent.server.signatures import Verified, Verifier
from agent.store.tables import keep_receipt
from agent.suppression import suppress
from agent.worker import Worker
from agent.workspace import Workspace

if TYPE_CHECKING:
    from agent.replies.classify import ReplyReader

T = TypeVar("T")
log = logging.getLogger("uvicorn.error")  # uvicorn configures it: our lines appear with its own
MAX_LEAD_BYTES = 64 * 1024
MAX_INFLIGHT = 64  # requests at once; beyond, 503 with Retry-After
MAX_MESSAGE_BYTES = 10 * 1024 * 1024
# The server's own worker waits while requests are being answered, at most this long before each
# lead: acknowledgements first (a sender that hears nothing retries), yet the worker keeps going
# under traffic that never stops.
WORKER_YIELDS_SECONDS = 0.5

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{title}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 4rem auto; line-height: 1.5">
{content}
</body></html>
"""


async def capped_body(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it is known to pass `limit` (the rest is never read)."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


class Gate:
    """At most `max_inflight` requests at once; the next gets 503 with Retry-After (never a dropped
    connection), and every request carries a request id in its answer and in the logs. `quiet` is
    set while no request is being answered."""

    def __init__(self, app: ASGIApp, max_inflight: int, quiet: threading.Event) -> None:
        self.app, self.max_inflight, self.inflight, self.quiet = app, max_inflight, 0, quiet
        quiet.set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")[:64] or uuid.uuid4().hex
        if self.inflight >= self.max_inflight:
            busy = JSONResponse(
                {"error": "busy: try again in a second"}, 503, {"Retry-After": "1", "X-Request-ID": request_id}
            )
            await busy(scope, receive, send)
            return

        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        self.inflight += 1
        self.quiet.clear()
        try:
            await self.app(scope, receive, tagged)
        finally:
            self.inflight -= 1
            if not self.inflight:
                self.quiet.set()


def _page(title: str, content: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=html.escape(title), content=content), status_code=status)


def create_app(
    ws: Workspace,
    *,
    campaign: str | None = None,
    reader: ReplyReader | None = None,
    worker: bool = True,
    send_steps: bool = False,
    max_inflight: int = MAX_INFLIGHT,
    desk: bool = False,
) -> Starlette:
    """The app over one workspace; `campaign` answers `POST /leads` (without it, leads get 503).

    A webhook is answered 202 once what it carried is stored; the work is done by a worker (this
    process's own, unless `worker` is off and `sdr worker` processes do it). Handlers that touch
    the store hand the store work to the thread pool, so the event loop never waits on a write.
    """
    secret = ws.settings.inbound_secret
    verifier = Verifier(secret.get_secret_value(), ws.settings.inbound_max_age_seconds) if secret else None
    metrics = ServerMetrics(ws)
    accepted, refusals = metrics.accepted, metrics.refused
    stop, wake, quiet = threading.Event(), threading.Event(), threading.Event()

    def yield_to_requests() -> None:
        """The worker shares this process's interpreter and cores: working while requests wait slows
        every acknowledgement (bench/load.py, 50 at once: ack p99 137 ms with it working through
        them, 117 ms when it waits; 99-105 ms with no worker)."""
        quiet.wait(WORKER_YIELDS_SECONDS)

    background = Worker(ws, reader=reader, steps=send_steps, pause=yield_to_requests) if worker else None
    ws.require_unsubscribe_secret("`sdr serve` (it verifies the unsubscribe links)")
    unsubscribe_secret = ws.unsubscribe_secret
    desk_pages = desk_routes(ws) if desk else []  # without its secret this stops here, before serving
    # SQLite lets one writer in at a time and has the others retry after sleeps of up to 100 ms: 50
    # webhooks at once waited there (ack p99 1.3 s). Ours queue here instead, in arrival order, and
    # those that wait together are written together (no worker, 50 at once: ack p99 177-327 ms one
    # transaction each, 99-105 ms together). On PostgreSQL too: a transaction each cost the server a
    # commit's round trips and flush per request (bench/load.py --postgres, 50 at once: ack p99
    # 445-601 ms, 171-210 ms together).
    group = GroupCommit(ws.store)

    async def stored(work: Callable[[Session], T]) -> T:
        """`work` (a store write) in the thread pool, in a transaction shared with the writes waiting
        beside it (alone if it cannot be kept with them)."""
        return await group.write(work)

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

    def unsigned(request: Request, why: str) -> Response:
        refusals.labels(reason=why.split(":")[0].split(" (")[0].replace(" ", "_")).inc()
        log.warning("refused %s: %s", request.url.path, why)
        return JSONResponse({"error": why}, status_code=401)

    async def signed_body(request: Request, limit: int) -> tuple[bytes, Verified] | Response:
        """The body, read up to `limit` and refused as soon as it passes it, then its signature:
        nothing of an oversized or unsigned request is kept. A request without a signature, or
        with a malformed or stale one, is refused before any of its body is read."""
        if verifier is None:
            return JSONResponse({"error": "SDR_INBOUND_SECRET is not set: signed webhooks are off"}, status_code=503)
        headers = dict(request.headers)
        if (why := verifier.refuse_early(headers)) is not None:
            return unsigned(request, why)
        body = await capped_body(request, limit)
        if body is None:
            refusals.labels(reason="too_large").inc()
            return JSONResponse({"error": f"body over {limit} bytes"}, status_code=413)
        verified = verifier.check(headers, body)
        if isinstance(verified, str):
            return unsigned(request, verified)
        return body, verified

    def replayed(verified: Verified, exc: Replayed) -> Response:
        if verified.retry_means_same:  # the sender did not hear our 202 and tried again: acknowledged, done once
            return JSONResponse({"accepted": True, "duplicate": True}, status_code=202)
        refusals.labels(reason="replayed").inc()
        return JSONResponse({"error": f"replayed request: {exc}"}, status_code=401)

    async def leads(request: Request) -> Response:
        signed = await signed_body(request, MAX_LEAD_BYTES)
        if isinstance(signed, Response):
            return signed
        body, verified = signed
        if campaign is None:
            return JSONResponse({"error": "no campaign: start the server with --campaign NAME"}, status_code=503)
        try:
            lead = parse_lead(body.decode("utf-8", errors="replace"))
            received = await stored(partial(keep_lead, lead=lead, campaign=campaign, receipt=verified.key))
        except Replayed as exc:
            return replayed(verified, exc)
        except InputError as exc:
            return JSONResponse({"error": str(exc), "field": exc.field}, status_code=422)
        accepted.labels(kind="lead").inc()
        wake.set()  # stored: the worker answers it now
        return JSONResponse({"id": received.lead_id, "duplicate_of": received.duplicate_of}, status_code=202)

    def keep_mail(session: Session, *, body: bytes, key: str) -> int:
        keep_receipt(session, key)
        return mailroom.accept(session, body, "webhook /messages")

    async def messages(request: Request) -> Response:
        signed = await signed_body(request, MAX_MESSAGE_BYTES)
        if isinstance(signed, Response):
            return signed
        body, verified = signed
        message = message_from_bytes(body, policy=policy.default)
        if not message.keys():
            return JSONResponse({"error": "not an RFC 5322 message: no headers"}, status_code=422)
        try:
            mail_id = await stored(partial(keep_mail, body=body, key=verified.key))
        except Replayed as exc:
            return replayed(verified, exc)
        accepted.labels(kind="message").inc()
        wake.set()
        return JSONResponse({"accepted": True, "id": mail_id, "message_id": message.get("Message-ID")}, status_code=202)

    def healthz(_request: Request) -> Response:
        with ws.store.transaction() as session:
            session.execute(text("SELECT 1"))
        return JSONResponse({"ok": True, "campaign": campaign, "webhooks": verifier is not None})

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if background is not None:
            thread = threading.Thread(target=background.run, args=(stop, wake), name="sdr-worker", daemon=True)
            thread.start()
        yield
        stop.set()
        wake.set()

    def metrics_page(_request: Request) -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return Starlette(
        middleware=[Middleware(Gate, max_inflight=max_inflight, quiet=quiet)],
        routes=[
            Route("/unsubscribe", unsubscribe_page, methods=["GET"]),
            Route("/unsubscribe", unsubscribe, methods=["POST"]),
            Route("/leads", leads, methods=["POST"]),
            Route("/messages", messages, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics_page, methods=["GET"]),
            *desk_pages,
        ],
        lifespan=lifespan,
    )
