"""A prospect asked for a meeting (or to move or cancel one): decide, act, tell both sides."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from agent import clock
from agent.meetings.booking import Booker, MeetingOutcome, active_meeting, aware, load_lead
from agent.meetings.booking import recover_bookings as recover_bookings
from agent.meetings.decide import Decision, decide
from agent.meetings.routing import route
from agent.meetings.tables import MeetingOffer
from agent.store.tables import Account
from agent.workspace import Workspace
from tools.calendar import Busy


def _needs_model(decision: Decision) -> bool:
    """The rules found no time at all (not a past one, not an unclear one): a capable model may."""
    reading = decision.reading
    return decision.outcome == "offer_new_times" and (reading is None or (reading.kind == "none" and not reading.note))


def handle_meeting_request(
    ws: Workspace,
    contact_id: int,
    text: str,
    received_at: datetime,
    *,
    handoff_note: str | None = None,
    now: datetime | None = None,
) -> MeetingOutcome:
    """Book, offer times, ask, move or cancel, as the prospect's words and the AE's calendar say.

    `received_at` is when the prospect wrote ("tomorrow" is read from it); `now` (default: the
    clock) is when the calendar is checked and written. `handoff_note` goes to the AE with the
    invitation.
    """
    received_at = aware(received_at)
    now = aware(now) if now else max(received_at, clock.now())
    recover_bookings(ws, now)
    with ws.store.transaction() as session:
        lead = load_lead(session, contact_id)
        current = active_meeting(session, contact_id)
        existing = (current.id, current.starts_at.replace(tzinfo=UTC)) if current else None
        executive = lead.meetings.executive(current.ae_email) if current else None
        chosen = None
        if executive is None:
            chosen = route(session, lead.meetings, session.get_one(Account, lead.account_id))
            executive = chosen.executive
        offer = session.scalar(
            select(MeetingOffer)
            .where(MeetingOffer.contact_id == contact_id, MeetingOffer.closed_at.is_(None))
            .order_by(MeetingOffer.id.desc())
        )
        offered = (
            [datetime.fromisoformat(s) for s in offer.slots] if offer and offer.ae_email == executive.email else []
        )
    booker = Booker(ws, lead, executive, chosen, now)
    busy = booker.busy()
    decision = decide(
        [text], now=now, said_at=received_at, prospect_tz=lead.timezone, rules=booker.rules,
        busy=busy, offered=offered, existing=existing[1] if existing else None,
    )  # fmt: skip
    if _needs_model(decision) and ws.llm.handle.capable_writer:
        acted = _ask_agent(ws, booker, text, received_at, busy, existing, offered, handoff_note)
        if acted is not None:
            return acted
    return act(booker, decision, existing, handoff_note)


def _ask_agent(
    ws: Workspace,
    booker: Booker,
    text: str,
    said_at: datetime,
    busy: list[Busy],
    existing: tuple[int, datetime] | None,
    offered: list[datetime],
    handoff_note: str | None,
) -> MeetingOutcome | None:
    from agent.meetings.assistant import Context, consult

    lead, done = booker.lead, []
    made_by = f"model:{ws.llm.name}"

    def perform(kind: str, start: datetime | None, quote: str) -> str:
        if kind == "book" and start is not None:
            done.append(booker.book(start, handoff_note, made_by))
        elif kind == "reschedule" and start is not None and existing:
            done.append(booker.reschedule(existing[0], start, made_by))
        elif kind == "cancel" and existing:
            done.append(booker.cancel(existing[0], f"the prospect wrote: {quote}", made_by))
        return f"{done[-1].kind}: {done[-1].reason}" if done else "nothing done"

    ctx = Context(
        text=text, now=booker.now, said_at=said_at, prospect_tz=lead.timezone,
        prospect={"name": lead.name, "title": lead.title, "account": lead.account_name}, ae_name=booker.ae.name,
        rules=booker.rules, busy=busy, existing=existing[1] if existing else None, offered=offered,
        horizon_days=lead.meetings.horizon_days,
    )  # fmt: skip
    consult(ws.llm, ctx, perform, {"campaign_id": lead.campaign_id, "contact_id": lead.contact_id})
    return done[0] if done else None


def act(
    booker: Booker, decision: Decision, existing: tuple[int, datetime] | None, handoff_note: str | None
) -> MeetingOutcome:
    if decision.outcome == "cancel" and existing:
        return booker.cancel(existing[0], decision.reason)
    if decision.outcome == "book" and decision.start:
        return booker.book(decision.start, handoff_note, "rules")
    if decision.outcome == "reschedule" and decision.start and existing:
        return booker.reschedule(existing[0], decision.start, "rules")
    if decision.outcome == "clarify":
        reading = decision.reading
        period_start = reading.candidates[0] if reading and reading.kind == "vague" and reading.candidates else None
        return booker.offer(kind="clarify", reason=decision.reason, choices=decision.choices, not_before=period_start)
    lead_in = "" if existing is None else "Your current meeting stays as it is until we agree a new time. "
    if decision.reading is not None and decision.reading.kind in ("slot", "range"):
        lead_in = f"That time doesn't work on {booker.ae.name}'s side ({decision.reason}). {lead_in}"
    return booker.offer(lead_in, reason=decision.reason)
