"""The reviewer's page of replies the agent was unsure of: each with its reading and why, held
opt-outs first (nothing reaches that address until someone decides), and the reviewer's reading,
which the agent acts on through the same function as `sdr replies decide`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from agent.desk.auth import PREFIX, Keys, Visit
from agent.desk.pages import render
from agent.errors import UserError
from agent.replies.handling import decide
from agent.replies.model import Flag, Intent
from agent.replies.tables import Reply
from agent.workspace import Workspace


def waiting(ws: Workspace) -> list[dict[str, Any]]:
    """Replies waiting for a person: held opt-outs first, then the oldest first."""
    with ws.store.transaction() as session:
        rows = [
            {
                "id": r.id,
                "from": r.from_address,
                "received_at": r.received_at.strftime("%Y-%m-%d %H:%M UTC"),
                "subject": r.subject,
                "text": r.text,
                "intent": r.intent,
                "decided_by": r.decided_by,
                "confidence": r.confidence,
                "held": Flag.opt_out_in_doubt in r.analysis.get("flags", []),
                "injection": Flag.injection_suspected in r.analysis.get("flags", []),
                "reasons": r.analysis.get("reasons", []),
                "actions": r.actions,
            }
            for r in session.scalars(
                select(Reply).where(Reply.needs_review.is_(True)).order_by(Reply.received_at, Reply.id)
            )
        ]
    return sorted(rows, key=lambda r: not r["held"])


class ReplyPages:
    def __init__(self, keys: Keys) -> None:
        self.keys, self.ws = keys, keys.ws

    def page(self, visit: Visit) -> Response:
        return render(
            "replies.html",
            visit=visit,
            note=self.keys.take_note(visit.request),
            replies=waiting(self.ws),
            intents=[i.value for i in Intent],
        )

    def decide(self, visit: Visit) -> Response:
        reply_id, form = int(visit.request.path_params["reply_id"]), visit.form
        assert form is not None
        chosen = str(form.get("intent") or "")
        try:
            if chosen not in Intent.__members__:
                raise UserError("choose what the reply says")
            handled = decide(self.ws, reply_id, Intent(chosen), by=visit.user.name)
            note = f"Reply {reply_id}: {chosen.replace('_', ' ')}. " + "; ".join(handled.actions)
        except UserError as exc:
            note = f"Not decided: {exc}"
        response = RedirectResponse(f"{PREFIX}/replies", status_code=303)
        self.keys.note(visit.request, response, note)
        return response
