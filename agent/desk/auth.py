"""Sessions and CSRF for the desk: who a request comes from, and whether its form is ours.

A session is a cookie signed with `SDR_DESK_SECRET` (HttpOnly, SameSite=Lax, Secure when the desk
is reached over HTTPS) naming the user, the epoch of their password (a reset or a disable ends
every older session), when it was issued (by the agent's clock) and a random CSRF token. Every
form the desk renders carries that token; a state-changing request whose token does not match is
refused before anything is read from it. The sign-in form, before any session, carries a token
that must match a cookie of its own.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from agent.clock import utcnow
from agent.desk import users
from agent.desk.tables import Role
from agent.desk.users import SignedIn
from agent.workspace import Workspace

SESSION_COOKIE = "sdr_desk"
SIGN_IN_COOKIE = "sdr_desk_sign_in"
FLASH_COOKIE = "sdr_desk_note"
PREFIX = "/desk"


@dataclass(frozen=True)
class Visit:
    """A request that passed the gate: who made it, the token its forms carry, its form if it sent one."""

    request: Request
    user: SignedIn
    csrf: str
    form: FormData | None


Handler = Callable[[Visit], Response]
Endpoint = Callable[[Request], Awaitable[Response]]


class Keys:
    def __init__(self, ws: Workspace) -> None:
        secret = ws.settings.desk_secret
        assert secret is not None, "the desk's app is only built with SDR_DESK_SECRET set"
        self.ws = ws
        self.session = URLSafeSerializer(secret.get_secret_value(), salt="sdr-desk-session")
        self.flash = URLSafeSerializer(secret.get_secret_value(), salt="sdr-desk-note")
        self.lifetime = timedelta(hours=ws.settings.desk_session_hours)

    def _set(self, request: Request, response: Response, name: str, value: str, max_age: int | None) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path=PREFIX,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )

    def start(self, request: Request, response: Response, user: SignedIn) -> None:
        payload = {"u": user.id, "e": user.epoch, "t": utcnow().isoformat(), "c": secrets.token_urlsafe(24)}
        self._set(request, response, SESSION_COOKIE, self.session.dumps(payload), int(self.lifetime.total_seconds()))
        response.delete_cookie(SIGN_IN_COOKIE, path=PREFIX)

    def end(self, response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, path=PREFIX)

    def _payload(self, request: Request) -> dict[str, Any] | None:
        try:
            payload = self.session.loads(request.cookies.get(SESSION_COOKIE, ""))
        except BadSignature:
            return None
        if not isinstance(payload, dict) or not {"u", "e", "t", "c"} <= payload.keys():
            return None
        return payload

    def visitor(self, request: Request) -> tuple[SignedIn, str] | None:
        """The signed-in user and their CSRF token, if the cookie is ours, fresh, and its user still active."""
        payload = self._payload(request)
        if payload is None:
            return None
        issued = payload["t"]
        try:
            fresh = utcnow() - datetime.fromisoformat(issued) < self.lifetime
        except (TypeError, ValueError):
            return None
        user = users.current(self.ws, int(payload["u"]), int(payload["e"])) if fresh else None
        return (user, str(payload["c"])) if user else None

    def sign_in_token(self, request: Request) -> str:
        """The token the sign-in form carries: the one its cookie holds already, else a new one."""
        return request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(24)

    def keep_sign_in_token(self, request: Request, response: Response, token: str) -> None:
        self._set(request, response, SIGN_IN_COOKIE, token, 3600)

    def sign_in_token_ok(self, request: Request, form: FormData) -> bool:
        return same(request.cookies.get(SIGN_IN_COOKIE, ""), form.get("csrf"))

    def note(self, request: Request, response: Response, text: str) -> None:
        """A line the next page shows once (what was done, or why not)."""
        self._set(request, response, FLASH_COOKIE, self.flash.dumps(text), 60)

    def take_note(self, request: Request) -> str | None:
        try:
            text = self.flash.loads(request.cookies.get(FLASH_COOKIE, ""))
        except BadSignature:
            return None
        return str(text)


def same(expected: str, given: object) -> bool:
    return bool(expected) and isinstance(given, str) and hmac.compare_digest(expected.encode(), given.encode())


def allowed(role: Role, roles: frozenset[Role]) -> bool:
    return role is Role.admin or role in roles


def guarded(keys: Keys, roles: frozenset[Role], handler: Handler) -> Endpoint:
    """An endpoint that needs a session with one of `roles` (an admin has them all) and, for a
    POST, the session's CSRF token. Without a session a page redirects to sign-in and a form
    answers 401; a role without the right answers 403; a bad token 403, with nothing changed."""

    async def endpoint(request: Request) -> Response:
        found = await run_in_threadpool(keys.visitor, request)
        if found is None:
            if request.method == "GET":
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"{PREFIX}/sign-in?{_next(target)}", status_code=303)
            return PlainTextResponse("sign in first\n", status_code=401)
        user, csrf = found
        if not allowed(user.role, roles):
            return PlainTextResponse(f"a {user.role} cannot do this\n", status_code=403)
        form = None
        if request.method == "POST":
            form = await request.form()
            if not same(csrf, form.get("csrf")):
                return PlainTextResponse("this form expired or did not come from the desk: reload the page\n", 403)
        response = await run_in_threadpool(handler, Visit(request=request, user=user, csrf=csrf, form=form))
        if request.method == "GET" and FLASH_COOKIE in request.cookies:
            response.delete_cookie(FLASH_COOKIE, path=PREFIX)
        return response

    return endpoint


def _next(target: str) -> str:
    return urlencode({"next": target})
