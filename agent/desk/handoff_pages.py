"""The AE's page: the handoffs routed to the signed-in AE (those whose meetings are on their
calendar), each with its checklist note and the conversation, and their verdict, which closes the
loop through the same function as `sdr handoffs close`; their upcoming meetings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from agent.clock import utcnow
from agent.desk.auth import PREFIX, Keys, Visit
from agent.desk.pages import render
from agent.desk.tables import Role
from agent.desk.users import SignedIn
from agent.errors import UserError
from agent.meetings.tables import Meeting, MeetingStatus
from agent.replies.handoff import HandoffView, close, list_handoffs
from agent.replies.tables import Disposition
from agent.store.tables import Contact
from agent.workspace import Workspace

NOT_QUALIFIED_REASONS = ("no real need", "not the right person", "no budget", "no timeline", "a competitor's customer")


def _routed(ws: Workspace, user: SignedIn) -> set[str] | None:
    """Addresses of the contacts whose meetings are with this AE (None: an admin sees every handoff)."""
    if user.role is Role.admin:
        return None
    with ws.store.transaction() as session:
        rows = session.scalars(
            select(Contact.email).join(Meeting, Meeting.contact_id == Contact.id).where(Meeting.ae_email == user.email)
        )
        return set(rows)


def handoffs_of(ws: Workspace, user: SignedIn) -> list[HandoffView]:
    routed = _routed(ws, user)
    return [v for v in list_handoffs(ws) if routed is None or v.email in routed]


def upcoming_meetings(ws: Workspace, user: SignedIn, now: datetime) -> list[dict[str, Any]]:
    with ws.store.transaction() as session:
        query = select(Meeting, Contact).join(Contact, Contact.id == Meeting.contact_id)
        query = query.where(Meeting.status == MeetingStatus.booked, Meeting.starts_at >= now)
        if user.role is not Role.admin:
            query = query.where(Meeting.ae_email == user.email)
        return [
            {
                "starts_at": m.starts_at.strftime("%Y-%m-%d %H:%M UTC"),
                "ae": m.ae_name,
                "contact": c.full_name,
                "email": c.email,
                "account": c.account.name,
                "timezone": m.prospect_timezone,
            }
            for m, c in session.execute(query.order_by(Meeting.starts_at)).all()
        ]


class HandoffPages:
    def __init__(self, keys: Keys) -> None:
        self.keys, self.ws = keys, keys.ws

    def page(self, visit: Visit) -> Response:
        views = handoffs_of(self.ws, visit.user)
        return render(
            "handoffs.html",
            visit=visit,
            note=self.keys.take_note(visit.request),
            open_handoffs=[v for v in views if v.disposition is None],
            closed=[v for v in views if v.disposition is not None][-10:],
            meetings=upcoming_meetings(self.ws, visit.user, utcnow()),
            reasons=NOT_QUALIFIED_REASONS,
            today=utcnow().date().isoformat(),
        )

    def close(self, visit: Visit) -> Response:
        handoff_id, form = int(visit.request.path_params["handoff_id"]), visit.form
        assert form is not None
        verdict = str(form.get("disposition") or "")
        reason = str(form.get("reason") or "").strip()[:2000] or None
        mine = {v.id for v in handoffs_of(self.ws, visit.user)}
        try:
            if handoff_id not in mine:
                raise UserError(f"handoff {handoff_id} is not routed to you")
            if verdict not in Disposition.__members__:
                raise UserError("choose a verdict: opportunity, recycle or not qualified")
            disposition = Disposition(verdict)
            recycle_on = None
            if disposition is Disposition.recycle_to_nurture:
                try:
                    recycle_on = date.fromisoformat(str(form.get("recycle_on") or ""))
                except ValueError as exc:
                    raise UserError("recycling needs the date to nurture again (YYYY-MM-DD)") from exc
            close(self.ws, handoff_id, disposition, reason=reason, recycle_on=recycle_on)
            note = f"Handoff {handoff_id} closed: {disposition.value.replace('_', ' ')}."
        except UserError as exc:
            note = f"Not closed: {exc}"
        response = RedirectResponse(f"{PREFIX}/handoffs", status_code=303)
        self.keys.note(visit.request, response, note)
        return response
