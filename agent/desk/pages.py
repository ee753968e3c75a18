"""Rendering the desk's pages: Jinja2 templates shipped in the package, every value escaped."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.responses import HTMLResponse

from agent.desk.auth import Visit
from agent.desk.tables import Role

TEMPLATES = Environment(
    loader=PackageLoader("agent.desk", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
# Scripts, styles and images come from the desk itself; nothing inline runs; no page may be framed.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def menu(role: Role) -> list[tuple[str, str]]:
    """(label, path) of the pages this role has."""
    pages = []
    if role in (Role.reviewer, Role.admin):
        pages.append(("Queue", "/desk/queue"))
        pages.append(("Replies", "/desk/replies"))
    if role in (Role.ae, Role.admin):
        pages.append(("Handoffs", "/desk/handoffs"))
    if role in (Role.operator, Role.admin):
        pages.append(("Results", "/desk/results"))
    return pages


def render(
    template: str, *, visit: Visit | None = None, note: str | None = None, status: int = 200, **context: Any
) -> HTMLResponse:
    page = TEMPLATES.get_template(template).render(
        user=visit.user if visit else None,
        csrf=visit.csrf if visit else None,
        menu=menu(visit.user.role) if visit else [],
        note=note,
        **context,
    )
    return HTMLResponse(page, status_code=status, headers=SECURITY_HEADERS)
