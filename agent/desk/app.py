"""The desk's routes under /desk, mounted beside the webhooks by `agent.server.app`."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from agent.desk import signin
from agent.desk.auth import Keys, guarded
from agent.desk.dashboard import results_page
from agent.desk.handoff_pages import HandoffPages
from agent.desk.reply_pages import ReplyPages
from agent.desk.review_pages import ReviewPages
from agent.desk.tables import Role
from agent.errors import ConfigError
from agent.workspace import Workspace

REVIEWERS = frozenset({Role.reviewer})
AES = frozenset({Role.ae})
OPERATORS = frozenset({Role.operator})
EVERYONE = frozenset(Role)


def desk_routes(ws: Workspace) -> list[BaseRoute]:
    """The desk; refused (one line) without a session secret of the operator's."""
    if ws.settings.desk_secret is None:
        raise ConfigError(
            "SDR_DESK_SECRET is not set: the desk signs its sessions with it (a long random value; make one: "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))'), or serve without the desk: --no-desk"
        )
    keys = Keys(ws)
    review = ReviewPages(keys)
    handoffs = HandoffPages(keys)
    replies = ReplyPages(keys)
    routes: list[BaseRoute] = [
        Route("/", signin.home(keys), methods=["GET"]),
        Route("/sign-in", signin.sign_in_form(keys), methods=["GET"]),
        Route("/sign-in", signin.sign_in(keys), methods=["POST"]),
        Route("/sign-out", guarded(keys, EVERYONE, lambda visit: signin.sign_out(keys, visit)), methods=["POST"]),
        Route("/queue", guarded(keys, REVIEWERS, review.queue), methods=["GET"]),
        Route("/queue/approve", guarded(keys, REVIEWERS, review.bulk_approve), methods=["POST"]),
        Route("/items/{outbox_id:int}", guarded(keys, REVIEWERS, review.item), methods=["GET"]),
        Route("/items/{outbox_id:int}/approve", guarded(keys, REVIEWERS, review.approve), methods=["POST"]),
        Route("/items/{outbox_id:int}/reject", guarded(keys, REVIEWERS, review.reject), methods=["POST"]),
        Route("/items/{outbox_id:int}/edit", guarded(keys, REVIEWERS, review.edit), methods=["POST"]),
        Route("/items/{outbox_id:int}/regenerate", guarded(keys, REVIEWERS, review.regenerate), methods=["POST"]),
        Route("/items/{outbox_id:int}/retry", guarded(keys, REVIEWERS, review.retry), methods=["POST"]),
        Route("/replies", guarded(keys, REVIEWERS, replies.page), methods=["GET"]),
        Route("/replies/{reply_id:int}/decide", guarded(keys, REVIEWERS, replies.decide), methods=["POST"]),
        Route("/handoffs", guarded(keys, AES, handoffs.page), methods=["GET"]),
        Route("/handoffs/{handoff_id:int}/close", guarded(keys, AES, handoffs.close), methods=["POST"]),
        Route("/results", guarded(keys, OPERATORS, results_page(ws)), methods=["GET"]),
        Mount("/static", StaticFiles(directory=Path(__file__).with_name("static")), name="desk-static"),
    ]
    return [Mount("/desk", routes=routes)]
