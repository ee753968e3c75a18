"""Signing in and out of the desk."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from agent.clock import utcnow
from agent.desk import users
from agent.desk.auth import PREFIX, Endpoint, Keys, Visit
from agent.desk.pages import render
from agent.desk.tables import Role

HOME = {Role.reviewer: "/queue", Role.ae: "/handoffs", Role.operator: "/results", Role.admin: "/queue"}


def _safe_next(target: object) -> str | None:
    """Only a path of the desk itself, never an address elsewhere (an open redirect)."""
    if isinstance(target, str) and target.startswith(PREFIX + "/") and "//" not in target and "\\" not in target:
        return target
    return None


def _form_page(keys: Keys, request: Request, *, problem: str | None, name: str, target: str, status: int) -> Response:
    token = keys.sign_in_token(request)
    response = render("sign_in.html", problem=problem, name=name, next=target, token=token, status=status)
    keys.keep_sign_in_token(request, response, token)
    return response


def home(keys: Keys) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        found = await run_in_threadpool(keys.visitor, request)
        if found is None:
            return RedirectResponse(f"{PREFIX}/sign-in", status_code=303)
        return RedirectResponse(PREFIX + HOME[found[0].role], status_code=303)

    return endpoint


def sign_in_form(keys: Keys) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        target = _safe_next(request.query_params.get("next")) or ""
        return _form_page(keys, request, problem=None, name="", target=target, status=200)

    return endpoint


def sign_in(keys: Keys) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        form = await request.form()
        name, password = str(form.get("name") or ""), str(form.get("password") or "")
        target = _safe_next(form.get("next")) or ""
        if not keys.sign_in_token_ok(request, form):
            return _form_page(
                keys, request, problem="The form expired: try again.", name=name, target=target, status=403
            )
        client = request.client.host if request.client else "unknown"
        try:
            user = await run_in_threadpool(users.sign_in, keys.ws, name, password, client=client, now=utcnow())
        except users.TooManyTries as exc:
            wait = max(1, round((exc.retry_after - utcnow()).total_seconds()))
            response = _form_page(
                keys,
                request,
                problem=f"Too many failed sign-ins: try again in {wait} s.",
                name=name,
                target=target,
                status=429,
            )
            response.headers["Retry-After"] = str(wait)
            return response
        if user is None:
            return _form_page(keys, request, problem="Wrong name or password.", name=name, target=target, status=401)
        response = RedirectResponse(target or PREFIX + HOME[user.role], status_code=303)
        keys.start(request, response, user)
        return response

    return endpoint


def sign_out(keys: Keys, visit: Visit) -> Response:
    users.sign_out(keys.ws, visit.user.id)
    response = RedirectResponse(f"{PREFIX}/sign-in", status_code=303)
    keys.end(response)
    return response
